"""ingest receipts and dead letters (connectors, exactly-once ingest)

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-22 10:00:00

New tables only: nothing existing is altered, so no SQLite table rebuild can cascade-delete
child rows.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ingest_receipt",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("agency_id", sa.Uuid(), nullable=False),
        sa.Column("connector", sa.String(length=40), nullable=False),
        sa.Column("message_type", sa.String(length=40), nullable=False),
        sa.Column("source_reference", sa.String(length=200), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=True),
        sa.Column("digest", sa.LargeBinary(length=32), nullable=False),
        sa.Column("records", sa.Text(), nullable=False),
        sa.Column("subject_person_id", sa.Uuid(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agency.id"], name=op.f("fk_ingest_receipt_agency_id_agency")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ingest_receipt")),
        sa.UniqueConstraint(
            "agency_id",
            "connector",
            "source_reference",
            name=op.f("uq_ingest_receipt_agency_id"),
        ),
    )
    op.create_index(
        "uq_ingest_receipt_idempotency_key",
        "ingest_receipt",
        ["agency_id", "connector", "idempotency_key"],
        unique=True,
        sqlite_where=sa.text("idempotency_key IS NOT NULL"),
        postgresql_where=sa.text("idempotency_key IS NOT NULL"),
    )
    op.create_table(
        "ingest_dead_letter",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("agency_id", sa.Uuid(), nullable=False),
        sa.Column("connector", sa.String(length=40), nullable=False),
        sa.Column("message_type", sa.String(length=40), nullable=True),
        sa.Column("source_reference", sa.String(length=200), nullable=True),
        sa.Column("idempotency_key", sa.String(length=200), nullable=True),
        sa.Column("position", sa.String(length=100), nullable=True),
        sa.Column("stage", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("raw", sa.Text(), nullable=False),
        sa.Column("raw_complete", sa.Boolean(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "OPEN",
                "REPLAYED",
                name="dead_letter_status",
                native_enum=False,
                create_constraint=True,
                length=8,
            ),
            nullable=False,
        ),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("replayed_receipt_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agency.id"], name=op.f("fk_ingest_dead_letter_agency_id_agency")
        ),
        sa.ForeignKeyConstraint(
            ["replayed_receipt_id"],
            ["ingest_receipt.id"],
            name=op.f("fk_ingest_dead_letter_replayed_receipt_id_ingest_receipt"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ingest_dead_letter")),
    )
    op.create_index(
        "ix_ingest_dead_letter_status_received",
        "ingest_dead_letter",
        ["status", "received_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_ingest_dead_letter_status_received", table_name="ingest_dead_letter")
    op.drop_table("ingest_dead_letter")
    op.drop_index("uq_ingest_receipt_idempotency_key", table_name="ingest_receipt")
    op.drop_table("ingest_receipt")
