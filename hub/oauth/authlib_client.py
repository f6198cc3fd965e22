"""The registered client as Authlib sees it (its ClientMixin protocol, duck-typed).

A plain snapshot of the row, not the ORM object: Authlib keeps it on the request, and a
detached copy cannot lazy-load or be changed by accident.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from hub.oauth import client_secret
from hub.oauth.model import OAuthClient

GRANT_TYPE = "client_credentials"
CODE_GRANT = "authorization_code"


@dataclass(frozen=True)
class HubClient:
    client_id: str
    agency_id: uuid.UUID
    auth_method: str
    scopes: frozenset[str]
    secret_hash: str | None
    jwks: str | None
    # Registered redirect URIs. A client with any is interactive: it acts for signed-in people
    # (authorization code with PKCE) and never for its agency alone (client credentials).
    redirect_uris: frozenset[str] = frozenset()

    @classmethod
    def of(cls, row: OAuthClient, redirect_uris: frozenset[str] = frozenset()) -> HubClient:
        return cls(
            client_id=row.client_id,
            agency_id=row.agency_id,
            auth_method=row.auth_method.value,
            scopes=row.scope_set,
            secret_hash=row.secret_hash,
            jwks=row.jwks,
            redirect_uris=redirect_uris,
        )

    @property
    def interactive(self) -> bool:
        return bool(self.redirect_uris)

    @property
    def default_redirect(self) -> str | None:
        # Only an unambiguous default (RFC 6749 §3.1.2.3): with several, the client must say.
        return next(iter(self.redirect_uris)) if len(self.redirect_uris) == 1 else None

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str | None:
        return self.default_redirect

    def get_allowed_scope(self, scope: str | None) -> str:
        # No scope asked for: the client gets all it is registered for (RFC 6749 §3.3
        # lets the server choose a default). Asking for more is refused earlier.
        asked = set(scope.split()) if scope else set(self.scopes)
        return " ".join(sorted(asked & self.scopes))

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.redirect_uris  # exact match, never a prefix (RFC 9700)

    def check_client_secret(self, secret: str) -> bool:
        return client_secret.secret_matches(secret, self.secret_hash)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method == self.auth_method

    def check_response_type(self, response_type: str) -> bool:
        return self.interactive and response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == (CODE_GRANT if self.interactive else GRANT_TYPE)
