"""Authorization code with PKCE: how a person's client (an agency's case system used by a
signed-in officer) gets a token that acts as that person.

PKCE is required of every client, confidential ones too, and only S256 is accepted (RFC 9700
§2.1.1): a plain challenge is the verifier itself, so it protects nothing once logged. A code
lives a few minutes, is stored only as a digest, and is spent by the first redemption that
presents it: the spending is one conditional UPDATE, so two racing redemptions cannot both win.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from authlib.oauth2.rfc6749 import InvalidRequestError
from authlib.oauth2.rfc6749.grants import AuthorizationCodeGrant
from authlib.oauth2.rfc7636 import CodeChallenge
from sqlalchemy import update

from hub.accounts.standing import refusal
from hub.app import db_session
from hub.db import utcnow
from hub.models import User
from hub.oauth.model import AuthorizationCode

CODE_LIFETIME = timedelta(minutes=5)
S256 = "S256"


@dataclass(frozen=True)
class IssuedCode:
    """A code being redeemed, as Authlib's AuthorizationCodeMixin protocol reads it."""

    client_id: str
    user_id: uuid.UUID
    redirect_uri: str
    scope: str
    code_challenge: str
    code_challenge_method: str

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope


class S256Only(CodeChallenge):  # type: ignore[misc]
    """PKCE on every authorization request, S256 only."""

    SUPPORTED_CODE_CHALLENGE_METHOD = [S256]

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        data = grant.request.payload.data
        if not data.get("code_challenge"):
            raise InvalidRequestError("code_challenge is required (PKCE with S256)")
        if data.get("code_challenge_method") != S256:
            raise InvalidRequestError("code_challenge_method must be S256")
        super().validate_code_challenge(grant, redirect_uri)


class PersonAuthorizationCode(AuthorizationCodeGrant):  # type: ignore[misc]
    def save_authorization_code(self, code: str, request: Any) -> None:
        data = request.payload.data
        db_session().add(
            AuthorizationCode(
                code_hash=digest(code),
                client_id=request.client.client_id,
                user_id=request.user.id,
                # Authlib has checked it against the client's registered URIs; the token
                # request must repeat exactly this one (RFC 6749 §4.1.3).
                redirect_uri=request.payload.redirect_uri or request.client.default_redirect,
                scope=request.scope or "",
                code_challenge=data["code_challenge"],
                code_challenge_method=S256,
                expires_at=utcnow() + CODE_LIFETIME,
            )
        )

    def query_authorization_code(self, code: str, client: Any) -> IssuedCode | None:
        table = AuthorizationCode.__table__
        now = utcnow()
        spent = (
            db_session()
            .execute(
                update(AuthorizationCode)
                .where(
                    table.c.code_hash == digest(code),
                    table.c.client_id == client.client_id,
                    table.c.used_at.is_(None),
                    table.c.expires_at > now,
                )
                .values(used_at=now)
                .returning(
                    table.c.user_id,
                    table.c.redirect_uri,
                    table.c.scope,
                    table.c.code_challenge,
                    table.c.code_challenge_method,
                )
            )
            .first()
        )
        if spent is None:
            return None  # unknown, another client's, expired or already spent: invalid_grant
        return IssuedCode(client.client_id, *spent)

    def delete_authorization_code(self, authorization_code: IssuedCode) -> None:
        """Nothing left to do: the code was spent when it was looked up, and its row stays
        so that a replay is recognised as one."""

    def authenticate_user(self, authorization_code: IssuedCode) -> User | None:
        user = db_session().get(User, authorization_code.user_id)
        # Disabled or out of vetting since signing in: no token (the same test as sessions).
        if user is None or refusal(user, utcnow().date()) is not None:
            return None
        return user


def digest(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()
