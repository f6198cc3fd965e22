"""The authorization server: Authlib's, with client credentials for agency systems and
authorization code with PKCE (S256, always) for people's clients.

No password grant and no implicit grant are registered, so Authlib itself answers
`unsupported_grant_type` and `unsupported_response_type` for them.
"""

from __future__ import annotations

import time
from typing import Any

from authlib.common.security import generate_token
from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import InvalidScopeError
from authlib.oauth2.rfc6749.grants import ClientCredentialsGrant
from authlib.oauth2.rfc6750 import BearerTokenGenerator
from flask import Flask, g
from joserfc import jwt
from sqlalchemy import select

from hub.app import db_session
from hub.oauth.assertion import PrivateKeyJWT
from hub.oauth.authlib_client import HubClient
from hub.oauth.code_grant import PersonAuthorizationCode, S256Only
from hub.oauth.endpoints import Introspection, Revocation
from hub.oauth.model import ClientAuthMethod, ClientRedirectUri, OAuthClient
from hub.oauth.runtime import runtime
from hub.oauth.scopes import SCOPES
from hub.oauth.signing import ALGORITHM

AUTH_METHODS = [m.value for m in ClientAuthMethod]


class AgencyClientCredentials(ClientCredentialsGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = AUTH_METHODS

    def validate_requested_scope(self) -> None:
        # Authlib would quietly narrow a request to what the client may have; an agency
        # system asking for more than it was registered for is told so instead.
        scope = self.request.payload.scope
        if not scope:
            return
        asked = set(scope.split())
        unknown = asked - SCOPES.keys()
        if unknown:
            raise InvalidScopeError(description=f"unknown scope: {sorted(unknown)[0]}")
        refused = asked - self.request.client.scopes
        if refused:
            raise InvalidScopeError(description=f"scope not granted: {sorted(refused)[0]}")


class PersonCode(PersonAuthorizationCode):
    TOKEN_ENDPOINT_AUTH_METHODS = AUTH_METHODS


class HubAuthorizationServer(AuthorizationServer):  # type: ignore[misc]
    def query_client(self, client_id: str) -> HubClient | None:
        if not isinstance(client_id, str) or len(client_id) > 64:
            return None
        session = db_session()
        row = session.get(OAuthClient, client_id)
        if row is None:
            return None
        uris = frozenset(
            session.scalars(
                select(ClientRedirectUri.redirect_uri).where(
                    ClientRedirectUri.client_id == client_id
                )
            )
        )
        client = HubClient.of(row, uris)
        g.oauth_claimed_client = client  # for the audit entry of a refusal
        return None if row.disabled_at is not None else client

    def save_token(self, token: dict[str, Any], request: Any) -> None:
        """Nothing to store (the token is self-contained); the issuance is audited."""
        from hub.oauth.audit import token_issued

        token_issued(request.client, g.oauth_issued_jti, token.get("scope", ""), request.user)


def _sign_access_token(client: HubClient, grant_type: str, user: Any, scope: str) -> str:
    """An RFC 9068 access token, signed with the hub's active key."""
    oauth = runtime()
    kid, key = oauth.active_key.get(db_session())
    now = int(time.time())
    jti = generate_token(24)
    g.oauth_issued_jti = jti
    claims = {
        "iss": oauth.issuer,
        # RFC 9068 §2.2: the person the token acts for, or with none the client itself.
        "sub": str(user.id) if user is not None else client.client_id,
        "aud": oauth.audience,
        "exp": now + oauth.lifetime,
        "iat": now,
        "jti": jti,
        "client_id": client.client_id,
        "scope": scope,
        "agency": str(client.agency_id),
    }
    header = {"alg": ALGORITHM, "typ": "at+jwt", "kid": kid}
    return jwt.encode(header, claims, key, algorithms=[ALGORITHM])


def build_server(app: Flask) -> HubAuthorizationServer:
    server = HubAuthorizationServer()
    server.init_app(app)
    server.scopes_supported = list(SCOPES)
    lifetime = runtime(app).lifetime
    server.register_token_generator(
        "default",
        BearerTokenGenerator(
            access_token_generator=_sign_access_token,
            expires_generator=lambda client, grant_type: lifetime,
        ),
    )
    server.register_client_auth_method(PrivateKeyJWT.CLIENT_AUTH_METHOD, PrivateKeyJWT())
    server.register_grant(AgencyClientCredentials)
    server.register_grant(PersonCode, [S256Only(required=True)])
    server.register_endpoint(Introspection())
    server.register_endpoint(Revocation())
    return server
