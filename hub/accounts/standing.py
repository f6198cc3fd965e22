"""Whether a person may hold a session at all: checked at sign-in and on every request."""

from __future__ import annotations

from datetime import date

from hub.models import User


def refusal(user: User, today: date) -> str | None:
    """The reason code that bars `user` today, or None.

    No recorded vetting bars as an expired one does: the hub holds OFFICIAL-SENSITIVE
    material, and "not known to be vetted" must fail closed.
    """
    if not user.active:
        return "INACTIVE"
    if user.vetting_expires is None or user.vetting_expires < today:
        return "VETTING_EXPIRED"
    return None
