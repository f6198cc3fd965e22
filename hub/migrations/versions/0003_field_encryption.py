"""field encryption keyring (issue 10: filled in by the encryption work)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21 12:00:00

The key table, wider columns for sealed fields (an envelope is longer than its plaintext, and
the plaintext length is now checked by the application), and the blind index of restricted
identifiers.

Existing rows are not encrypted here: a migration runs without the keys, by design. They stay
readable as legacy plaintext until `hub keys init` and then `hub keys rewrap` seal them, in
batches and without downtime (docs/keys.md). Upgrading refuses a database where a value
already begins with the envelope marker, because the hub could not tell it from an envelope.
Downgrading refuses while any field is still sealed: the keys go with this revision, so they
would become unreadable. `hub keys decrypt-all` unseals them first.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from hub.errors import HubError

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# hub.crypto.envelope.MARKER, copied: a migration must not change when the code does.
MARKER = "$hub$"
# Sealed columns whose type changes: (table, column, type before 0003, nullable).
WIDENED = [
    ("information_item", "title", sa.String(length=200), False),
    ("person", "ethnicity_text", sa.String(length=200), True),
    ("address", "line1", sa.String(length=200), False),
    ("address", "line2", sa.String(length=200), True),
    ("address", "town", sa.String(length=100), False),
    ("address", "postcode", sa.String(length=10), True),
    ("person_identifier", "value", sa.String(length=64), False),
]
# Sealed columns that were TEXT already.
UNCHANGED = [("information_item", "content"), ("item_annotation", "text")]
SEALED = [(t, c) for t, c, _, _ in WIDENED] + UNCHANGED
# Tables other tables reference. SQLite cannot alter a column's type, and Alembic's batch mode
# rebuilds the table: with foreign keys on, dropping the old copy of `person` would cascade
# and delete every name, identifier and address. These keep their table and swap the column.
SQLITE_KEEP_TABLE = {"person", "information_item"}


def upgrade() -> None:
    clashes = _values_with_marker()
    if clashes:
        raise HubError(
            f"cannot add field encryption: {clashes} existing value(s) begin with {MARKER!r} "
            "and would be taken for ciphertext; edit them first"
        )
    op.create_table(
        "encryption_key",
        sa.Column("key_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column(
            "purpose",
            sa.Enum(
                "FIELD",
                "BLIND_INDEX",
                name="key_purpose",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "ACTIVE",
                "RETIRED",
                "DESTROYED",
                name="key_status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("wrapped_key", sa.LargeBinary(length=128), nullable=True),
        sa.Column("kek_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("destroyed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "(status = 'DESTROYED') = (wrapped_key IS NULL)",
            name=op.f("ck_encryption_key_destroyed_has_no_key"),
        ),
        sa.PrimaryKeyConstraint("key_id", name=op.f("pk_encryption_key")),
    )
    with op.batch_alter_table("encryption_key", schema=None) as batch_op:
        batch_op.create_index(
            "uq_encryption_key_active_purpose",
            ["purpose"],
            unique=True,
            sqlite_where=sa.text("status = 'ACTIVE'"),
            postgresql_where=sa.text("status = 'ACTIVE'"),
        )

    for table, column, old_type, nullable in WIDENED:
        _retype(table, column, old_type, sa.Text(), nullable)
    with op.batch_alter_table("person_identifier", schema=None) as batch_op:
        batch_op.add_column(sa.Column("value_digest", sa.LargeBinary(length=32), nullable=True))
        batch_op.create_index(
            "ix_person_identifier_scheme_digest", ["scheme", "value_digest"], unique=False
        )


def downgrade() -> None:
    sealed = _values_with_marker()
    if sealed:
        raise HubError(
            f"cannot remove field encryption: {sealed} field(s) are still encrypted and this "
            "downgrade drops their keys; run `hub keys decrypt-all` first"
        )
    with op.batch_alter_table("person_identifier", schema=None) as batch_op:
        batch_op.drop_index("ix_person_identifier_scheme_digest")
        batch_op.drop_column("value_digest")
    for table, column, old_type, nullable in reversed(WIDENED):
        _retype(table, column, sa.Text(), old_type, nullable)
    with op.batch_alter_table("encryption_key", schema=None) as batch_op:
        batch_op.drop_index("uq_encryption_key_active_purpose")
    op.drop_table("encryption_key")


def _retype(
    table: str,
    column: str,
    old: sa.types.TypeEngine[str],
    new: sa.types.TypeEngine[str],
    nullable: bool,
) -> None:
    if op.get_bind().dialect.name != "sqlite" or table not in SQLITE_KEEP_TABLE:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(column, existing_type=old, type_=new, existing_nullable=nullable)
        return
    # Add the new column, copy, drop the old one, rename: the table (and every row that
    # references it) stays. SQLite adds a NOT NULL column only with a default, so a NOT NULL
    # column keeps DEFAULT '' here; the application always sets it.
    declared = new.compile(dialect=op.get_bind().dialect)
    constraint = "" if nullable else " NOT NULL DEFAULT ''"
    op.execute(f'ALTER TABLE "{table}" ADD COLUMN "{column}__new" {declared}{constraint}')
    op.execute(f'UPDATE "{table}" SET "{column}__new" = "{column}"')  # noqa: S608
    op.execute(f'ALTER TABLE "{table}" DROP COLUMN "{column}"')
    op.execute(f'ALTER TABLE "{table}" RENAME COLUMN "{column}__new" TO "{column}"')


def _values_with_marker() -> int:
    connection = op.get_bind()
    total = 0
    for table, column in SEALED:
        t = sa.table(table, sa.column(column, sa.Text()))
        total += (
            connection.scalar(
                sa.select(sa.func.count()).select_from(t).where(t.c[column].like(MARKER + "%"))
            )
            or 0
        )
    return total
