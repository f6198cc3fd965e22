"""RFC 7662 introspection and RFC 7009 revocation, as Authlib endpoints.

Both require an authenticated client (the same two methods as the token endpoint). Both
read revocations and the client's standing from the database, not the verifier's cache:
they are rare, and an answer here should be exact.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7662 import IntrospectionEndpoint

from hub.app import db_session
from hub.oauth import signing
from hub.oauth.model import ClientAuthMethod, OAuthClient, RevokedToken
from hub.oauth.runtime import runtime
from hub.oauth.state import public_key
from hub.oauth.verify import AccessToken, TokenRejected, decode

_METHODS = [m.value for m in ClientAuthMethod]


@dataclass(frozen=True)
class IssuedToken:
    """A verified access token, in the shape Authlib's endpoints ask of a token."""

    token: AccessToken
    revoked: bool

    def check_client(self, client: Any) -> bool:
        return bool(self.token.client_id == client.get_client_id())

    def get_scope(self) -> str:
        return " ".join(sorted(self.token.scopes))

    def get_expires_in(self) -> int:
        return max(0, self.token.expires_at - int(time.time()))

    def is_expired(self) -> bool:
        return self.token.expires_at <= time.time()

    def is_revoked(self) -> bool:
        return self.revoked


def _lookup(token_string: str) -> IssuedToken | None:
    """The token if the hub issued it and it is unexpired; None for anything else."""
    oauth = runtime()
    session = db_session()
    # The request's own session, not the verifier's cache: this request already holds it.
    keys = {row.kid: public_key(row.public_jwk) for row in signing.published(session)}
    try:
        token = decode(
            token_string,
            keys.get,
            issuer=oauth.issuer,
            audience=oauth.audience,
            now=time.time(),
        )
    except TokenRejected:
        return None
    client = session.get(OAuthClient, token.client_id)
    if client is None or client.disabled_at is not None or str(client.agency_id) != token.agency_id:
        return None
    return IssuedToken(token, revoked=session.get(RevokedToken, token.jti) is not None)


class Introspection(IntrospectionEndpoint):  # type: ignore[misc]
    CLIENT_AUTH_METHODS = _METHODS

    def query_token(self, token_string: str, token_type_hint: str | None) -> IssuedToken | None:
        return _lookup(token_string)

    def check_permission(self, token: IssuedToken, client: Any, request: Any) -> bool:
        # An agency's systems may introspect the agency's tokens, nobody else's: another
        # agency learns nothing, not even that the token exists.
        return bool(token.token.agency_id == str(client.agency_id))

    def introspect_token(self, token: IssuedToken) -> dict[str, Any]:
        claims = token.token.claims
        return {
            "active": True,
            "token_type": "Bearer",
            "scope": token.get_scope(),
            "client_id": token.token.client_id,
            "agency": token.token.agency_id,
            **{name: claims[name] for name in ("sub", "aud", "iss", "exp", "iat", "jti")},
        }


class Revocation(RevocationEndpoint):  # type: ignore[misc]
    CLIENT_AUTH_METHODS = _METHODS

    def query_token(self, token_string: str, token_type_hint: str | None) -> IssuedToken | None:
        return _lookup(token_string)  # unknown or expired: nothing to do, 200 all the same

    def revoke_token(self, token: IssuedToken, request: Any) -> None:
        session = db_session()
        if session.get(RevokedToken, token.token.jti) is None:
            session.add(
                RevokedToken(
                    jti=token.token.jti,
                    client_id=token.token.client_id,
                    expires_at=datetime.fromtimestamp(token.token.expires_at, UTC),
                )
            )
            session.flush()
