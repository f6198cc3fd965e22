"""audit log head: the next sequence number in one row

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21 12:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

# The head only ever moves forward. A rolled-back append gives its number back by rolling
# back, not by an UPDATE, so a decreasing UPDATE is always tampering (or a bug) and refused.
PG_GUARD = """
CREATE FUNCTION audit_log_head_forward_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.id = OLD.id AND NEW.next_seq >= OLD.next_seq THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'the audit log head only moves forward: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_log_head_forward BEFORE UPDATE OR DELETE ON audit_log_head
    FOR EACH ROW EXECUTE FUNCTION audit_log_head_forward_only();
CREATE TRIGGER audit_log_head_no_truncate BEFORE TRUNCATE ON audit_log_head
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_head_forward_only();
"""
PG_UNGUARD = """
DROP TRIGGER IF EXISTS audit_log_head_no_truncate ON audit_log_head;
DROP TRIGGER IF EXISTS audit_log_head_forward ON audit_log_head;
DROP FUNCTION IF EXISTS audit_log_head_forward_only();
"""
SQLITE_GUARD = [
    """CREATE TRIGGER audit_log_head_forward BEFORE UPDATE ON audit_log_head
       WHEN NEW.next_seq < OLD.next_seq OR NEW.id != OLD.id
       BEGIN SELECT RAISE(ABORT, 'the audit log head only moves forward: UPDATE refused'); END""",
    """CREATE TRIGGER audit_log_head_no_delete BEFORE DELETE ON audit_log_head
       BEGIN SELECT RAISE(ABORT, 'the audit log head only moves forward: DELETE refused'); END""",
]
SQLITE_UNGUARD = [
    "DROP TRIGGER IF EXISTS audit_log_head_forward",
    "DROP TRIGGER IF EXISTS audit_log_head_no_delete",
]

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_log_head",
        sa.Column("id", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("next_seq", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_audit_log_head_single_row")),
        sa.CheckConstraint("next_seq >= 0", name=op.f("ck_audit_log_head_next_seq_natural")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log_head")),
    )
    # A log that already has entries continues from them.
    op.execute(
        "INSERT INTO audit_log_head (id, next_seq) "
        "SELECT 1, COALESCE(MAX(seq) + 1, 0) FROM audit_entry"
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_GUARD)
    else:
        for statement in SQLITE_GUARD:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_UNGUARD)
    else:
        for statement in SQLITE_UNGUARD:
            op.execute(statement)
    op.drop_table("audit_log_head")
