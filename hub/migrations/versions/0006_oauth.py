"""oauth: agency client systems, token signing keys, revocations, used client assertions

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "oauth_client",
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("agency_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "auth_method",
            sa.Enum(
                "client_secret_basic",
                "private_key_jwt",
                name="client_auth_method",
                native_enum=False,
                length=19,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("secret_hash", sa.String(length=200), nullable=True),
        sa.Column("jwks", sa.Text(), nullable=True),
        sa.Column("scopes", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "(auth_method = 'client_secret_basic' AND secret_hash IS NOT NULL AND jwks IS NULL)"
            " OR (auth_method = 'private_key_jwt' AND jwks IS NOT NULL AND secret_hash IS NULL)",
            name=op.f("ck_oauth_client_one_credential"),
        ),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agency.id"], name=op.f("fk_oauth_client_agency_id_agency")
        ),
        sa.PrimaryKeyConstraint("client_id", name=op.f("pk_oauth_client")),
    )
    op.create_index(op.f("ix_oauth_client_agency_id"), "oauth_client", ["agency_id"])
    op.create_table(
        "oauth_signing_key",
        sa.Column("kid", sa.String(length=64), nullable=False),
        sa.Column("algorithm", sa.String(length=10), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "ACTIVE",
                "RETIRED",
                name="signing_key_status",
                native_enum=False,
                length=7,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("public_jwk", sa.Text(), nullable=False),
        sa.Column("private_key_sealed", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("kid", name=op.f("pk_oauth_signing_key")),
    )
    op.create_index(
        "uq_oauth_signing_key_active",
        "oauth_signing_key",
        ["status"],
        unique=True,
        sqlite_where=sa.text("status = 'ACTIVE'"),
        postgresql_where=sa.text("status = 'ACTIVE'"),
    )
    op.create_table(
        "oauth_revoked_token",
        sa.Column("jti", sa.String(length=64), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("jti", name=op.f("pk_oauth_revoked_token")),
    )
    op.create_index(
        op.f("ix_oauth_revoked_token_expires_at"), "oauth_revoked_token", ["expires_at"]
    )
    op.create_table(
        "oauth_used_assertion",
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("jti_hash", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("client_id", "jti_hash", name=op.f("pk_oauth_used_assertion")),
    )
    op.create_index(
        op.f("ix_oauth_used_assertion_expires_at"), "oauth_used_assertion", ["expires_at"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_oauth_used_assertion_expires_at"), table_name="oauth_used_assertion")
    op.drop_table("oauth_used_assertion")
    op.drop_index(op.f("ix_oauth_revoked_token_expires_at"), table_name="oauth_revoked_token")
    op.drop_table("oauth_revoked_token")
    op.drop_index("uq_oauth_signing_key_active", table_name="oauth_signing_key")
    op.drop_table("oauth_signing_key")
    op.drop_index(op.f("ix_oauth_client_agency_id"), table_name="oauth_client")
    op.drop_table("oauth_client")
