"""The purpose of use: chosen by the person once per sign-in, changeable, sent with every read.

No purpose, no data (design.md §2; R-21): a page that reads case data first asks for one.

The choice lives in a cookie bound to the browser's session: `PURPOSE.<digest>`, where the
digest is SHA-256 over the session token and the purpose. Only the browser holding that
session can make a valid one, so nobody can plant a purpose in someone else's browser, a
choice made before signing in again is void (a new session token: choose again), and no
table, column or secret key is needed. It is HttpOnly, SameSite=Lax and, in production,
Secure with the `__Host-` prefix, like the session cookie.
"""

from __future__ import annotations

import hashlib
import hmac

from flask import request
from werkzeug.wrappers import Response

from hub.accounts import browser
from hub.vocabulary import Purpose

# What each purpose means to the person choosing it (policies/schema.yaml `purpose`).
LABELS: dict[Purpose, str] = {
    Purpose.RISK_MANAGEMENT: "Managing the risk a person poses",
    Purpose.MAPPA_MEETING: "Preparing for or holding a MAPPA meeting",
    Purpose.SAFEGUARDING: "Safeguarding a child or an adult at risk",
    Purpose.DISCLOSURE_DECISION: "Deciding whether to disclose information",
    Purpose.COSA_SUPPORT: "Supporting a Circle of Support and Accountability",
    Purpose.AUDIT_OVERSIGHT: "Audit or oversight",
    Purpose.SUBJECT_ACCESS: "Answering a subject access request",
}


def cookie_name() -> str:
    return "__Host-hub-purpose" if browser.secure() else "hub-purpose"


def stated_purpose() -> Purpose | None:
    """The purpose this browser's session chose, or None (then no case data is read)."""
    token = browser.session_token()
    value = request.cookies.get(cookie_name(), "")
    name, _, digest = value.partition(".")
    if token is None or name not in Purpose.__members__:
        return None
    purpose = Purpose(name)
    if not hmac.compare_digest(digest.encode(), _digest(token, purpose).encode()):
        return None
    return purpose


def remember(response: Response, purpose: Purpose) -> None:
    token = browser.session_token()
    if token is None:  # only signed-in pages call this; without a session nothing is stored
        return
    # No max_age: it ends with the browser, and the session it is bound to ends sooner.
    response.set_cookie(
        cookie_name(),
        f"{purpose.value}.{_digest(token, purpose)}",
        path="/",
        secure=browser.secure(),
        httponly=True,
        samesite="Lax",
    )


def _digest(token: str, purpose: Purpose) -> str:
    return hashlib.sha256(f"hub-purpose\x00{token}\x00{purpose.value}".encode()).hexdigest()
