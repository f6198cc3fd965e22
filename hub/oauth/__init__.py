"""The OAuth 2 authorization server for agency systems, and the resource-server check.

`install(app, settings)` adds the endpoints (docs/api.md); API views use
`hub.oauth.resource.require_token`. Nothing here runs at import time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask
    from sqlalchemy.orm import Session, sessionmaker

    from hub.settings import Settings


def install(app: Flask, settings: Settings, sessions: sessionmaker[Session]) -> None:
    from hub.oauth.runtime import OAuthRuntime
    from hub.oauth.server import build_server
    from hub.oauth.state import VerifierState
    from hub.oauth.views import oauth

    app.extensions["hub.oauth"] = OAuthRuntime(
        settings=settings, state=VerifierState(sessions, settings.oauth_state_seconds)
    )
    app.extensions["hub.oauth.server"] = build_server(app)
    app.register_blueprint(oauth)
