"""the shared case record

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-21 21:04:58.952165
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

# The audit log is append-only in the database itself (DPA 2018 s.62): even the hub's own
# database role cannot rewrite an entry. PostgreSQL also refuses TRUNCATE.
PG_AUDIT_GUARD = """
CREATE FUNCTION audit_entry_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit entries are append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_entry_no_update BEFORE UPDATE OR DELETE ON audit_entry
    FOR EACH ROW EXECUTE FUNCTION audit_entry_append_only();
CREATE TRIGGER audit_entry_no_truncate BEFORE TRUNCATE ON audit_entry
    FOR EACH STATEMENT EXECUTE FUNCTION audit_entry_append_only();
"""
PG_AUDIT_GUARD_DROP = """
DROP TRIGGER IF EXISTS audit_entry_no_truncate ON audit_entry;
DROP TRIGGER IF EXISTS audit_entry_no_update ON audit_entry;
DROP FUNCTION IF EXISTS audit_entry_append_only();
"""
SQLITE_AUDIT_GUARD = [
    """CREATE TRIGGER audit_entry_no_update BEFORE UPDATE ON audit_entry
       BEGIN SELECT RAISE(ABORT, 'audit entries are append-only: UPDATE refused'); END""",
    """CREATE TRIGGER audit_entry_no_delete BEFORE DELETE ON audit_entry
       BEGIN SELECT RAISE(ABORT, 'audit entries are append-only: DELETE refused'); END""",
]
SQLITE_AUDIT_GUARD_DROP = [
    "DROP TRIGGER IF EXISTS audit_entry_no_update",
    "DROP TRIGGER IF EXISTS audit_entry_no_delete",
]


revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "agency",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "type",
            sa.Enum(
                "RA_POLICE",
                "RA_PROBATION",
                "RA_PRISON",
                "DTC_CHILDRENS_SERVICES",
                "DTC_ADULT_SOCIAL_CARE",
                "DTC_HOUSING",
                "DTC_EDUCATION",
                "DTC_HEALTH",
                "DTC_YOUTH_OFFENDING",
                "DTC_JOBCENTRE",
                "DTC_IMMIGRATION",
                "DTC_ELECTRONIC_MONITORING",
                "ASSOCIATE",
                "COSA_PROVIDER",
                name="agency_type",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("mappa_area", sa.String(length=100), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agency")),
        sa.UniqueConstraint("code", name=op.f("uq_agency_code")),
    )
    op.create_table(
        "audit_entry",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "operation",
            sa.Enum(
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
                name="audit_operation",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("canonical", sa.Text(), nullable=False),
        sa.Column("leaf_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("subject_person_id", sa.String(length=36), nullable=True),
        sa.Column("case_id", sa.String(length=36), nullable=True),
        sa.Column("actor_agency_id", sa.String(length=36), nullable=True),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_entry")),
    )
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_audit_entry_actor_agency_id"), ["actor_agency_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_audit_entry_case_id"), ["case_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_audit_entry_subject_person_id"), ["subject_person_id"], unique=False
        )

    op.create_table(
        "hub_user",
        sa.Column("agency_id", sa.Uuid(), nullable=False),
        sa.Column("username", sa.String(length=100), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("vetting_level", sa.String(length=20), nullable=False),
        sa.Column("vetting_expires", sa.Date(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agency.id"], name=op.f("fk_hub_user_agency_id_agency")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hub_user")),
        sa.UniqueConstraint("username", name=op.f("uq_hub_user_username")),
    )
    with op.batch_alter_table("hub_user", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_hub_user_agency_id"), ["agency_id"], unique=False)

    op.create_table(
        "person",
        sa.Column(
            "status",
            sa.Enum(
                "ACTIVE",
                "HELD_AS_DUPLICATE",
                "MERGED",
                name="person_status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("merged_into_id", sa.Uuid(), nullable=True),
        sa.Column("date_of_birth", sa.Date(), nullable=False),
        sa.Column(
            "sex",
            sa.Enum(
                "MALE",
                "FEMALE",
                "OTHER",
                "NOT_KNOWN",
                name="sex",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("ethnicity_text", sa.String(length=200), nullable=True),
        sa.Column("nationality", sa.String(length=100), nullable=True),
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
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["merged_into_id"], ["person.id"], name=op.f("fk_person_merged_into_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["owning_agency_id"], ["agency.id"], name=op.f("fk_person_owning_agency_id_agency")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person")),
    )
    op.create_table(
        "address",
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column(
            "type",
            sa.Enum(
                "HOME",
                "TEMPORARY_STAY",
                "NFA_REGULAR_PLACE",
                "APPROVED_PREMISES",
                "HOSPITAL",
                "CUSTODY",
                name="address_type",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("line1", sa.String(length=200), nullable=False),
        sa.Column("line2", sa.String(length=200), nullable=True),
        sa.Column("town", sa.String(length=100), nullable=False),
        sa.Column("postcode", sa.String(length=10), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("verified_by", sa.Uuid(), nullable=True),
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
        sa.ForeignKeyConstraint(
            ["owning_agency_id"], ["agency.id"], name=op.f("fk_address_owning_agency_id_agency")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_address_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_address")),
    )
    with op.batch_alter_table("address", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_address_person_id"), ["person_id"], unique=False)

    op.create_table(
        "civil_order",
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column(
            "type",
            sa.Enum(
                "SHPO",
                "INTERIM_SHPO",
                "SRO",
                "INTERIM_SRO",
                "NOTIFICATION_ORDER",
                "STALKING_PROTECTION",
                "DAPO",
                "SVRO",
                "OTHER",
                name="order_type",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("court", sa.String(length=200), nullable=False),
        sa.Column("made_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("until_further_order", sa.Boolean(), nullable=False),
        sa.Column("passport_surrendered", sa.Boolean(), nullable=True),
        sa.Column("owning_agency_id", sa.Uuid(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["owning_agency_id"], ["agency.id"], name=op.f("fk_civil_order_owning_agency_id_agency")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_civil_order_person_id_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_civil_order")),
    )
    with op.batch_alter_table("civil_order", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_civil_order_person_id"), ["person_id"], unique=False)

    op.create_table(
        "duplicate_review",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("held_person_id", sa.Uuid(), nullable=False),
        sa.Column("existing_person_id", sa.Uuid(), nullable=False),
        sa.Column(
            "matched_on",
            sa.Enum(
                "PNC",
                "CRN",
                "NAME_DOB_IDENTIFIER",
                name="duplicate_match",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column(
            "outcome",
            sa.Enum(
                "OPEN",
                "SAME_PERSON",
                "DIFFERENT_PEOPLE",
                "SUPERSEDED",
                name="duplicate_outcome",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_by", sa.Uuid(), nullable=True),
        sa.Column("reason", sa.String(length=1000), nullable=True),
        sa.ForeignKeyConstraint(
            ["existing_person_id"],
            ["person.id"],
            name=op.f("fk_duplicate_review_existing_person_id_person"),
        ),
        sa.ForeignKeyConstraint(
            ["held_person_id"],
            ["person.id"],
            name=op.f("fk_duplicate_review_held_person_id_person"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duplicate_review")),
    )
    with op.batch_alter_table("duplicate_review", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_duplicate_review_held_person_id"), ["held_person_id"], unique=False
        )

    op.create_table(
        "mappa_case",
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("mappa_area", sa.String(length=100), nullable=False),
        sa.Column("category", sa.Integer(), nullable=False),
        sa.Column("current_level", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "ACTIVE",
                "EXIT_REVIEW",
                "CLOSED",
                name="case_status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("lead_agency_id", sa.Uuid(), nullable=False),
        sa.Column(
            "location_status",
            sa.Enum(
                "COMMUNITY",
                "CUSTODY",
                "HOSPITAL",
                "ABROAD",
                "WANTED",
                "MISSING",
                name="location_status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("end_reason", sa.String(length=500), nullable=True),
        sa.Column("next_review_due", sa.Date(), nullable=True),
        sa.Column("cppc_flag", sa.Boolean(), nullable=False),
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
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "current_level = 1 OR status <> 'ACTIVE' OR next_review_due IS NOT NULL",
            name=op.f("ck_mappa_case_level23_has_review"),
        ),
        sa.CheckConstraint(
            "NOT (category = 3 AND current_level = 1)", name=op.f("ck_mappa_case_cat3_not_level1")
        ),
        sa.CheckConstraint("category BETWEEN 1 AND 4", name=op.f("ck_mappa_case_category_1_to_4")),
        sa.CheckConstraint(
            "current_level BETWEEN 1 AND 3", name=op.f("ck_mappa_case_level_1_to_3")
        ),
        sa.ForeignKeyConstraint(
            ["lead_agency_id"], ["agency.id"], name=op.f("fk_mappa_case_lead_agency_id_agency")
        ),
        sa.ForeignKeyConstraint(
            ["owning_agency_id"], ["agency.id"], name=op.f("fk_mappa_case_owning_agency_id_agency")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_mappa_case_person_id_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mappa_case")),
    )
    with op.batch_alter_table("mappa_case", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_mappa_case_lead_agency_id"), ["lead_agency_id"], unique=False
        )
        batch_op.create_index(
            "ix_mappa_case_list", ["mappa_area", "status", "current_level"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_mappa_case_next_review_due"), ["next_review_due"], unique=False
        )
        batch_op.create_index(
            "uq_mappa_case_open_per_person",
            ["person_id"],
            unique=True,
            sqlite_where=sa.text("status <> 'CLOSED'"),
            postgresql_where=sa.text("status <> 'CLOSED'"),
        )

    op.create_table(
        "notification_requirement",
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column(
            "regime",
            sa.Enum(
                "SOA_PART2",
                "CTA_2008_PART4",
                name="notification_regime",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("relevant_date", sa.Date(), nullable=False),
        sa.Column("indefinite", sa.Boolean(), nullable=False),
        sa.Column("period_years", sa.Double(), nullable=True),
        sa.Column("halved_for_youth", sa.Boolean(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("review_eligibility_date", sa.Date(), nullable=True),
        sa.Column("last_periodic_notification", sa.Date(), nullable=True),
        sa.Column("next_periodic_due", sa.Date(), nullable=True),
        sa.Column("weekly_required", sa.Boolean(), nullable=False),
        sa.Column("prescribed_station", sa.String(length=200), nullable=True),
        sa.Column("owning_agency_id", sa.Uuid(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["owning_agency_id"],
            ["agency.id"],
            name=op.f("fk_notification_requirement_owning_agency_id_agency"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_notification_requirement_person_id_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_requirement")),
    )
    with op.batch_alter_table("notification_requirement", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_notification_requirement_next_periodic_due"),
            ["next_periodic_due"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_notification_requirement_person_id"), ["person_id"], unique=False
        )

    op.create_table(
        "person_identifier",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column(
            "scheme",
            sa.Enum(
                "PNC",
                "CRN",
                "NOMIS",
                "VISOR",
                "NHS_NUMBER",
                "NI_NUMBER",
                "LOCAL",
                name="identifier_scheme",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("value", sa.String(length=64), nullable=False),
        sa.Column("source_agency_id", sa.Uuid(), nullable=True),
        sa.Column("claims", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_person_identifier_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["source_agency_id"],
            ["agency.id"],
            name=op.f("fk_person_identifier_source_agency_id_agency"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person_identifier")),
    )
    with op.batch_alter_table("person_identifier", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_person_identifier_person_id"), ["person_id"], unique=False
        )
        batch_op.create_index(
            "ix_person_identifier_scheme_value", ["scheme", "value"], unique=False
        )
        batch_op.create_index(
            "uq_person_identifier_claimed",
            ["scheme", "value"],
            unique=True,
            sqlite_where=sa.text("claims"),
            postgresql_where=sa.text("claims"),
        )

    op.create_table(
        "person_name",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column(
            "type",
            sa.Enum(
                "PRIMARY",
                "ALIAS",
                "NICKNAME",
                "PREVIOUS",
                name="name_type",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("given", sa.String(length=100), nullable=False),
        sa.Column("family", sa.String(length=100), nullable=False),
        sa.Column("given_key", sa.String(length=100), nullable=False),
        sa.Column("family_key", sa.String(length=100), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_person_name_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person_name")),
    )
    with op.batch_alter_table("person_name", schema=None) as batch_op:
        batch_op.create_index("ix_person_name_match", ["family_key", "given_key"], unique=False)
        batch_op.create_index(batch_op.f("ix_person_name_person_id"), ["person_id"], unique=False)

    op.create_table(
        "user_role",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "MAPPA_CHAIR_L2",
                "MAPPA_CHAIR_L3",
                "MAPPA_COORDINATOR",
                "OFFENDER_MANAGER",
                "MOSOVO_OFFICER",
                "DTC_REP",
                "HEALTH_DISCLOSER",
                "COSA_COORDINATOR",
                "COSA_VOLUNTEER",
                "AUDITOR",
                "SMB_MEMBER",
                "LAY_ADVISER",
                "SYSTEM_API_CLIENT",
                name="role",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["hub_user.id"],
            name=op.f("fk_user_role_user_id_hub_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_role")),
        sa.UniqueConstraint("user_id", "role", name=op.f("uq_user_role_user_id")),
    )
    op.create_table(
        "case_change",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "CATEGORY",
                "LEVEL",
                "STATUS",
                "LEAD_AGENCY",
                name="case_change_kind",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("old_value", sa.String(length=64), nullable=True),
        sa.Column("new_value", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.String(length=2000), nullable=False),
        sa.Column(
            "level_two_basis",
            sa.Enum(
                "ROSH_HIGH_OR_VERY_HIGH",
                "EXCEPTIONAL_COORDINATION",
                "STEP_DOWN_FROM_LEVEL_3",
                name="level_two_basis",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=True,
        ),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed_by", sa.Uuid(), nullable=True),
        sa.Column("meeting_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["mappa_case.id"],
            name=op.f("fk_case_change_case_id_mappa_case"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_change")),
    )
    with op.batch_alter_table("case_change", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_change_case_id"), ["case_id"], unique=False)

    op.create_table(
        "case_membership",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("agency_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column(
            "role",
            sa.Enum(
                "LEAD_CASE_MANAGER",
                "CASE_MANAGER",
                "AGENCY_CONTACT",
                "CHAIR",
                "COORDINATOR",
                name="membership_role",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("since", sa.Date(), nullable=False),
        sa.Column("until", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agency.id"], name=op.f("fk_case_membership_agency_id_agency")
        ),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["mappa_case.id"],
            name=op.f("fk_case_membership_case_id_mappa_case"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["hub_user.id"], name=op.f("fk_case_membership_user_id_hub_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_membership")),
        sa.UniqueConstraint(
            "case_id", "agency_id", "user_id", "role", name=op.f("uq_case_membership_case_id")
        ),
    )
    with op.batch_alter_table("case_membership", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_case_membership_agency_id"), ["agency_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_case_membership_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_case_membership_user_id"), ["user_id"], unique=False)

    op.create_table(
        "information_item",
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("owning_agency_id", sa.Uuid(), nullable=False),
        sa.Column(
            "category",
            sa.Enum(
                "CONVICTION",
                "INTELLIGENCE",
                "HEALTH",
                "VICTIM",
                "CHILD",
                "FINANCIAL",
                "LOCATION",
                "RISK",
                "OTHER",
                name="category",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
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
        sa.Column(
            "legal_basis",
            sa.Enum(
                "CJA_S325",
                "DPA_PART3",
                "UKGDPR_PUBLIC_TASK",
                "CONSENT",
                "PUBLIC_INTEREST",
                "STATUTE",
                "COURT_ORDER",
                name="legal_basis",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("originator_control", sa.Boolean(), nullable=False),
        sa.Column(
            "source_system",
            sa.Enum(
                "ARNS",
                "NDELIUS",
                "OASYS",
                "VISOR_MAPPS",
                "PNC",
                "NHS",
                "COSA",
                "MANUAL",
                "DEMO",
                name="source_system",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("source_reference", sa.String(length=200), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("review_by", sa.Date(), nullable=True),
        sa.Column("superseded_by_id", sa.Uuid(), nullable=True),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["mappa_case.id"], name=op.f("fk_information_item_case_id_mappa_case")
        ),
        sa.ForeignKeyConstraint(
            ["owning_agency_id"],
            ["agency.id"],
            name=op.f("fk_information_item_owning_agency_id_agency"),
        ),
        sa.ForeignKeyConstraint(
            ["superseded_by_id"],
            ["information_item.id"],
            name=op.f("fk_information_item_superseded_by_id_information_item"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_information_item")),
    )
    with op.batch_alter_table("information_item", schema=None) as batch_op:
        batch_op.create_index(
            "ix_information_item_case_category", ["case_id", "category"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_information_item_case_id"), ["case_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_information_item_owning_agency_id"), ["owning_agency_id"], unique=False
        )
        batch_op.create_index(
            "uq_information_item_provenance",
            ["owning_agency_id", "source_system", "source_reference"],
            unique=True,
            sqlite_where=sa.text("source_reference IS NOT NULL"),
            postgresql_where=sa.text("source_reference IS NOT NULL"),
        )

    op.create_table(
        "notification_event",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("requirement_id", sa.Uuid(), nullable=False),
        sa.Column(
            "type",
            sa.Enum(
                "INITIAL",
                "CHANGE_NAME",
                "CHANGE_ADDRESS",
                "QUALIFYING_STAY",
                "RELEASE",
                "PERIODIC",
                "WEEKLY_NFA",
                "CHILD_HOUSEHOLD",
                "BANK_CARD",
                "IDENTITY_DOC",
                "TRAVEL",
                name="notification_event_type",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("trigger_date", sa.Date(), nullable=False),
        sa.Column("due_by", sa.Date(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("station", sa.String(length=200), nullable=True),
        sa.Column("in_advance_expected_date", sa.Date(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "DUE",
                "RECEIVED",
                "LATE",
                "MISSED",
                name="notification_event_status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["requirement_id"],
            ["notification_requirement.id"],
            name=op.f("fk_notification_event_requirement_id_notification_requirement"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_event")),
    )
    with op.batch_alter_table("notification_event", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_notification_event_requirement_id"), ["requirement_id"], unique=False
        )

    op.create_table(
        "order_prohibition",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column(
            "category",
            sa.Enum(
                "INTERNET",
                "CHILD_CONTACT",
                "EMPLOYMENT",
                "EXCLUSION_ZONE",
                "FOREIGN_TRAVEL",
                "OTHER",
                name="prohibition_category",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("until_further_order", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["civil_order.id"],
            name=op.f("fk_order_prohibition_order_id_civil_order"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_prohibition")),
    )
    with op.batch_alter_table("order_prohibition", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_order_prohibition_order_id"), ["order_id"], unique=False
        )

    op.create_table(
        "risk_assessment",
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=True),
        sa.Column(
            "tool",
            sa.Enum(
                "OASYS_ROSH",
                "OSP_DC",
                "OSP_IIC",
                "DC_SRP",
                "IIC_SRP",
                "RSR",
                "CSRP",
                "OGRS3",
                "ARP",
                "RM2000_S",
                "RM2000_V",
                "RM2000_C",
                "ARMS",
                "SARA",
                "HCR20",
                "STABLE2007",
                "ACUTE2007",
                "ASSETPLUS",
                "OTHER",
                name="risk_tool",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("algorithm_version", sa.String(length=40), nullable=False),
        sa.Column("score", sa.Numeric(precision=8, scale=3), nullable=True),
        sa.Column(
            "band",
            sa.Enum(
                "LOW",
                "MEDIUM",
                "HIGH",
                "VERY_HIGH",
                "NOT_APPLICABLE",
                name="risk_band",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("not_applicable_reason", sa.String(length=300), nullable=True),
        sa.Column("assessed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("assessor", sa.String(length=200), nullable=True),
        sa.Column("owning_agency_id", sa.Uuid(), nullable=False),
        sa.Column(
            "source_system",
            sa.Enum(
                "ARNS",
                "NDELIUS",
                "OASYS",
                "VISOR_MAPPS",
                "PNC",
                "NHS",
                "COSA",
                "MANUAL",
                "DEMO",
                name="source_system",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("source_reference", sa.String(length=200), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "DRAFT",
                "COMPLETE",
                "SUPERSEDED",
                name="assessment_status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("next_review_due", sa.Date(), nullable=True),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["mappa_case.id"], name=op.f("fk_risk_assessment_case_id_mappa_case")
        ),
        sa.ForeignKeyConstraint(
            ["owning_agency_id"],
            ["agency.id"],
            name=op.f("fk_risk_assessment_owning_agency_id_agency"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_risk_assessment_person_id_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_assessment")),
    )
    with op.batch_alter_table("risk_assessment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_risk_assessment_case_id"), ["case_id"], unique=False)
        batch_op.create_index(
            "ix_risk_assessment_person_tool", ["person_id", "tool", "assessed_at"], unique=False
        )

    op.create_table(
        "item_annotation",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("item_id", sa.Uuid(), nullable=False),
        sa.Column("agency_id", sa.Uuid(), nullable=False),
        sa.Column("author_id", sa.Uuid(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agency.id"], name=op.f("fk_item_annotation_agency_id_agency")
        ),
        sa.ForeignKeyConstraint(
            ["author_id"], ["hub_user.id"], name=op.f("fk_item_annotation_author_id_hub_user")
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["information_item.id"],
            name=op.f("fk_item_annotation_item_id_information_item"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_item_annotation")),
    )
    with op.batch_alter_table("item_annotation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_item_annotation_item_id"), ["item_id"], unique=False)

    op.create_table(
        "item_named_agency",
        sa.Column("item_id", sa.Uuid(), nullable=False),
        sa.Column("agency_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agency.id"], name=op.f("fk_item_named_agency_agency_id_agency")
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["information_item.id"],
            name=op.f("fk_item_named_agency_item_id_information_item"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("item_id", "agency_id", name=op.f("pk_item_named_agency")),
    )
    _guard_audit_log()


def downgrade() -> None:
    _unguard_audit_log()
    op.drop_table("item_named_agency")
    with op.batch_alter_table("item_annotation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_item_annotation_item_id"))

    op.drop_table("item_annotation")
    with op.batch_alter_table("risk_assessment", schema=None) as batch_op:
        batch_op.drop_index("ix_risk_assessment_person_tool")
        batch_op.drop_index(batch_op.f("ix_risk_assessment_case_id"))

    op.drop_table("risk_assessment")
    with op.batch_alter_table("order_prohibition", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_order_prohibition_order_id"))

    op.drop_table("order_prohibition")
    with op.batch_alter_table("notification_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notification_event_requirement_id"))

    op.drop_table("notification_event")
    with op.batch_alter_table("information_item", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_information_item_provenance",
            sqlite_where=sa.text("source_reference IS NOT NULL"),
            postgresql_where=sa.text("source_reference IS NOT NULL"),
        )
        batch_op.drop_index(batch_op.f("ix_information_item_owning_agency_id"))
        batch_op.drop_index(batch_op.f("ix_information_item_case_id"))
        batch_op.drop_index("ix_information_item_case_category")

    op.drop_table("information_item")
    with op.batch_alter_table("case_membership", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_membership_user_id"))
        batch_op.drop_index(batch_op.f("ix_case_membership_case_id"))
        batch_op.drop_index(batch_op.f("ix_case_membership_agency_id"))

    op.drop_table("case_membership")
    with op.batch_alter_table("case_change", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_change_case_id"))

    op.drop_table("case_change")
    op.drop_table("user_role")
    with op.batch_alter_table("person_name", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_person_name_person_id"))
        batch_op.drop_index("ix_person_name_match")

    op.drop_table("person_name")
    with op.batch_alter_table("person_identifier", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_person_identifier_claimed",
            sqlite_where=sa.text("claims"),
            postgresql_where=sa.text("claims"),
        )
        batch_op.drop_index("ix_person_identifier_scheme_value")
        batch_op.drop_index(batch_op.f("ix_person_identifier_person_id"))

    op.drop_table("person_identifier")
    with op.batch_alter_table("notification_requirement", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notification_requirement_person_id"))
        batch_op.drop_index(batch_op.f("ix_notification_requirement_next_periodic_due"))

    op.drop_table("notification_requirement")
    with op.batch_alter_table("mappa_case", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_mappa_case_open_per_person",
            sqlite_where=sa.text("status <> 'CLOSED'"),
            postgresql_where=sa.text("status <> 'CLOSED'"),
        )
        batch_op.drop_index(batch_op.f("ix_mappa_case_next_review_due"))
        batch_op.drop_index("ix_mappa_case_list")
        batch_op.drop_index(batch_op.f("ix_mappa_case_lead_agency_id"))

    op.drop_table("mappa_case")
    with op.batch_alter_table("duplicate_review", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_duplicate_review_held_person_id"))

    op.drop_table("duplicate_review")
    with op.batch_alter_table("civil_order", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_civil_order_person_id"))

    op.drop_table("civil_order")
    with op.batch_alter_table("address", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_address_person_id"))

    op.drop_table("address")
    op.drop_table("person")
    with op.batch_alter_table("hub_user", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_hub_user_agency_id"))

    op.drop_table("hub_user")
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_entry_subject_person_id"))
        batch_op.drop_index(batch_op.f("ix_audit_entry_case_id"))
        batch_op.drop_index(batch_op.f("ix_audit_entry_actor_agency_id"))

    op.drop_table("audit_entry")
    op.drop_table("agency")


def _guard_audit_log() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_AUDIT_GUARD)
    else:
        for statement in SQLITE_AUDIT_GUARD:
            op.execute(statement)


def _unguard_audit_log() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_AUDIT_GUARD_DROP)
    else:
        for statement in SQLITE_AUDIT_GUARD_DROP:
            op.execute(statement)
