"""The configured COSA timings (HUB_COSA_*), and working days to count them in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from hub.settings import Settings


@dataclass(frozen=True)
class CosaRules:
    dbs_validity_days: int = 1095  # an enhanced DBS check counts for this long
    acknowledge_working_days: int = 1  # a SIGNIFICANT concern's acknowledgement
    minutes_working_days: int = 3  # minutes reach the outer circle within this

    @classmethod
    def from_settings(cls, settings: Settings) -> CosaRules:
        return cls(
            dbs_validity_days=settings.cosa_dbs_validity_days,
            acknowledge_working_days=settings.cosa_acknowledge_working_days,
            minutes_working_days=settings.cosa_minutes_working_days,
        )

    def dbs_current(self, checked_on: date | None, today: date) -> bool:
        return checked_on is not None and checked_on <= today < checked_on + timedelta(
            days=self.dbs_validity_days
        )


def add_working_days(moment: datetime, days: int) -> datetime:
    """`days` weekdays after `moment`, at the same time of day.

    Weekends only: bank holidays differ between the four nations and year by year, and a
    deadline a holiday early errs on the side of acting sooner.
    """
    current = moment
    left = days
    while left > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            left -= 1
    return current


def rules_of(extensions: dict[str, object], settings: Settings) -> CosaRules:
    """The app's COSA rules, built once from its settings and shared by the portal and the
    workspace's circle pages (`app.extensions`)."""
    found = extensions.get("hub.cosa.rules")
    if not isinstance(found, CosaRules):
        found = CosaRules.from_settings(settings)
        extensions["hub.cosa.rules"] = found
    return found
