"""COSA circles, volunteers, circle meetings and concerns (issue 9)

Circles, their outer circle, volunteers, shared-profile entries, meetings, concerns, in-app
notices, and the portal's own sessions. Sealed columns (volunteer names, profile text,
meeting summaries, concern descriptions and outcomes) are Text holding envelopes.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-22 02:15:00

New tables only: nothing existing is altered, so no SQLite table rebuild can cascade-delete
child rows.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "portal_session",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("mfa_passed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["hub_user.id"],
            name=op.f("fk_portal_session_user_id_hub_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_session")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_portal_session_token_hash")),
    )
    op.create_index(op.f("ix_portal_session_user_id"), "portal_session", ["user_id"], unique=False)
    op.create_table(
        "circle",
        sa.Column("reference", sa.String(length=40), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("provider_agency_id", sa.Uuid(), nullable=False),
        sa.Column("coordinator_user_id", sa.Uuid(), nullable=False),
        sa.Column("manager_user_id", sa.Uuid(), nullable=False),
        sa.Column(
            "type",
            sa.Enum(
                "COMMUNITY",
                "THROUGH_THE_GATE",
                "INTELLECTUAL_DISABILITY",
                "YOUTH",
                name="circle_type",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "PROPOSED",
                "ACTIVE",
                "SUSPENDED",
                "ENDED",
                name="circle_status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("consent_signed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("consent_withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("contract_signed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("planned_end", sa.Date(), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["mappa_case.id"], name=op.f("fk_circle_case_id_mappa_case")
        ),
        sa.ForeignKeyConstraint(
            ["coordinator_user_id"],
            ["hub_user.id"],
            name=op.f("fk_circle_coordinator_user_id_hub_user"),
        ),
        sa.ForeignKeyConstraint(
            ["manager_user_id"], ["hub_user.id"], name=op.f("fk_circle_manager_user_id_hub_user")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_circle_person_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["provider_agency_id"], ["agency.id"], name=op.f("fk_circle_provider_agency_id_agency")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_circle")),
        sa.UniqueConstraint("reference", name=op.f("uq_circle_reference")),
    )
    op.create_index(op.f("ix_circle_case_id"), "circle", ["case_id"], unique=False)
    op.create_index(
        op.f("ix_circle_coordinator_user_id"), "circle", ["coordinator_user_id"], unique=False
    )
    op.create_table(
        "circle_meeting",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("circle_id", sa.Uuid(), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("attendees", sa.Integer(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("goals_progress", sa.Text(), nullable=True),
        sa.Column("recorded_by", sa.Uuid(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("minutes_due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("minutes_sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("minutes_sent_by", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["circle_id"], ["circle.id"], name=op.f("fk_circle_meeting_circle_id_circle")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_circle_meeting")),
    )
    op.create_index(
        op.f("ix_circle_meeting_circle_id"), "circle_meeting", ["circle_id"], unique=False
    )
    op.create_table(
        "circle_outer_member",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("circle_id", sa.Uuid(), nullable=False),
        sa.Column("agency_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "POLICE_CONTACT",
                "PROBATION_CONTACT",
                "OTHER",
                name="outer_role",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agency.id"], name=op.f("fk_circle_outer_member_agency_id_agency")
        ),
        sa.ForeignKeyConstraint(
            ["circle_id"], ["circle.id"], name=op.f("fk_circle_outer_member_circle_id_circle")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["hub_user.id"], name=op.f("fk_circle_outer_member_user_id_hub_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_circle_outer_member")),
        sa.UniqueConstraint("circle_id", "user_id", name=op.f("uq_circle_outer_member_circle_id")),
    )
    op.create_index(
        op.f("ix_circle_outer_member_circle_id"), "circle_outer_member", ["circle_id"], unique=False
    )
    op.create_table(
        "circle_profile_entry",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("circle_id", sa.Uuid(), nullable=False),
        sa.Column("field", sa.String(length=40), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("set_by", sa.Uuid(), nullable=True),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["circle_id"], ["circle.id"], name=op.f("fk_circle_profile_entry_circle_id_circle")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_circle_profile_entry")),
        sa.UniqueConstraint("circle_id", "field", name=op.f("uq_circle_profile_entry_circle_id")),
    )
    op.create_index(
        op.f("ix_circle_profile_entry_circle_id"),
        "circle_profile_entry",
        ["circle_id"],
        unique=False,
    )
    op.create_table(
        "circle_volunteer",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("circle_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("dbs_check_date", sa.Date(), nullable=True),
        sa.Column("trained_on", sa.Date(), nullable=True),
        sa.Column("vetted", sa.Boolean(), nullable=False),
        sa.Column("joined_on", sa.Date(), nullable=False),
        sa.Column("left_on", sa.Date(), nullable=True),
        sa.Column("added_by", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["circle_id"], ["circle.id"], name=op.f("fk_circle_volunteer_circle_id_circle")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_circle_volunteer")),
    )
    op.create_index(
        op.f("ix_circle_volunteer_circle_id"), "circle_volunteer", ["circle_id"], unique=False
    )
    op.create_table(
        "concern",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("circle_id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("raised_by", sa.Uuid(), nullable=False),
        sa.Column("reported_by_volunteer_id", sa.Uuid(), nullable=True),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "category",
            sa.Enum(
                "RISK_INDICATOR",
                "POSSIBLE_BREACH",
                "WELFARE",
                "VOLUNTEER_SAFETY",
                "OTHER",
                name="concern_category",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column(
            "severity",
            sa.Enum(
                "ROUTINE",
                "SIGNIFICANT",
                "URGENT",
                name="severity",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("acknowledge_by", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_by", sa.Uuid(), nullable=True),
        sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("escalated_to", sa.Uuid(), nullable=True),
        sa.Column("outcome", sa.Text(), nullable=True),
        sa.Column("outcome_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome_by", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["mappa_case.id"], name=op.f("fk_concern_case_id_mappa_case")
        ),
        sa.ForeignKeyConstraint(
            ["circle_id"], ["circle.id"], name=op.f("fk_concern_circle_id_circle")
        ),
        sa.ForeignKeyConstraint(
            ["raised_by"], ["hub_user.id"], name=op.f("fk_concern_raised_by_hub_user")
        ),
        sa.ForeignKeyConstraint(
            ["reported_by_volunteer_id"],
            ["circle_volunteer.id"],
            name=op.f("fk_concern_reported_by_volunteer_id_circle_volunteer"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_concern")),
    )
    op.create_index(op.f("ix_concern_circle_id"), "concern", ["circle_id"], unique=False)
    op.create_index("ix_concern_open", "concern", ["case_id", "acknowledged_at"], unique=False)
    op.create_table(
        "cosa_notice",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("circle_id", sa.Uuid(), nullable=False),
        sa.Column("concern_id", sa.Uuid(), nullable=True),
        sa.Column(
            "kind",
            sa.Enum(
                "CONCERN_URGENT",
                "CONCERN_RAISED",
                "CONCERN_ESCALATED",
                "CONCERN_OUTCOME",
                "CIRCLE_SUSPENDED",
                "MINUTES_SENT",
                name="notice_kind",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["circle_id"], ["circle.id"], name=op.f("fk_cosa_notice_circle_id_circle")
        ),
        sa.ForeignKeyConstraint(
            ["concern_id"], ["concern.id"], name=op.f("fk_cosa_notice_concern_id_concern")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["hub_user.id"], name=op.f("fk_cosa_notice_user_id_hub_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cosa_notice")),
    )
    op.create_index("ix_cosa_notice_user", "cosa_notice", ["user_id", "read_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_cosa_notice_user", table_name="cosa_notice")
    op.drop_table("cosa_notice")
    op.drop_index("ix_concern_open", table_name="concern")
    op.drop_index(op.f("ix_concern_circle_id"), table_name="concern")
    op.drop_table("concern")
    op.drop_index(op.f("ix_circle_volunteer_circle_id"), table_name="circle_volunteer")
    op.drop_table("circle_volunteer")
    op.drop_index(op.f("ix_circle_profile_entry_circle_id"), table_name="circle_profile_entry")
    op.drop_table("circle_profile_entry")
    op.drop_index(op.f("ix_circle_outer_member_circle_id"), table_name="circle_outer_member")
    op.drop_table("circle_outer_member")
    op.drop_index(op.f("ix_circle_meeting_circle_id"), table_name="circle_meeting")
    op.drop_table("circle_meeting")
    op.drop_index(op.f("ix_circle_coordinator_user_id"), table_name="circle")
    op.drop_index(op.f("ix_circle_case_id"), table_name="circle")
    op.drop_table("circle")
    op.drop_index(op.f("ix_portal_session_user_id"), table_name="portal_session")
    op.drop_table("portal_session")
