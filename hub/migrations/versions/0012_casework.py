"""case-management rules: tasks, visit plans, reactive management, ROSH by group (issue 8)

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-22 02:15:00

New tables only: nothing existing is altered, so no SQLite table rebuild can cascade-delete
child rows. Child contacts (R-48 reads them) are created by 0011 with the meetings.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

TASK_KINDS = (
    "REVIEW_OVERDUE",
    "REVIEW_AFTER_NEW_INFORMATION",
    "RISK_ASSESSMENT_DUE",
    "VISIT_OVERDUE",
    "NOTIFICATION_OVERDUE",
    "BREACH_CANDIDATE",
    "CONSIDER_ORDER_RENEWAL",
    "CONFIRM_NO_CHILD_CONTACT",
)
TASK_STATUSES = ("OPEN", "DONE", "CANCELLED")
TASK_OUTCOMES = ("ACTIONED", "NO_ACTION_NEEDED", "REFERRED_TO_MEETING", "PASSED_TO_ANOTHER_AGENCY")
RISK_BANDS = ("LOW", "MEDIUM", "HIGH", "VERY_HIGH", "NOT_APPLICABLE")
END_REASONS = (
    "INTELLIGENCE",
    "CONCERN",
    "BREACH",
    "CHANGE_OF_CIRCUMSTANCES",
    "RISK_INCREASE",
    "ENDED_BY_USER",
)
ROSH_GROUPS = ("CHILDREN", "PUBLIC", "KNOWN_ADULT", "STAFF", "PRISONERS")
ROSH_SETTINGS = ("COMMUNITY", "CUSTODY")


def _enum(name: str, values: tuple[str, ...]) -> sa.Enum:
    return sa.Enum(
        *values,
        name=name,
        native_enum=False,
        length=max(len(v) for v in values),
        create_constraint=True,
    )


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
        "casework_task",
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("kind", _enum("task_kind", TASK_KINDS), nullable=False),
        sa.Column("owning_agency_id", sa.Uuid(), nullable=False),
        sa.Column("assignee_id", sa.Uuid(), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("status", _enum("task_status", TASK_STATUSES), nullable=False),
        sa.Column("rule_id", sa.String(length=8), nullable=False),
        sa.Column("trigger_key", sa.String(length=120), nullable=False),
        sa.Column("reason", sa.String(length=300), nullable=False),
        sa.Column("outcome", _enum("task_outcome", TASK_OUTCOMES), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_by", sa.Uuid(), nullable=True),
        *_entity_columns(),
        _fk("casework_task", "case_id", "mappa_case.id"),
        _fk("casework_task", "owning_agency_id", "agency.id"),
        _fk("casework_task", "assignee_id", "hub_user.id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_casework_task")),
        sa.UniqueConstraint(
            "case_id", "rule_id", "trigger_key", name=op.f("uq_casework_task_one_task_per_trigger")
        ),
    )
    op.create_index("ix_casework_task_case_id", "casework_task", ["case_id"])
    op.create_index(
        "ix_casework_task_agency_status_due",
        "casework_task",
        ["owning_agency_id", "status", "due_date"],
    )
    op.create_table(
        "visit_plan",
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("risk_band", _enum("risk_band", RISK_BANDS), nullable=True),
        sa.Column("default_days", sa.Integer(), nullable=False),
        sa.Column("override_days", sa.Integer(), nullable=True),
        sa.Column("override_rationale", sa.Text(), nullable=True),
        sa.Column("overridden_by", sa.Uuid(), nullable=True),
        sa.Column("overridden_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_visit", sa.Date(), nullable=True),
        sa.Column("next_due", sa.Date(), nullable=False),
        sa.Column("suspended", sa.Boolean(), nullable=False),
        *_entity_columns(),
        _fk("visit_plan", "case_id", "mappa_case.id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visit_plan")),
        sa.UniqueConstraint("case_id", name=op.f("uq_visit_plan_case_id")),
    )
    op.create_index("ix_visit_plan_next_due", "visit_plan", ["next_due"])
    op.create_table(
        "reactive_management",
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("eligible_since", sa.Date(), nullable=True),
        sa.Column("assessed_on", sa.Date(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("started_on", sa.Date(), nullable=True),
        sa.Column("started_by", sa.Uuid(), nullable=True),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("end_reason", _enum("reactive_end_reason", END_REASONS), nullable=True),
        *_entity_columns(),
        _fk("reactive_management", "case_id", "mappa_case.id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reactive_management")),
        sa.UniqueConstraint("case_id", name=op.f("uq_reactive_management_case_id")),
    )
    op.create_table(
        "rosh_group_level",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("assessment_id", sa.Uuid(), nullable=False),
        sa.Column("setting", _enum("rosh_setting", ROSH_SETTINGS), nullable=False),
        sa.Column("risk_group", _enum("rosh_group", ROSH_GROUPS), nullable=False),
        sa.Column("level", _enum("risk_band", RISK_BANDS), nullable=False),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["risk_assessment.id"],
            name=op.f("fk_rosh_group_level_assessment_id_risk_assessment"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rosh_group_level")),
        sa.UniqueConstraint(
            "assessment_id", "setting", "risk_group", name=op.f("uq_rosh_group_level_assessment_id")
        ),
    )
    op.create_index("ix_rosh_group_level_assessment_id", "rosh_group_level", ["assessment_id"])


def downgrade() -> None:
    op.drop_table("rosh_group_level")
    op.drop_table("reactive_management")
    op.drop_table("visit_plan")
    op.drop_table("casework_task")
