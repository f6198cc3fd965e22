"""How the web pages read case data: the signed-in person, their stated purpose, the gate."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from flask import current_app

from hub.accounts.web import current_actor
from hub.app import db_session, policies
from hub.gate import Gate, Reader
from hub.vocabulary import Purpose


class NotSignedIn(Exception):
    """Raised if a page reads without a signed-in person (login_required should prevent it)."""


def web_reader(purpose: Purpose) -> Reader:
    """The gate's reader for this request: the person's own agency and roles, never the
    browser's say, and the purpose they chose for this session."""
    actor = current_actor(purpose.value)
    if actor is None:
        raise NotSignedIn("a page read case data without a signed-in person")
    return Reader.of(db_session(), actor)


def gate() -> Gate:
    return Gate(policies().in_force())


def today() -> date:
    """Today by the hub's clock (tests move it); reviews fall due by this date."""
    clock: Callable[[], datetime] = current_app.extensions["hub.clock"]
    return clock().date()
