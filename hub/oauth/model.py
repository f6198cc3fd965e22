"""The OAuth tables: agency client systems, token signing keys, revocations, used assertions.

Nothing here holds a usable secret in clear: client secrets are stored as hashes
(`hub.oauth.client_secret`), signing keys sealed by the field keyring, and an assertion's
`jti` only as a digest (it is the client's, of any length, and only equality matters).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from hub.db import Base, enum_type, utcnow


class ClientAuthMethod(StrEnum):
    """How a client proves who it is at the token endpoint (RFC 7591 names)."""

    CLIENT_SECRET_BASIC = "client_secret_basic"  # noqa: S105  (a method name, not a secret)
    PRIVATE_KEY_JWT = "private_key_jwt"  # RFC 7523, the method agencies should prefer


class SigningKeyStatus(StrEnum):
    ACTIVE = "ACTIVE"  # signs new tokens (exactly one)
    RETIRED = "RETIRED"  # still published until every token it signed has expired


class OAuthClient(Base):
    """An agency system allowed to call the API. It acts for exactly one agency."""

    __tablename__ = "oauth_client"
    __table_args__ = (
        CheckConstraint(
            "(auth_method = 'client_secret_basic' AND secret_hash IS NOT NULL AND jwks IS NULL)"
            " OR (auth_method = 'private_key_jwt' AND jwks IS NOT NULL AND secret_hash IS NULL)",
            name="one_credential",
        ),
    )

    client_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agency.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    auth_method: Mapped[ClientAuthMethod] = mapped_column(
        enum_type(ClientAuthMethod, name="client_auth_method")
    )
    secret_hash: Mapped[str | None] = mapped_column(String(200))
    jwks: Mapped[str | None] = mapped_column(Text)  # the client's public keys, as JSON
    scopes: Mapped[str] = mapped_column(String(500))  # space-separated, as in OAuth
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    disabled_at: Mapped[datetime | None]

    @property
    def scope_set(self) -> frozenset[str]:
        return frozenset(self.scopes.split())


class SigningKey(Base):
    """An ES256 key pair for access tokens; the private half sealed by the field keyring."""

    __tablename__ = "oauth_signing_key"
    __table_args__ = (
        Index(
            "uq_oauth_signing_key_active",
            "status",
            unique=True,
            sqlite_where=text("status = 'ACTIVE'"),
            postgresql_where=text("status = 'ACTIVE'"),
        ),
    )

    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    algorithm: Mapped[str] = mapped_column(String(10))
    status: Mapped[SigningKeyStatus] = mapped_column(
        enum_type(SigningKeyStatus, name="signing_key_status")
    )
    public_jwk: Mapped[str] = mapped_column(Text)
    private_key_sealed: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    retired_at: Mapped[datetime | None]


class RevokedToken(Base):
    """An access token revoked before its expiry (RFC 7009); kept until it expires."""

    __tablename__ = "oauth_revoked_token"

    jti: Mapped[str] = mapped_column(String(64), primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64))
    revoked_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)


class UsedAssertion(Base):
    """A client assertion's jti, refused if presented again before it expires (RFC 7523)."""

    __tablename__ = "oauth_used_assertion"

    client_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    jti_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(index=True)


class ClientRedirectUri(Base):
    """Where an interactive client may receive authorization codes, matched exactly.

    A client with any registered URI is interactive: it acts for a signed-in person through
    the authorization code grant with PKCE, and may not use client credentials.
    """

    __tablename__ = "oauth_client_redirect_uri"

    client_id: Mapped[str] = mapped_column(ForeignKey("oauth_client.client_id"), primary_key=True)
    redirect_uri: Mapped[str] = mapped_column(String(500), primary_key=True)


class AuthorizationCode(Base):
    """A code issued to a person's client at /oauth/authorize, good once, for minutes.

    Stored as a SHA-256 digest: a database reader cannot redeem a live code. The PKCE
    challenge is always S256 and always present (RFC 9700 §2.1.1).
    """

    __tablename__ = "oauth_authorization_code"

    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    client_id: Mapped[str] = mapped_column(ForeignKey("oauth_client.client_id"), index=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("hub_user.id"), index=True)
    redirect_uri: Mapped[str] = mapped_column(String(500))
    scope: Mapped[str] = mapped_column(String(500))
    code_challenge: Mapped[str] = mapped_column(String(128))
    code_challenge_method: Mapped[str] = mapped_column(String(10))
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    used_at: Mapped[datetime | None]
