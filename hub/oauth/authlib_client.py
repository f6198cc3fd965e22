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


@dataclass(frozen=True)
class HubClient:
    client_id: str
    agency_id: uuid.UUID
    auth_method: str
    scopes: frozenset[str]
    secret_hash: str | None
    jwks: str | None

    @classmethod
    def of(cls, row: OAuthClient) -> HubClient:
        return cls(
            client_id=row.client_id,
            agency_id=row.agency_id,
            auth_method=row.auth_method.value,
            scopes=row.scope_set,
            secret_hash=row.secret_hash,
            jwks=row.jwks,
        )

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> None:
        return None  # no redirect-based grants for agency systems

    def get_allowed_scope(self, scope: str | None) -> str:
        # No scope asked for: the client gets all it is registered for (RFC 6749 §3.3
        # lets the server choose a default). Asking for more is refused earlier.
        asked = set(scope.split()) if scope else set(self.scopes)
        return " ".join(sorted(asked & self.scopes))

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return False

    def check_client_secret(self, secret: str) -> bool:
        return client_secret.secret_matches(secret, self.secret_hash)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method == self.auth_method

    def check_response_type(self, response_type: str) -> bool:
        return False

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == GRANT_TYPE
