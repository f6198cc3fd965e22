"""The sign-in pages, `current_user` and `login_required`.

Thin: each page reads the form, calls `hub.accounts.service`, commits, and renders or
redirects. Other blueprints (the chairs' workspace, the OAuth authorisation endpoint) use
`current_user`, `current_actor` and `login_required`; their forms use `csrf_token()`.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit

from flask import Blueprint, Flask, current_app, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.wrappers import Response

from hub.accounts import browser, sessions, totp
from hub.accounts.policy import AccountPolicy
from hub.accounts.service import (
    Attempt,
    check_password,
    enrolment_secret,
    pending_sign_in,
    sign_out,
    verify_code,
)
from hub.actor import Actor
from hub.app import db_session
from hub.db import utcnow
from hub.models import User

F = TypeVar("F", bound=Callable[..., ResponseReturnValue])

accounts = Blueprint(
    "accounts", __name__, template_folder=str(Path(__file__).parent.parent / "web" / "templates")
)

REFUSED_SIGN_IN = "Enter a correct username and password"
WRONG_CODE = "Enter the current code from your authenticator app"


@accounts.record_once
def _install(state: Any) -> None:
    app: Flask = state.app
    settings = app.config["HUB_SETTINGS"]
    app.extensions.setdefault("hub.accounts.policy", AccountPolicy.from_settings(settings))
    # Tests replace the clock to step through timeouts and code windows without sleeping.
    app.extensions.setdefault("hub.clock", utcnow)


@accounts.app_context_processor
def _template_helpers() -> dict[str, Any]:
    return {"csrf_token": browser.csrf_token, "current_user": current_user}


@accounts.after_app_request
def _form_cookie(response: Response) -> Response:
    return browser.remember_form_cookie(response)


def current_user() -> User | None:
    """The signed-in person of this request, or None.

    Looking the session up counts as activity and is committed at once: call this before
    the view writes anything (`login_required` does).
    """
    if "hub_user" not in g:
        found = sessions.resume(db_session(), _policy(), browser.session_token(), _now())
        db_session().commit()
        g.hub_user = None if found is None else found.user
    user: User | None = g.hub_user
    return user


def current_actor(purpose: str | None = None) -> Actor | None:
    user = current_user()
    if user is None:
        return None
    return Actor(
        agency_id=user.agency_id,
        user_id=user.id,
        roles=user.roles,
        client_id="hub-web",
        purpose=purpose,
        correlation_id=g.get("correlation_id") or uuid.uuid4().hex,
    )


def login_required(view: F) -> F:
    """Only a signed-in person reaches the view; a POST must also carry the CSRF token."""

    @functools.wraps(view)
    def guarded(*args: Any, **kwargs: Any) -> ResponseReturnValue:
        if current_user() is None:
            wanted = request.full_path.rstrip("?") if request.method == "GET" else None
            return redirect(url_for("accounts.sign_in", next=wanted))
        if request.method not in ("GET", "HEAD", "OPTIONS") and not browser.csrf_ok():
            return _csrf_refused()
        return view(*args, **kwargs)

    return cast(F, guarded)


@accounts.route("/sign-in", methods=["GET", "POST"])
def sign_in() -> ResponseReturnValue:
    return_to = _safe_return(request.values.get("next"))
    if request.method == "GET":
        return _page("accounts/sign_in.html", return_to=return_to)
    if not browser.csrf_ok():
        return _csrf_refused()
    username = request.form.get("username", "").strip()
    password = request.form.get("password", "")
    errors = []
    if not username:
        errors.append(("username", "Enter your username"))
    if not password:
        errors.append(("password", "Enter your password"))
    if errors:
        return _page("accounts/sign_in.html", errors=errors, username=username, return_to=return_to)
    accepted = check_password(
        db_session(),
        _policy(),
        _attempt(),
        username=username,
        password=password,
        return_to=return_to,
    )
    db_session().commit()
    if accepted is None:
        errors = [("username", REFUSED_SIGN_IN)]
        return _page("accounts/sign_in.html", errors=errors, username=username, return_to=return_to)
    response = redirect(
        url_for("accounts.code" if accepted.enrolled else "accounts.enrol_mfa"), code=303
    )
    browser.set_session(response, accepted.token, _policy().pending)
    return response


@accounts.route("/sign-in/code", methods=["GET", "POST"])
def code() -> ResponseReturnValue:
    found = pending_sign_in(db_session(), _policy(), browser.session_token(), _now())
    db_session().commit()
    if found is None:
        return redirect(url_for("accounts.sign_in"))
    if found[2].mfa_enrolled_at is None:
        return redirect(url_for("accounts.enrol_mfa"))
    if request.method == "GET":
        return _page("accounts/code.html")
    return _check_code("accounts/code.html")


@accounts.route("/account/mfa", methods=["GET", "POST"])
def enrol_mfa() -> ResponseReturnValue:
    found = pending_sign_in(db_session(), _policy(), browser.session_token(), _now())
    if found is None:
        db_session().commit()
        if current_user() is not None:
            return _page("accounts/mfa_done.html")
        return redirect(url_for("accounts.sign_in"))
    _row, user, credential = found
    if credential.mfa_enrolled_at is not None:
        db_session().commit()
        return redirect(url_for("accounts.code"))
    secret = enrolment_secret(db_session(), credential)
    uri = totp.provisioning_uri(secret, user.username)
    db_session().commit()
    if request.method == "GET":
        return _page("accounts/enrol.html", secret=_grouped(secret), uri=uri)
    return _check_code("accounts/enrol.html", secret=_grouped(secret), uri=uri)


@accounts.post("/sign-out")
def sign_out_page() -> ResponseReturnValue:
    if not browser.csrf_ok():
        return _csrf_refused()
    sign_out(db_session(), _policy(), _attempt(), browser.session_token())
    db_session().commit()
    g.pop("hub_user", None)
    response = redirect(url_for("accounts.sign_in"), code=303)
    browser.clear_session(response)
    return response


def _check_code(template: str, **context: Any) -> ResponseReturnValue:
    if not browser.csrf_ok():
        return _csrf_refused()
    given = request.form.get("code", "").strip()
    if not given:
        return _page(template, errors=[("code", "Enter the 6-digit code")], **context)
    done = verify_code(
        db_session(), _policy(), _attempt(), token=browser.session_token(), code=given
    )
    db_session().commit()
    if done is None:
        if pending_sign_in(db_session(), _policy(), browser.session_token(), _now()) is None:
            db_session().commit()
            return redirect(url_for("accounts.sign_in"))
        db_session().commit()
        return _page(template, errors=[("code", WRONG_CODE)], **context)
    response = redirect(done.return_to or "/", code=303)
    browser.set_session(response, done.token, _policy().absolute)
    return response


def _page(template: str, **context: Any) -> str:
    settings = current_app.config["HUB_SETTINGS"]
    context.setdefault("errors", [])
    return render_template(template, area=settings.mappa_area, **context)


def _csrf_refused() -> ResponseReturnValue:
    return _page("accounts/csrf.html"), 400


def _safe_return(value: str | None) -> str | None:
    """A path on this hub to go back to after sign-in; anything else is dropped, so the
    sign-in page cannot be used to send someone to another site."""
    if not value or len(value) > 500 or not value.startswith("/") or value.startswith("//"):
        return None
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or "\\" in value:
        return None
    return value


def _grouped(secret: str) -> str:
    """The secret in groups of four, as people copy it into an app."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def _policy() -> AccountPolicy:
    policy: AccountPolicy = current_app.extensions["hub.accounts.policy"]
    return policy


def _now() -> datetime:
    clock: Callable[[], datetime] = current_app.extensions["hub.clock"]
    return clock()


def _attempt() -> Attempt:
    return Attempt(now=_now(), correlation_id=g.get("correlation_id"))
