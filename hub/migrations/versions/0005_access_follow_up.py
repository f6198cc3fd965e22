"""access follow-ups: owner notices and break-glass reviews

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-21 13:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "access_follow_up",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "NOTIFY_OWNER",
                "REVIEW",
                name="follow_up_kind",
                native_enum=False,
                length=12,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("owning_agency_id", sa.Uuid(), nullable=False),
        sa.Column("actor_agency_id", sa.Uuid(), nullable=False),
        sa.Column("actor_user_id", sa.Uuid(), nullable=True),
        sa.Column("case_id", sa.Uuid(), nullable=True),
        sa.Column("record_type", sa.String(length=40), nullable=False),
        sa.Column("record_id", sa.Uuid(), nullable=False),
        sa.Column("audit_seq", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("done_by", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["actor_agency_id"],
            ["agency.id"],
            name=op.f("fk_access_follow_up_actor_agency_id_agency"),
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["mappa_case.id"], name=op.f("fk_access_follow_up_case_id_mappa_case")
        ),
        sa.ForeignKeyConstraint(
            ["owning_agency_id"],
            ["agency.id"],
            name=op.f("fk_access_follow_up_owning_agency_id_agency"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_follow_up")),
    )
    op.create_index(
        "ix_access_follow_up_open",
        "access_follow_up",
        ["owning_agency_id", "kind", "done_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_access_follow_up_open", table_name="access_follow_up")
    op.drop_table("access_follow_up")
