"""The portal's cookies: its own session cookie and its own CSRF tokens.

Names differ from the workspace's (`hub-portal`, `hub-portal-form`; `__Host-` prefixed in
production), so a browser signed in to both holds two unrelated sessions, and neither
token opens the other realm: each is looked up only in its own table. CSRF tokens are a
hash of this realm's session token (or, before sign-in, of a random form cookie) with a
realm label, so a workspace form's token is refused here and the other way round.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from flask import g, request
from werkzeug.wrappers import Response

from hub.accounts import browser
from hub.accounts.browser import set_cookie  # the same cookie attributes as the workspace's

FIELD = "csrf_token"


def session_cookie() -> str:
    return "__Host-hub-portal" if browser.secure() else "hub-portal"


def form_cookie() -> str:
    return "__Host-hub-portal-form" if browser.secure() else "hub-portal-form"


def session_token() -> str | None:
    return request.cookies.get(session_cookie()) or None


def set_session(response: Response, token: str, lifetime: timedelta) -> None:
    set_cookie(response, session_cookie(), token, lifetime)


def clear_session(response: Response) -> None:
    response.delete_cookie(
        session_cookie(), path="/", secure=browser.secure(), httponly=True, samesite="Lax"
    )


def csrf_token() -> str:
    base = session_token() or request.cookies.get(form_cookie()) or g.get("portal_form_cookie")
    if base is None:
        base = secrets.token_urlsafe(32)
        g.portal_form_cookie = base
    return _derive(base)


def csrf_ok() -> bool:
    given = request.form.get(FIELD, "")
    base = session_token() or request.cookies.get(form_cookie())
    return base is not None and hmac.compare_digest(given.encode(), _derive(base).encode())


def remember_form_cookie(response: Response) -> Response:
    made = g.pop("portal_form_cookie", None)
    if made is not None:
        set_cookie(response, form_cookie(), made, timedelta(hours=12))
    return response


def _derive(base: str) -> str:
    return hashlib.sha256(b"hub-portal-csrf\x00" + base.encode()).hexdigest()
