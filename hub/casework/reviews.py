"""Review scheduling for level 2/3 cases (R-06, R-07, R-08).

Pure date arithmetic over configuration: the meetings work calls `next_review_limit` when a
chair sets the next review date, and the batch run uses the same functions to flag overdue
cases, so the rule is stated once.
"""

from __future__ import annotations

from datetime import date, timedelta
from enum import StrEnum

from hub.errors import InvalidInput
from hub.settings import Settings


class ReviewState(StrEnum):
    NOT_REVIEWED = "NOT_REVIEWED"  # level 1: ordinary agency management, no MAPPA meetings
    SCHEDULED = "SCHEDULED"
    DUE_SOON = "DUE_SOON"
    OVERDUE = "OVERDUE"
    MISSING = "MISSING"  # a level 2/3 case with no review date: never allowed, always shown


DUE_SOON_DAYS = 14


def next_review_limit(level: int, last_meeting: date, settings: Settings) -> date:
    """R-07: the latest date the next review may fall on, from the last meeting's date.

    A later date needs the chair's override with a reason (the meetings work records it).
    Level 1 cases have no MAPPA reviews: asking for one is a caller's mistake.
    """
    if level not in (2, 3):
        raise InvalidInput("level", "only level 2 and 3 cases have MAPPA reviews")
    return last_meeting + timedelta(weeks=settings.max_review_interval_weeks(level))


def review_state(level: int, next_review_due: date | None, today: date) -> ReviewState:
    """R-06: a level 2/3 case past its next review date, with no meeting held, is OVERDUE.

    Holding the meeting moves `next_review_due` on, so "past it" already means "no meeting".
    """
    if level == 1:
        return ReviewState.NOT_REVIEWED
    if next_review_due is None:
        return ReviewState.MISSING
    if today > next_review_due:
        return ReviewState.OVERDUE
    if (next_review_due - today).days <= DUE_SOON_DAYS:
        return ReviewState.DUE_SOON
    return ReviewState.SCHEDULED


def add_working_days(start: date, days: int, holidays: frozenset[date] = frozenset()) -> date:
    """`days` working days after `start` (Monday to Friday, minus the given holidays)."""
    if days < 0:
        raise InvalidInput("days", "must be 0 or more")
    current = start
    remaining = days
    while remaining:
        current += timedelta(days=1)
        if current.weekday() < 5 and current not in holidays:
            remaining -= 1
    return current


def initial_meeting_deadline(
    accepted_on: date, settings: Settings, holidays: frozenset[date] = frozenset()
) -> date:
    """R-08: an accepted referral's initial meeting is due within the configured working days."""
    return add_working_days(accepted_on, settings.initial_meeting_deadline_working_days, holidays)
