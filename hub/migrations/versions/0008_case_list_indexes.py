"""case list indexes, and the API's idempotent responses

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-21 23:40:00

`ix_mappa_case_review_order (next_review_due, id)` is the order of every case list, so a page
is read in index order instead of sorting every visible case; it also serves the overdue
review queries that used `ix_mappa_case_next_review_due`, which it replaces.
`ix_case_membership_agency_case (agency_id, case_id)`, with the tested columns included on
PostgreSQL, answers the list filter's membership test without touching the table; it replaces
`ix_case_membership_agency_id`, its prefix. Measured in bench/case_list.py.

`api_idempotent_response` keeps what a client's POST returned under its Idempotency-Key.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_idempotent_response",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.String(length=100), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("request_digest", sa.LargeBinary(length=32), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("location", sa.String(length=300), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_idempotent_response")),
        sa.UniqueConstraint("client_id", "key", name=op.f("uq_api_idempotent_response_client_id")),
    )
    op.create_index("ix_mappa_case_review_order", "mappa_case", ["next_review_due", "id"])
    op.drop_index("ix_mappa_case_next_review_due", table_name="mappa_case")
    op.create_index(
        "ix_case_membership_agency_case",
        "case_membership",
        ["agency_id", "case_id"],
        postgresql_include=["until", "role", "user_id"],
    )
    op.drop_index("ix_case_membership_agency_id", table_name="case_membership")


def downgrade() -> None:
    op.drop_table("api_idempotent_response")
    op.create_index("ix_case_membership_agency_id", "case_membership", ["agency_id"])
    op.drop_index("ix_case_membership_agency_case", table_name="case_membership")
    op.create_index("ix_mappa_case_next_review_due", "mappa_case", ["next_review_due"])
    op.drop_index("ix_mappa_case_review_order", table_name="mappa_case")
