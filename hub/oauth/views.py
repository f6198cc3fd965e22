"""The OAuth endpoints: token, authorize, introspect, revoke, JWKS, metadata."""

from __future__ import annotations

import re
from typing import Any

from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749 import AccessDeniedError
from flask import (
    Blueprint,
    Response,
    current_app,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue

from hub.accounts.browser import csrf_ok
from hub.accounts.web import current_user
from hub.app import db_session
from hub.crypto import KeyringError
from hub.oauth import signing
from hub.oauth.audit import code_issued, token_refused
from hub.oauth.model import OAuthClient
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
def authorize() -> ResponseReturnValue:
    """A person lets their agency's interactive client act as them (authorization code).

    The request is checked before anything else, so a bad client or redirect URI is shown
    here and never redirected. Then the person signs in (with MFA) if they have not, sees
    which system asks for what, and allows or refuses; only then is a code issued.
    """
    server = _server()
    try:
        grant = server.get_consent_grant(request=request)
    except OAuth2Error as error:
        return _authorize_problem(error)
    user = current_user()
    if user is None:
        if request.method != "GET":
            return _authorize_problem(AccessDeniedError("sign in first"))
        return redirect(url_for("accounts.sign_in", next=request.full_path.rstrip("?")))
    client = grant.client
    if request.method == "GET":
        return _consent_page(client, grant.request.scope or "")
    if not csrf_ok():
        return _authorize_problem(AccessDeniedError("the form has expired; start again"))
    allowed = request.form.get("decision") == "allow"
    # A person can only let their own agency's system act for them: a token carries one
    # agency, and the person's roles mean nothing in another's.
    same_agency = user.agency_id == client.agency_id
    response: Response = server.create_authorization_response(
        request=request, grant_user=user if allowed and same_agency else None, grant=grant
    )
    code_issued(client, user, allowed=allowed and same_agency)
    db_session().commit()  # the code and its audit entry together
    return response


def _consent_page(client: Any, scope: str) -> ResponseReturnValue:
    row = db_session().get(OAuthClient, client.client_id)
    asked = [(s, SCOPES[s]) for s in scope.split() if s in SCOPES]
    settings = current_app.config["HUB_SETTINGS"]
    return render_template(
        "oauth/authorize.html",
        area=settings.mappa_area,
        client_name=row.name if row is not None else client.client_id,
        scopes=asked,
        errors=[],
    )


def _authorize_problem(error: OAuth2Error) -> ResponseReturnValue:
    """Before the redirect URI is trusted, the error is shown; after, it goes back to it."""
    if getattr(error, "redirect_uri", None):
        response: Response = _server().handle_error_response(None, error)
        return response
    settings = current_app.config["HUB_SETTINGS"]
    page = render_template(
        "oauth/refused.html",
        area=settings.mappa_area,
        error=error.error,
        description=error.description or "",
        errors=[],
    )
    return page, error.status_code


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
        "authorization_endpoint": issuer + "/oauth/authorize",
        "response_types_supported": ["code"],
        "grant_types_supported": ["client_credentials", "authorization_code"],
        "code_challenge_methods_supported": ["S256"],
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
