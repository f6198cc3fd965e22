"""What the browser holds: the session cookie and the CSRF token of each form.

The session cookie is HttpOnly and SameSite=Lax everywhere, and in production also Secure
with the `__Host-` prefix (no Domain, Path=/), so neither script nor a sibling subdomain can
read it or plant one.

CSRF: every form carries a token that only this browser can know: a hash of its session
token, or, before sign-in, of a random value in a second cookie of the same kind. A POST
whose token does not match is refused. Deriving the token means no table and no secret key;
the hash cannot be turned back into the session token it came from.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from flask import current_app, g, request
from werkzeug.wrappers import Response

from hub.settings import Settings

FIELD = "csrf_token"
HEADER = "X-CSRF-Token"


def secure() -> bool:
    settings: Settings = current_app.config["HUB_SETTINGS"]
    return settings.environment == "production"


def session_cookie() -> str:
    return "__Host-hub-session" if secure() else "hub-session"


def form_cookie() -> str:
    return "__Host-hub-form" if secure() else "hub-form"


def session_token() -> str | None:
    return request.cookies.get(session_cookie()) or None


def set_session(response: Response, token: str, lifetime: timedelta) -> None:
    set_cookie(response, session_cookie(), token, lifetime)


def clear_session(response: Response) -> None:
    response.delete_cookie(
        session_cookie(), path="/", secure=secure(), httponly=True, samesite="Lax"
    )


def csrf_token() -> str:
    """The token for this browser's forms, made (with its cookie) on first need."""
    base = session_token() or request.cookies.get(form_cookie()) or g.get("hub_form_cookie")
    if base is None:
        base = secrets.token_urlsafe(32)
        g.hub_form_cookie = base  # set on the response by `remember_form_cookie`
    return _derive(base)


def csrf_ok() -> bool:
    given = request.form.get(FIELD) or request.headers.get(HEADER) or ""
    base = session_token() or request.cookies.get(form_cookie())
    return base is not None and hmac.compare_digest(given.encode(), _derive(base).encode())


def remember_form_cookie(response: Response) -> Response:
    made = g.pop("hub_form_cookie", None)
    if made is not None:
        set_cookie(response, form_cookie(), made, timedelta(hours=12))
    return response


def _derive(base: str) -> str:
    return hashlib.sha256(b"hub-csrf\x00" + base.encode()).hexdigest()


def set_cookie(response: Response, name: str, value: str, lifetime: timedelta) -> None:
    response.set_cookie(
        name,
        value,
        max_age=int(lifetime.total_seconds()),
        path="/",
        secure=secure(),
        httponly=True,
        samesite="Lax",
    )
