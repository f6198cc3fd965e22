"""Due dates of sex offender notification requirements (R-32 to R-35, domain.md §4.1).

Pure functions: dates in, dates out. The values the law sets are defaults kept here in one
place; those domain.md marks [verify] (the youth review interval) are parameters.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from hub.errors import InvalidInput
from hub.vocabulary import NotificationEventType

CHANGE_DAYS = 3  # initial notification and changes
WEEKLY_DAYS = 7
ADULT_REVIEW_YEARS = 15  # review of an indefinite requirement
YOUTH_REVIEW_YEARS = 8  # [verify] domain.md §11 q.7

# only a section 83/84-type notification resets the annual date; the 2012 additions
# (bank and card details, identity documents, a child in the household, travel, the weekly
# notification of the homeless) do not.
RESETS_PERIODIC = frozenset(
    {
        NotificationEventType.INITIAL,
        NotificationEventType.CHANGE_NAME,
        NotificationEventType.CHANGE_ADDRESS,
        NotificationEventType.QUALIFYING_STAY,
        NotificationEventType.RELEASE,
        NotificationEventType.PERIODIC,
    }
)


class Disposal(StrEnum):
    """What the court (or the police) gave, as the s.82 table reads it."""

    LIFE_OR_IPP = "LIFE_OR_IPP"
    CUSTODY = "CUSTODY"  # length in months decides the period
    HOSPITAL_WITH_RESTRICTION = "HOSPITAL_WITH_RESTRICTION"
    HOSPITAL_WITHOUT_RESTRICTION = "HOSPITAL_WITHOUT_RESTRICTION"
    CAUTION = "CAUTION"
    CONDITIONAL_DISCHARGE = "CONDITIONAL_DISCHARGE"  # the discharge period, in months
    OTHER = "OTHER"


@dataclass(frozen=True)
class Period:
    """A notification period: indefinite, or a length in months (halving can leave half years)."""

    months: int | None  # None: indefinite

    @property
    def indefinite(self) -> bool:
        return self.months is None


INDEFINITE = Period(None)


def notification_period(disposal: Disposal, *, months: int | None, under_18: bool) -> Period:
    """R-32: the period from the s.82 table; finite periods are halved for under-18s."""
    if disposal in (Disposal.CUSTODY, Disposal.CONDITIONAL_DISCHARGE) and (
        months is None or months <= 0
    ):
        raise InvalidInput("length_months", f"a {disposal.value.lower()} needs its length")
    match disposal:
        case Disposal.LIFE_OR_IPP | Disposal.HOSPITAL_WITH_RESTRICTION:
            return INDEFINITE
        case Disposal.CUSTODY if months is not None and months >= 30:
            return INDEFINITE
        case Disposal.CUSTODY if months is not None and months > 6:
            length = 10 * 12
        case Disposal.CUSTODY | Disposal.HOSPITAL_WITHOUT_RESTRICTION:
            length = 7 * 12
        case Disposal.CAUTION:
            length = 2 * 12
        case Disposal.CONDITIONAL_DISCHARGE:
            assert months is not None
            length = months
        case _:
            length = 5 * 12
    # Halving a discharge of an odd number of months rounds up: never shorter than the law.
    return Period(-(-length // 2) if under_18 else length)


def add_months(start: date, months: int) -> date:
    month0 = start.month - 1 + months
    year, month = start.year + month0 // 12, month0 % 12 + 1
    # 29 February plus a year (or 31 January plus a month) lands on the month's last day.
    for day in (start.day, 30, 29, 28):
        try:
            return date(year, month, day)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def notification_end_date(relevant_date: date, period: Period) -> date | None:
    """R-32: when a finite requirement ends (None: indefinite)."""
    return None if period.months is None else add_months(relevant_date, period.months)


def review_eligibility_date(
    first_notification: date,
    *,
    under_18: bool,
    adult_years: int = ADULT_REVIEW_YEARS,
    youth_years: int = YOUTH_REVIEW_YEARS,
) -> date:
    """R-32: an indefinite requirement may be reviewed after 15 years (8 for a youth)."""
    return add_months(first_notification, 12 * (youth_years if under_18 else adult_years))


def days_after_excluding(start: date, days: int, excluded: Iterable[date] = ()) -> date:
    """`days` counted days after `start`, where days in custody, detention or abroad do not
    count (R-33): each excluded day inside the window pushes the deadline one day on."""
    skip = frozenset(excluded)
    current = start
    counted = 0
    while counted < days:
        current += timedelta(days=1)
        if current not in skip:
            counted += 1
    return current


def initial_due(
    relevant_date: date, *, released_on: date | None = None, excluded: Iterable[date] = ()
) -> date:
    """R-33: the initial notification is due within 3 days of the relevant date, or of
    release if that is later."""
    start = max(relevant_date, released_on) if released_on else relevant_date
    return days_after_excluding(start, CHANGE_DAYS, excluded)


def change_due(trigger_date: date, excluded: Iterable[date] = ()) -> date:
    """R-33: a change (name, address, qualifying stay, release) is due within 3 days."""
    return days_after_excluding(trigger_date, CHANGE_DAYS, excluded)


@dataclass(frozen=True)
class Received:
    """A notification the police received: its type and the day it was made."""

    type: NotificationEventType
    on: date


def next_periodic_due(relevant_date: date, received: Iterable[Received]) -> date:
    """R-34: a year after the last notification that resets the annual date (the initial one
    if nothing since). 2012-addition notifications never move it."""
    resetting = [r.on for r in received if r.type in RESETS_PERIODIC]
    last = max(resetting, default=relevant_date)
    return add_months(last, 12)


def next_weekly_due(since: date, received: Iterable[Received]) -> date:
    """R-35: with no sole or main residence, a weekly notification every 7 days, counted
    from the last one made (or from when the weekly duty began)."""
    weekly = [r.on for r in received if r.type is NotificationEventType.WEEKLY_NFA]
    return max([since, *weekly]) + timedelta(days=WEEKLY_DAYS)


def missed(due_by: date, received_on: date | None, today: date) -> bool:
    """R-35: an event still not received after its due day is MISSED (a breach candidate)."""
    return received_on is None and today > due_by


def next_expected_weekly(
    since: date, received: Iterable[Received], last_expected: date | None, today: date
) -> date:
    """R-35: the due day of the next weekly notification to expect.

    The first is due 7 days after the duty began (or the last one made), even if that day has
    passed: a missed first week is a breach candidate like any other. After a missed week the
    expectation moves on to the current week, so one lapse makes one breach candidate, not
    one per week the run is late.
    """
    due = next_weekly_due(since, received)
    if last_expected is None:
        return due
    due = max(due, last_expected + timedelta(days=WEEKLY_DAYS))
    while due < today:
        due += timedelta(days=WEEKLY_DAYS)
    return due
