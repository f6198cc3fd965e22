"""Level 2/3 meetings, referrals, minutes, actions and disclosure decisions (issue 8)

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-22 02:15:00

New tables only: nothing existing is altered, so no SQLite table rebuild can cascade-delete
child rows. Sealed columns (sections, summary, description, child_ref) are TEXT here; the
models seal what they write (docs/keys.md).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mappa_meeting",
        sa.Column("mappa_area", sa.String(length=100), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column(
            "type",
            sa.Enum(
                "INITIAL",
                "REVIEW",
                "EMERGENCY",
                name="meeting_type",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "SCHEDULED",
                "HELD",
                name="meeting_status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("scheduled_for", sa.Date(), nullable=False),
        sa.Column("held_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("chair_user_id", sa.Uuid(), nullable=False),
        sa.Column("owning_agency_id", sa.Uuid(), nullable=False),
        sa.Column("statement_read_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column(
            "classification",
            sa.Enum(
                "OFFICIAL",
                "OFFICIAL_SENSITIVE",
                name="classification",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint("level IN (2, 3)", name=op.f("ck_mappa_meeting_level_2_or_3")),
        sa.ForeignKeyConstraint(
            ["chair_user_id"], ["hub_user.id"], name=op.f("fk_mappa_meeting_chair_user_id_hub_user")
        ),
        sa.ForeignKeyConstraint(
            ["owning_agency_id"],
            ["agency.id"],
            name=op.f("fk_mappa_meeting_owning_agency_id_agency"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mappa_meeting")),
    )
    op.create_index(
        "ix_mappa_meeting_area_date", "mappa_meeting", ["mappa_area", "scheduled_for"], unique=False
    )
    op.create_table(
        "child_contact",
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("child_ref", sa.Text(), nullable=False),
        sa.Column(
            "context",
            sa.Enum(
                "HOUSEHOLD",
                "REGULAR_CONTACT",
                "PARTNER_CHILD",
                "OTHER",
                name="child_contact_context",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("check_requested_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("check_result", sa.String(length=500), nullable=True),
        sa.Column("checked_by", sa.Uuid(), nullable=True),
        sa.Column("owning_agency_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["mappa_case.id"], name=op.f("fk_child_contact_case_id_mappa_case")
        ),
        sa.ForeignKeyConstraint(
            ["checked_by"], ["hub_user.id"], name=op.f("fk_child_contact_checked_by_hub_user")
        ),
        sa.ForeignKeyConstraint(
            ["owning_agency_id"],
            ["agency.id"],
            name=op.f("fk_child_contact_owning_agency_id_agency"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_child_contact")),
    )
    op.create_index(op.f("ix_child_contact_case_id"), "child_contact", ["case_id"], unique=False)
    op.create_table(
        "meeting_attendee",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("meeting_id", sa.Uuid(), nullable=False),
        sa.Column("agency_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "INVITED",
                "PRESENT",
                "APOLOGIES_REPORT_SENT",
                "APOLOGIES_NO_REPORT",
                "ABSENT",
                name="attendance_status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agency.id"], name=op.f("fk_meeting_attendee_agency_id_agency")
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["mappa_meeting.id"],
            name=op.f("fk_meeting_attendee_meeting_id_mappa_meeting"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["hub_user.id"], name=op.f("fk_meeting_attendee_user_id_hub_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_attendee")),
        sa.UniqueConstraint(
            "meeting_id", "agency_id", "user_id", name=op.f("uq_meeting_attendee_meeting_id")
        ),
    )
    op.create_index(
        op.f("ix_meeting_attendee_meeting_id"), "meeting_attendee", ["meeting_id"], unique=False
    )
    op.create_table(
        "referral",
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("referrer_agency_id", sa.Uuid(), nullable=False),
        sa.Column("referrer_user_id", sa.Uuid(), nullable=True),
        sa.Column("level_requested", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "DRAFT",
                "SUBMITTED",
                "RETURNED_INCOMPLETE",
                "ACCEPTED",
                "DECLINED",
                "WITHDRAWN",
                name="referral_status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("sections", sa.Text(), nullable=True),
        sa.Column("screened_by", sa.Uuid(), nullable=True),
        sa.Column("decision_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_reason", sa.String(length=2000), nullable=True),
        sa.Column("accepted_on", sa.Date(), nullable=True),
        sa.Column("target_meeting_by", sa.Date(), nullable=True),
        sa.Column("owning_agency_id", sa.Uuid(), nullable=False),
        sa.Column(
            "classification",
            sa.Enum(
                "OFFICIAL",
                "OFFICIAL_SENSITIVE",
                name="classification",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint("level_requested IN (2, 3)", name=op.f("ck_referral_level_2_or_3")),
        sa.ForeignKeyConstraint(
            ["case_id"], ["mappa_case.id"], name=op.f("fk_referral_case_id_mappa_case")
        ),
        sa.ForeignKeyConstraint(
            ["owning_agency_id"], ["agency.id"], name=op.f("fk_referral_owning_agency_id_agency")
        ),
        sa.ForeignKeyConstraint(
            ["referrer_agency_id"],
            ["agency.id"],
            name=op.f("fk_referral_referrer_agency_id_agency"),
        ),
        sa.ForeignKeyConstraint(
            ["referrer_user_id"],
            ["hub_user.id"],
            name=op.f("fk_referral_referrer_user_id_hub_user"),
        ),
        sa.ForeignKeyConstraint(
            ["screened_by"], ["hub_user.id"], name=op.f("fk_referral_screened_by_hub_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral")),
    )
    op.create_index("ix_referral_case_status", "referral", ["case_id", "status"], unique=False)
    op.create_table(
        "meeting_case_item",
        sa.Column("meeting_id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column(
            "reason",
            sa.Enum(
                "REVIEW_DUE",
                "REVIEW_OVERDUE",
                "REFERRAL",
                "RATIFICATION",
                name="agenda_reason",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("referral_id", sa.Uuid(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "DRAFT",
                "CHAIR_APPROVED",
                name="minutes_status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("category", sa.Integer(), nullable=True),
        sa.Column("level_before", sa.Integer(), nullable=False),
        sa.Column("level_decided", sa.Integer(), nullable=True),
        sa.Column("lead_agency_id", sa.Uuid(), nullable=True),
        sa.Column("next_review_date", sa.Date(), nullable=True),
        sa.Column("review_override_reason", sa.String(length=2000), nullable=True),
        sa.Column("child_check_override_reason", sa.String(length=2000), nullable=True),
        sa.Column("no_actions", sa.Boolean(), nullable=False),
        sa.Column("sections", sa.Text(), nullable=True),
        sa.Column("approved_by", sa.Uuid(), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("owning_agency_id", sa.Uuid(), nullable=False),
        sa.Column(
            "classification",
            sa.Enum(
                "OFFICIAL",
                "OFFICIAL_SENSITIVE",
                name="classification",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "category IS NULL OR category BETWEEN 1 AND 4",
            name=op.f("ck_meeting_case_item_category"),
        ),
        sa.CheckConstraint(
            "level_decided IS NULL OR level_decided BETWEEN 1 AND 3",
            name=op.f("ck_meeting_case_item_level"),
        ),
        sa.ForeignKeyConstraint(
            ["approved_by"], ["hub_user.id"], name=op.f("fk_meeting_case_item_approved_by_hub_user")
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["mappa_case.id"], name=op.f("fk_meeting_case_item_case_id_mappa_case")
        ),
        sa.ForeignKeyConstraint(
            ["lead_agency_id"],
            ["agency.id"],
            name=op.f("fk_meeting_case_item_lead_agency_id_agency"),
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["mappa_meeting.id"],
            name=op.f("fk_meeting_case_item_meeting_id_mappa_meeting"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["owning_agency_id"],
            ["agency.id"],
            name=op.f("fk_meeting_case_item_owning_agency_id_agency"),
        ),
        sa.ForeignKeyConstraint(
            ["referral_id"], ["referral.id"], name=op.f("fk_meeting_case_item_referral_id_referral")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_case_item")),
        sa.UniqueConstraint("meeting_id", "case_id", name=op.f("uq_meeting_case_item_meeting_id")),
    )
    op.create_index(
        op.f("ix_meeting_case_item_case_id"), "meeting_case_item", ["case_id"], unique=False
    )
    op.create_index(
        op.f("ix_meeting_case_item_meeting_id"), "meeting_case_item", ["meeting_id"], unique=False
    )
    op.create_table(
        "disclosure_decision",
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("item_id", sa.Uuid(), nullable=True),
        sa.Column(
            "route",
            sa.Enum(
                "MAPPA_RMP",
                "CJA_327A",
                "CSODS",
                "DVDS",
                name="disclosure_route",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column(
            "decision",
            sa.Enum(
                "DISCLOSE",
                "DO_NOT_DISCLOSE",
                "DEFER",
                name="disclosure_choice",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("disclosed_on", sa.Date(), nullable=True),
        sa.Column("undertaking_signed_on", sa.Date(), nullable=True),
        sa.Column("offender_informed", sa.Boolean(), nullable=True),
        sa.Column(
            "not_informed_reason",
            sa.Enum(
                "WOULD_INCREASE_RISK",
                "WOULD_OBSTRUCT_INVESTIGATION",
                "OTHER",
                name="not_informed_reason",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=True,
        ),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ratified_item_id", sa.Uuid(), nullable=True),
        sa.Column("decided_by", sa.Uuid(), nullable=True),
        sa.Column("owning_agency_id", sa.Uuid(), nullable=False),
        sa.Column("sections", sa.Text(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["mappa_case.id"], name=op.f("fk_disclosure_decision_case_id_mappa_case")
        ),
        sa.ForeignKeyConstraint(
            ["decided_by"], ["hub_user.id"], name=op.f("fk_disclosure_decision_decided_by_hub_user")
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["meeting_case_item.id"],
            name=op.f("fk_disclosure_decision_item_id_meeting_case_item"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["owning_agency_id"],
            ["agency.id"],
            name=op.f("fk_disclosure_decision_owning_agency_id_agency"),
        ),
        sa.ForeignKeyConstraint(
            ["ratified_item_id"],
            ["meeting_case_item.id"],
            name=op.f("fk_disclosure_decision_ratified_item_id_meeting_case_item"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disclosure_decision")),
    )
    op.create_index(
        "ix_disclosure_decision_case",
        "disclosure_decision",
        ["case_id", "ratified_item_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_disclosure_decision_item_id"), "disclosure_decision", ["item_id"], unique=False
    )
    op.create_table(
        "meeting_action",
        sa.Column("item_id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column(
            "rmp_pillar",
            sa.Enum(
                "SUPERVISION",
                "MONITORING_AND_CONTROL",
                "INTERVENTIONS_AND_TREATMENT",
                "VICTIM_SAFETY_PLANNING",
                "CONTINGENCY",
                name="rmp_pillar",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=True,
        ),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("owner_agency_id", sa.Uuid(), nullable=False),
        sa.Column("owner_name", sa.String(length=200), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "OPEN",
                "DONE",
                "CANCELLED",
                name="action_status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["mappa_case.id"], name=op.f("fk_meeting_action_case_id_mappa_case")
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["meeting_case_item.id"],
            name=op.f("fk_meeting_action_item_id_meeting_case_item"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["owner_agency_id"],
            ["agency.id"],
            name=op.f("fk_meeting_action_owner_agency_id_agency"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_action")),
    )
    op.create_index(op.f("ix_meeting_action_case_id"), "meeting_action", ["case_id"], unique=False)
    op.create_index(op.f("ix_meeting_action_item_id"), "meeting_action", ["item_id"], unique=False)
    op.create_index(
        "ix_meeting_action_open_due", "meeting_action", ["status", "due_date"], unique=False
    )
    op.create_table(
        "meeting_contribution",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("item_id", sa.Uuid(), nullable=False),
        sa.Column("agency_id", sa.Uuid(), nullable=False),
        sa.Column("submitted_by", sa.Uuid(), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agency.id"], name=op.f("fk_meeting_contribution_agency_id_agency")
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["meeting_case_item.id"],
            name=op.f("fk_meeting_contribution_item_id_meeting_case_item"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["submitted_by"],
            ["hub_user.id"],
            name=op.f("fk_meeting_contribution_submitted_by_hub_user"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_contribution")),
        sa.UniqueConstraint("item_id", "agency_id", name=op.f("uq_meeting_contribution_item_id")),
    )
    op.create_index(
        op.f("ix_meeting_contribution_item_id"), "meeting_contribution", ["item_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_meeting_contribution_item_id"), table_name="meeting_contribution")
    op.drop_table("meeting_contribution")
    op.drop_index("ix_meeting_action_open_due", table_name="meeting_action")
    op.drop_index(op.f("ix_meeting_action_item_id"), table_name="meeting_action")
    op.drop_index(op.f("ix_meeting_action_case_id"), table_name="meeting_action")
    op.drop_table("meeting_action")
    op.drop_index(op.f("ix_disclosure_decision_item_id"), table_name="disclosure_decision")
    op.drop_index("ix_disclosure_decision_case", table_name="disclosure_decision")
    op.drop_table("disclosure_decision")
    op.drop_index(op.f("ix_meeting_case_item_meeting_id"), table_name="meeting_case_item")
    op.drop_index(op.f("ix_meeting_case_item_case_id"), table_name="meeting_case_item")
    op.drop_table("meeting_case_item")
    op.drop_index("ix_referral_case_status", table_name="referral")
    op.drop_table("referral")
    op.drop_index(op.f("ix_meeting_attendee_meeting_id"), table_name="meeting_attendee")
    op.drop_table("meeting_attendee")
    op.drop_index(op.f("ix_child_contact_case_id"), table_name="child_contact")
    op.drop_table("child_contact")
    op.drop_index("ix_mappa_meeting_area_date", table_name="mappa_meeting")
    op.drop_table("mappa_meeting")
