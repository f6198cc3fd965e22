"""consent and public-interest decisions, and what a withdrawal leaves behind (R-28..R-31)

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-21 23:45:00

New tables only: nothing existing is altered, so no SQLite table rebuild can cascade-delete
child rows. Consents, public-interest decisions and their scope rows refuse DELETE in the
database itself: "never deleted" must survive a bug in the hub, as the audit log's guard does.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

# The records a disclosure's basis is traced to: kept for as long as the audit log.
KEPT = (
    "consent",
    "consent_recipient",
    "public_interest_decision",
    "public_interest_item",
    "public_interest_recipient",
)
PG_FUNCTION = """
CREATE FUNCTION consent_basis_kept() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'consent and public-interest records are never deleted: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
"""


def _guard() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        op.execute(PG_FUNCTION)
    for table in KEPT:
        if postgres:
            op.execute(
                f"CREATE TRIGGER {table}_kept BEFORE DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION consent_basis_kept()"
            )
            op.execute(
                f"CREATE TRIGGER {table}_kept_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION consent_basis_kept()"
            )
        else:
            op.execute(
                f"CREATE TRIGGER {table}_kept BEFORE DELETE ON {table} BEGIN SELECT "
                "RAISE(ABORT, 'consent and public-interest records are never deleted'); END"
            )


def _unguard() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for table in KEPT:
        if postgres:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_kept_truncate ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_kept ON {table}")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_kept")
    if postgres:
        op.execute("DROP FUNCTION IF EXISTS consent_basis_kept()")


def _entity_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
    ]


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    referred = target.split(".", maxsplit=1)[0]
    return sa.ForeignKeyConstraint([column], [target], name=op.f(f"fk_{table}_{column}_{referred}"))


def upgrade() -> None:
    op.create_table(
        "consent",
        sa.Column("subject_person_id", sa.Uuid(), nullable=False),
        sa.Column("controller_agency_id", sa.Uuid(), nullable=False),
        sa.Column("categories", sa.String(length=200), nullable=False),
        sa.Column("purposes", sa.String(length=200), nullable=False),
        sa.Column("given_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "method",
            sa.Enum(
                "WRITTEN",
                "VERBAL",
                "ELECTRONIC",
                name="consent_method",
                native_enum=False,
                length=10,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("capacity_note", sa.Text(), nullable=True),
        sa.Column("recorded_by", sa.Uuid(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("withdrawn_by", sa.Uuid(), nullable=True),
        sa.Column("withdrawal_reason", sa.Text(), nullable=True),
        *_entity_columns(),
        _fk("consent", "controller_agency_id", "agency.id"),
        _fk("consent", "recorded_by", "hub_user.id"),
        _fk("consent", "subject_person_id", "person.id"),
        _fk("consent", "withdrawn_by", "hub_user.id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent")),
    )
    op.create_index(
        "ix_consent_subject_controller", "consent", ["subject_person_id", "controller_agency_id"]
    )
    op.create_table(
        "public_interest_decision",
        sa.Column("subject_person_id", sa.Uuid(), nullable=False),
        sa.Column("controller_agency_id", sa.Uuid(), nullable=False),
        sa.Column("decided_by", sa.Uuid(), nullable=False),
        sa.Column("risk_described", sa.Text(), nullable=False),
        sa.Column("information_scope", sa.Text(), nullable=False),
        sa.Column("reasoning", sa.Text(), nullable=False),
        sa.Column("patient_informed", sa.Boolean(), nullable=False),
        sa.Column("reason_not_informed", sa.Text(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("review_by", sa.DateTime(timezone=True), nullable=False),
        *_entity_columns(),
        _fk("public_interest_decision", "controller_agency_id", "agency.id"),
        _fk("public_interest_decision", "decided_by", "hub_user.id"),
        _fk("public_interest_decision", "subject_person_id", "person.id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_public_interest_decision")),
    )
    op.create_index(
        "ix_public_interest_decision_subject",
        "public_interest_decision",
        ["subject_person_id", "controller_agency_id"],
    )
    op.create_table(
        "consent_recipient",
        sa.Column("consent_id", sa.Uuid(), nullable=False),
        sa.Column("agency_id", sa.Uuid(), nullable=False),
        _fk("consent_recipient", "agency_id", "agency.id"),
        _fk("consent_recipient", "consent_id", "consent.id"),
        sa.PrimaryKeyConstraint("consent_id", "agency_id", name=op.f("pk_consent_recipient")),
    )
    op.create_table(
        "consent_task",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "RECIPIENT_NOTICE",
                "PUBLIC_INTEREST_REVIEW",
                name="consent_task_kind",
                native_enum=False,
                length=22,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("agency_id", sa.Uuid(), nullable=False),
        sa.Column("consent_id", sa.Uuid(), nullable=False),
        sa.Column("subject_person_id", sa.Uuid(), nullable=False),
        sa.Column("item_count", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("done_by", sa.Uuid(), nullable=True),
        sa.Column("decision_id", sa.Uuid(), nullable=True),
        _fk("consent_task", "agency_id", "agency.id"),
        _fk("consent_task", "consent_id", "consent.id"),
        _fk("consent_task", "decision_id", "public_interest_decision.id"),
        _fk("consent_task", "done_by", "hub_user.id"),
        _fk("consent_task", "subject_person_id", "person.id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_task")),
    )
    op.create_index(op.f("ix_consent_task_consent_id"), "consent_task", ["consent_id"])
    op.create_index("ix_consent_task_open", "consent_task", ["agency_id", "kind", "done_at"])
    op.create_table(
        "public_interest_recipient",
        sa.Column("decision_id", sa.Uuid(), nullable=False),
        sa.Column("agency_id", sa.Uuid(), nullable=False),
        _fk("public_interest_recipient", "agency_id", "agency.id"),
        _fk("public_interest_recipient", "decision_id", "public_interest_decision.id"),
        sa.PrimaryKeyConstraint(
            "decision_id", "agency_id", name=op.f("pk_public_interest_recipient")
        ),
    )
    op.create_table(
        "public_interest_item",
        sa.Column("decision_id", sa.Uuid(), nullable=False),
        sa.Column("item_id", sa.Uuid(), nullable=False),
        _fk("public_interest_item", "decision_id", "public_interest_decision.id"),
        _fk("public_interest_item", "item_id", "information_item.id"),
        sa.PrimaryKeyConstraint("decision_id", "item_id", name=op.f("pk_public_interest_item")),
    )
    op.create_table(
        "item_dissemination_flag",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("item_id", sa.Uuid(), nullable=False),
        sa.Column("agency_id", sa.Uuid(), nullable=False),
        sa.Column("consent_id", sa.Uuid(), nullable=False),
        sa.Column("flag", sa.String(length=80), nullable=False),
        sa.Column("flagged_at", sa.DateTime(timezone=True), nullable=False),
        _fk("item_dissemination_flag", "agency_id", "agency.id"),
        _fk("item_dissemination_flag", "consent_id", "consent.id"),
        _fk("item_dissemination_flag", "item_id", "information_item.id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_item_dissemination_flag")),
        sa.UniqueConstraint(
            "item_id", "agency_id", "consent_id", name=op.f("uq_item_dissemination_flag_item_id")
        ),
    )
    op.create_index(
        op.f("ix_item_dissemination_flag_agency_id"), "item_dissemination_flag", ["agency_id"]
    )
    op.create_index(
        op.f("ix_item_dissemination_flag_item_id"), "item_dissemination_flag", ["item_id"]
    )
    _guard()


def downgrade() -> None:
    _unguard()
    op.drop_table("item_dissemination_flag")
    op.drop_table("public_interest_item")
    op.drop_table("public_interest_recipient")
    op.drop_table("consent_task")
    op.drop_table("consent_recipient")
    op.drop_table("public_interest_decision")
    op.drop_table("consent")
