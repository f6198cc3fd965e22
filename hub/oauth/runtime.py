"""The OAuth parts one application holds: settings, verifier state, signing key cache and
the tokens it has verified."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import Flask, current_app, request

from hub.errors import HubError
from hub.oauth.signing import ActiveKey
from hub.oauth.state import VerifierState
from hub.oauth.verify import VerifiedTokens
from hub.settings import Settings

API_AUDIENCE_PATH = "/api"


class IssuerNotConfigured(HubError):
    def __init__(self) -> None:
        super().__init__("setting HUB_OAUTH_ISSUER is not set; OAuth is off in production")


@dataclass
class OAuthRuntime:
    settings: Settings
    state: VerifierState
    active_key: ActiveKey = field(default_factory=ActiveKey)
    verified: VerifiedTokens = field(default_factory=VerifiedTokens)

    @property
    def issuer(self) -> str:
        """The configured issuer; outside production, this server's own URL will do."""
        if self.settings.oauth_issuer:
            return self.settings.oauth_issuer
        if self.settings.environment == "production":
            raise IssuerNotConfigured()  # a Host header must never choose a live issuer
        return request.host_url.rstrip("/")

    @property
    def audience(self) -> str:
        """What every access token is for: the hub's API (RFC 9068 `aud`)."""
        return self.issuer + API_AUDIENCE_PATH

    @property
    def lifetime(self) -> int:
        return self.settings.token_lifetime_seconds


def runtime(app: Flask | None = None) -> OAuthRuntime:
    found: OAuthRuntime = (app or current_app).extensions["hub.oauth"]
    return found
