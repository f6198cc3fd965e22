"""The OAuth endpoints: token, authorize (refusing), introspect, revoke, JWKS, metadata."""

from __future__ import annotations

import re
from typing import Any

from authlib.oauth2 import OAuth2Error
from flask import Blueprint, Response, current_app, g, jsonify, request

from hub.app import db_session
from hub.crypto import KeyringError
from hub.oauth import signing
from hub.oauth.audit import token_refused
from hub.oauth.runtime import IssuerNotConfigured, runtime
from hub.oauth.scopes import SCOPES
from hub.oauth.server import AUTH_METHODS, HubAuthorizationServer
from hub.oauth.signing import ALGORITHM, NoSigningKey
from hub.oauth.state import StateUnavailable

oauth = Blueprint("oauth", __name__)
_ERROR_CODE = re.compile(r"^[a-z_]{1,40}$")


def _server() -> HubAuthorizationServer:
    server: HubAuthorizationServer = current_app.extensions["hub.oauth.server"]
    return server


@oauth.post("/oauth/token")
def token() -> Response:
    session = db_session()
    response: Response = _server().create_token_response()
    if response.status_code == 200:
        session.commit()  # the audit entry and the used assertion id, together
        return response
    session.rollback()
    body = response.get_json(silent=True) or {}
    error = body.get("error", "") if isinstance(body, dict) else ""
    token_refused(error if _ERROR_CODE.match(error) else "error", request.form.get("grant_type"))
    session.commit()
    return response


@oauth.route("/oauth/authorize", methods=["GET", "POST"])
def authorize() -> Response:
    """No redirect-based grant exists yet: every response type is unsupported, and with no
    client redirect URI to trust, the error is shown here rather than redirected."""
    server = _server()
    oauth_request = server.create_oauth2_request(request)
    try:
        server.get_authorization_grant(oauth_request)
    except OAuth2Error as error:
        response: Response = server.handle_error_response(oauth_request, error)
        return response
    raise AssertionError("no authorization grant is registered")  # pragma: no cover


@oauth.post("/oauth/introspect")
def introspect() -> Response:
    response: Response = _server().create_endpoint_response("introspection")
    db_session().rollback()  # introspection changes nothing
    return response


@oauth.post("/oauth/revoke")
def revoke() -> Response:
    response: Response = _server().create_endpoint_response("revocation")
    session = db_session()
    if response.status_code == 200:
        session.commit()
        runtime().state.invalidate()  # this worker stops honouring it at once
    else:
        session.rollback()
    return response


@oauth.get("/oauth/jwks")
@oauth.get("/.well-known/jwks.json")
def jwks() -> Response:
    document = signing.public_jwks(signing.published(db_session()))
    response = jsonify(document)
    # Verifiers may cache the key set briefly; a new key is announced by its kid anyway.
    response.headers["Cache-Control"] = "public, max-age=60"
    return response


@oauth.get("/.well-known/oauth-authorization-server")
def metadata() -> Response:
    issuer = runtime().issuer
    document: dict[str, Any] = {
        "issuer": issuer,
        "token_endpoint": issuer + "/oauth/token",
        "jwks_uri": issuer + "/oauth/jwks",
        "introspection_endpoint": issuer + "/oauth/introspect",
        "revocation_endpoint": issuer + "/oauth/revoke",
        "scopes_supported": list(SCOPES),
        "response_types_supported": [],
        "grant_types_supported": ["client_credentials"],
        "token_endpoint_auth_methods_supported": AUTH_METHODS,
        "token_endpoint_auth_signing_alg_values_supported": ["ES256", "ES384", "RS256", "PS256"],
        "introspection_endpoint_auth_methods_supported": AUTH_METHODS,
        "revocation_endpoint_auth_methods_supported": AUTH_METHODS,
        "access_token_signing_alg_values_supported": [ALGORITHM],  # for RFC 9068 verifiers
    }
    response = jsonify(document)
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@oauth.errorhandler(IssuerNotConfigured)
@oauth.errorhandler(KeyringError)
@oauth.errorhandler(NoSigningKey)
@oauth.errorhandler(StateUnavailable)
def unavailable(exc: Exception) -> tuple[Response, int]:
    # Fail closed, in OAuth's own error shape, naming what the operator must fix.
    g.setdefault("oauth_unavailable", type(exc).__name__)
    detail = str(exc) if isinstance(exc, IssuerNotConfigured | NoSigningKey) else "keys unavailable"
    return jsonify(error="temporarily_unavailable", error_description=detail), 503
