"""audit checkpoints and signing keys

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21 21:12:49.940878
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

# Signed checkpoints are as append-only as the entries they sign.
PG_GUARD = """
CREATE TRIGGER audit_checkpoint_no_update BEFORE UPDATE OR DELETE ON audit_checkpoint
    FOR EACH ROW EXECUTE FUNCTION audit_entry_append_only();
CREATE TRIGGER audit_checkpoint_no_truncate BEFORE TRUNCATE ON audit_checkpoint
    FOR EACH STATEMENT EXECUTE FUNCTION audit_entry_append_only();
"""
PG_UNGUARD = """
DROP TRIGGER IF EXISTS audit_checkpoint_no_truncate ON audit_checkpoint;
DROP TRIGGER IF EXISTS audit_checkpoint_no_update ON audit_checkpoint;
"""
SQLITE_GUARD = [
    """CREATE TRIGGER audit_checkpoint_no_update BEFORE UPDATE ON audit_checkpoint
       BEGIN SELECT RAISE(ABORT, 'audit entries are append-only: UPDATE refused'); END""",
    """CREATE TRIGGER audit_checkpoint_no_delete BEFORE DELETE ON audit_checkpoint
       BEGIN SELECT RAISE(ABORT, 'audit entries are append-only: DELETE refused'); END""",
]
SQLITE_UNGUARD = [
    "DROP TRIGGER IF EXISTS audit_checkpoint_no_update",
    "DROP TRIGGER IF EXISTS audit_checkpoint_no_delete",
]


revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_signing_key",
        sa.Column("key_id", sa.String(length=16), nullable=False),
        sa.Column("public_key", sa.String(length=100), nullable=False),
        sa.Column("first_used_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key_id", name=op.f("pk_audit_signing_key")),
    )
    op.create_table(
        "audit_checkpoint",
        sa.Column("tree_size", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("origin", sa.String(length=200), nullable=False),
        sa.Column("root_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("key_id", sa.String(length=16), nullable=False),
        sa.Column("signature", sa.LargeBinary(length=64), nullable=False),
        sa.Column("frontier", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["key_id"],
            ["audit_signing_key.key_id"],
            name=op.f("fk_audit_checkpoint_key_id_audit_signing_key"),
        ),
        sa.PrimaryKeyConstraint("tree_size", name=op.f("pk_audit_checkpoint")),
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
    op.drop_table("audit_checkpoint")
    op.drop_table("audit_signing_key")
