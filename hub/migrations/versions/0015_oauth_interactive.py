"""interactive OAuth clients: redirect URIs and authorization codes (issue 5, PKCE)

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-22 03:20:00

New tables only: nothing existing is altered, so no SQLite table rebuild can cascade-delete
child rows.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "oauth_client_redirect_uri",
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("redirect_uri", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["oauth_client.client_id"],
            name=op.f("fk_oauth_client_redirect_uri_client_id_oauth_client"),
        ),
        sa.PrimaryKeyConstraint(
            "client_id", "redirect_uri", name=op.f("pk_oauth_client_redirect_uri")
        ),
    )
    op.create_table(
        "oauth_authorization_code",
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("redirect_uri", sa.String(length=500), nullable=False),
        sa.Column("scope", sa.String(length=500), nullable=False),
        sa.Column("code_challenge", sa.String(length=128), nullable=False),
        sa.Column("code_challenge_method", sa.String(length=10), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["oauth_client.client_id"],
            name=op.f("fk_oauth_authorization_code_client_id_oauth_client"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["hub_user.id"], name=op.f("fk_oauth_authorization_code_user_id_hub_user")
        ),
        sa.PrimaryKeyConstraint("code_hash", name=op.f("pk_oauth_authorization_code")),
    )
    op.create_index(
        op.f("ix_oauth_authorization_code_client_id"), "oauth_authorization_code", ["client_id"]
    )
    op.create_index(
        op.f("ix_oauth_authorization_code_user_id"), "oauth_authorization_code", ["user_id"]
    )
    op.create_index(
        op.f("ix_oauth_authorization_code_expires_at"), "oauth_authorization_code", ["expires_at"]
    )


def downgrade() -> None:
    op.drop_table("oauth_authorization_code")
    op.drop_table("oauth_client_redirect_uri")
