"""audit queue: appends no longer wait for the log's head lock (issue 3)

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-22 05:10:00

Appends insert into `audit_queue` without a lock; the sequencer moves them into
`audit_entry` in batches. The queue refuses UPDATE and TRUNCATE: a queued entry leaves it
only by being sequenced. On SQLite only new tables and ADD COLUMN are used, except
`access_follow_up`, rebuilt to make `audit_seq` nullable: no table references it, so the
rebuild cannot cascade anywhere.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

OPERATIONS = (
    "COLLECT",
    "ALTER",
    "CONSULT",
    "DISCLOSE",
    "COMBINE",
    "ERASE",
    "EXPORT",
    "DENY",
    "LOGIN",
    "LOGIN_FAILED",
    "BREAK_GLASS",
    "POLICY_CHANGE",
    "KEY_ROTATION",
)
PG_GUARD = """
CREATE FUNCTION audit_queue_sequence_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit queue entries are never edited: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_queue_no_update BEFORE UPDATE ON audit_queue
    FOR EACH ROW EXECUTE FUNCTION audit_queue_sequence_only();
CREATE TRIGGER audit_queue_no_truncate BEFORE TRUNCATE ON audit_queue
    FOR EACH STATEMENT EXECUTE FUNCTION audit_queue_sequence_only();
"""
PG_UNGUARD = """
DROP TRIGGER IF EXISTS audit_queue_no_truncate ON audit_queue;
DROP TRIGGER IF EXISTS audit_queue_no_update ON audit_queue;
DROP FUNCTION IF EXISTS audit_queue_sequence_only();
"""
SQLITE_GUARD = """CREATE TRIGGER audit_queue_no_update BEFORE UPDATE ON audit_queue
   BEGIN SELECT RAISE(ABORT, 'audit queue entries are never edited: UPDATE refused'); END"""


def upgrade() -> None:
    op.create_table(
        "audit_queue",
        sa.Column(
            "receipt",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "operation",
            sa.Enum(*OPERATIONS, name="audit_operation", native_enum=False, create_constraint=True),
            nullable=False,
        ),
        sa.Column("before_seq", sa.Text(), nullable=False),
        sa.Column("after_seq", sa.Text(), nullable=False),
        sa.Column("subject_person_id", sa.String(length=36), nullable=True),
        sa.Column("case_id", sa.String(length=36), nullable=True),
        sa.Column("actor_agency_id", sa.String(length=36), nullable=True),
        sa.PrimaryKeyConstraint("receipt", name=op.f("pk_audit_queue")),
        sqlite_autoincrement=True,
    )
    op.add_column("audit_entry", sa.Column("receipt", sa.BigInteger(), nullable=True))
    op.create_index(op.f("ix_audit_entry_receipt"), "audit_entry", ["receipt"], unique=True)
    op.add_column("access_follow_up", sa.Column("audit_receipt", sa.BigInteger(), nullable=True))
    with op.batch_alter_table("access_follow_up") as batch:
        batch.alter_column("audit_seq", existing_type=sa.BigInteger(), nullable=True)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_GUARD)
    else:
        op.execute(SQLITE_GUARD)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_UNGUARD)
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_queue_no_update")
    with op.batch_alter_table("access_follow_up") as batch:
        batch.alter_column("audit_seq", existing_type=sa.BigInteger(), nullable=False)
    op.drop_column("access_follow_up", "audit_receipt")
    op.drop_index(op.f("ix_audit_entry_receipt"), table_name="audit_entry")
    op.drop_column("audit_entry", "receipt")
    op.drop_table("audit_queue")
