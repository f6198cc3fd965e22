"""The portal's blueprint, its signed-in coordinator and the guards every page shares.

Everything under /portal answers to the portal realm only: its own cookie and session table
(hub/portal/realm.py, hub/portal/signin.py). Requests over the body limit are refused before
any form is read, so nothing of them is saved.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar, cast

from flask import Blueprint, current_app, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.wrappers import Response

from hub.accounts.policy import AccountPolicy
from hub.accounts.service import Attempt
from hub.actor import Actor
from hub.app import db_session
from hub.cosa.profile import PURPOSE
from hub.cosa.rules import CosaRules, rules_of
from hub.models import User
from hub.portal import realm, signin

F = TypeVar("F", bound=Callable[..., ResponseReturnValue])

# A concern or a meeting summary is at most 5,000 characters; 64 KB leaves room for the
# form's other fields and multi-byte text, and refuses anything else before it is parsed.
MAX_BODY = 64 * 1024

portal = Blueprint(
    "portal",
    __name__,
    url_prefix="/portal",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)


@portal.before_request
def _limit_body() -> ResponseReturnValue | None:
    request.max_content_length = MAX_BODY
    if (request.content_length or 0) > MAX_BODY:
        return page("portal/too_large.html", limit_kb=MAX_BODY // 1024), 413
    return None


@portal.after_request
def _form_cookie(response: Response) -> Response:
    return realm.remember_form_cookie(response)


@portal.errorhandler(413)
def _too_large(_error: Exception) -> ResponseReturnValue:
    return page("portal/too_large.html", limit_kb=MAX_BODY // 1024), 413


@portal.context_processor
def _helpers() -> dict[str, Any]:
    return {
        "portal_csrf": realm.csrf_token,
        "coordinator": current_coordinator,
        "area": current_app.config["HUB_SETTINGS"].mappa_area,
    }


def current_coordinator() -> User | None:
    """The signed-in coordinator of this request (committed at once: it is activity)."""
    if "portal_user" not in g:
        g.portal_user = signin.resume(db_session(), policy(), realm.session_token(), now())
        db_session().commit()
    user: User | None = g.portal_user
    return user


def coordinator_actor() -> Actor:
    user = current_coordinator()
    if user is None:
        raise PermissionError("no coordinator signed in")
    return signin.portal_actor(user, g.get("correlation_id"), PURPOSE)


def coordinator_required(view: F) -> F:
    """Only a signed-in coordinator reaches the view; a POST must carry the portal's CSRF
    token. A browser whose session ended is told so, and nothing it sent is kept."""

    @functools.wraps(view)
    def guarded(*args: Any, **kwargs: Any) -> ResponseReturnValue:
        if current_coordinator() is None:
            ended = realm.session_token() is not None
            response = redirect(url_for("portal.sign_in", expired="1" if ended else None))
            if ended:
                realm.clear_session(response)
            return response
        if request.method not in ("GET", "HEAD", "OPTIONS") and not realm.csrf_ok():
            return page("portal/csrf.html"), 400
        return view(*args, **kwargs)

    return cast(F, guarded)


def page(template: str, **context: Any) -> str:
    context.setdefault("errors", [])
    return render_template(template, **context)


def not_found() -> ResponseReturnValue:
    # One page for a missing circle, a tampered id and another coordinator's circle.
    return page("portal/not_found.html"), 404


def parse_id(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def policy() -> AccountPolicy:
    found: AccountPolicy = current_app.extensions["hub.accounts.policy"]
    return found


def rules() -> CosaRules:
    return rules_of(current_app.extensions, current_app.config["HUB_SETTINGS"])


def now() -> datetime:
    clock: Callable[[], datetime] = current_app.extensions["hub.clock"]
    return clock()


def attempt() -> Attempt:
    return Attempt(now=now(), correlation_id=g.get("correlation_id"))
