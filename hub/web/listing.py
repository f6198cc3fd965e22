"""The case list's filters and reference search, as one SQL clause the gate narrows by.

The gate's `case_filter` decides which cases a reader may list; these only narrow that set
further (`Gate.list_cases(where=...)`), in the database, so a filtered list is audited and
counted exactly like the full one. Filters act on the case's own columns (category, level,
lead agency, review date), which the policy set withholds from no reader who may list the
case (checked by tests/web/test_case_filters.py), so filtering reveals nothing a row would
not show.

Bad values are not guessed at: each is named back to the person in the error summary.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import ColumnElement, and_, exists, or_, select, true
from sqlalchemy.orm import Session

from hub.actor import Actor
from hub.models import Agency, CaseMembership, MappaCase

LEVELS = ("1", "2", "3")
CATEGORIES = ("1", "2", "3", "4")
YES = "yes"
# "Case 1A2B3C4D", "1a2b3c4d", "1a2b", or a whole case id: the reference is the id's start.
_REFERENCE = re.compile(r"^(?:case\s*)?([0-9a-f-]{1,36})$")
FILTER_NAMES = ("reference", "category", "level", "lead_agency", "overdue", "mine")


@dataclass(frozen=True)
class CaseFilters:
    reference: str = ""  # the hex digits searched for, lower case, no dashes
    category: int | None = None
    level: int | None = None
    lead_agency: uuid.UUID | None = None
    overdue: bool = False
    mine: bool = False

    @property
    def any(self) -> bool:
        return self != CaseFilters()

    def query(self) -> dict[str, str]:
        """The filters as query-string values (for pagination links)."""
        given = {
            "reference": self.reference.upper(),
            "category": "" if self.category is None else str(self.category),
            "level": "" if self.level is None else str(self.level),
            "lead_agency": "" if self.lead_agency is None else str(self.lead_agency),
            "overdue": YES if self.overdue else "",
            "mine": YES if self.mine else "",
        }
        return {name: value for name, value in given.items() if value}

    def clause(self, actor: Actor, today: date) -> ColumnElement[bool]:
        parts: list[ColumnElement[bool]] = []
        if self.reference:
            parts.append(reference_clause(self.reference))
        if self.category is not None:
            parts.append(MappaCase.category == self.category)
        if self.level is not None:
            parts.append(MappaCase.current_level == self.level)
        if self.lead_agency is not None:
            parts.append(MappaCase.lead_agency_id == self.lead_agency)
        if self.overdue:
            parts.append(MappaCase.next_review_due < today)
        if self.mine:
            parts.append(mine_clause(actor, today))
        return and_(true(), *parts)


def parse_filters(
    session: Session, given: Mapping[str, str]
) -> tuple[CaseFilters, list[tuple[str, str]]]:
    """The filters asked for, and an error (field id, message) for each value not allowed."""
    errors: list[tuple[str, str]] = []
    reference = given.get("reference", "").strip().lower()
    digits = ""
    if reference:
        match = _REFERENCE.match(reference)
        digits = match.group(1).replace("-", "") if match else ""
        if not digits or len(digits) > 32:
            errors.append(("reference", "Enter a case reference like 1A2B3C4D"))
    category = _choice(given, "category", CATEGORIES, "Select a MAPPA category", errors)
    level = _choice(given, "level", LEVELS, "Select a management level", errors)
    lead = None
    wanted = given.get("lead_agency", "").strip()
    if wanted:
        try:
            lead = uuid.UUID(wanted)
        except ValueError:
            lead = None
        if lead is None or session.get(Agency, lead) is None:
            errors.append(("lead_agency", "Select a lead agency from the list"))
            lead = None
    overdue = _flag(given, "overdue", "Select whether to show only overdue reviews", errors)
    mine = _flag(given, "mine", "Select whether to show only your cases", errors)
    filters = CaseFilters(
        reference=digits if not errors else "",
        category=None if category is None else int(category),
        level=None if level is None else int(level),
        lead_agency=lead,
        overdue=overdue,
        mine=mine,
    )
    return filters, errors


def reference_clause(digits: str) -> ColumnElement[bool]:
    """Cases whose id starts with `digits`: a range on the primary key, so the index answers
    on both databases (a UUID's order is the order of its hex digits)."""
    low = uuid.UUID(digits.ljust(32, "0"))
    high = uuid.UUID(digits.ljust(32, "f"))
    return and_(MappaCase.id >= low, MappaCase.id <= high)


def mine_clause(actor: Actor, today: date) -> ColumnElement[bool]:
    """Cases the reader works: a current membership of their agency naming them, or naming
    nobody (the whole agency's, as the lead agency's is when a case opens)."""
    member = CaseMembership
    return exists(
        select(member.id).where(
            member.case_id == MappaCase.id,
            member.agency_id == actor.agency_id,
            or_(member.until.is_(None), member.until >= today),
            or_(member.user_id.is_(None), member.user_id == actor.user_id),
        )
    )


def due_within(today: date, days: int) -> ColumnElement[bool]:
    """Reviews falling due before `today + days`, the overdue included (R-06)."""
    return MappaCase.next_review_due < today + timedelta(days=days)


def agency_choices(session: Session) -> list[tuple[str, str]]:
    """Every registered agency, by name: reference data about organisations, not case data."""
    found = session.execute(select(Agency.id, Agency.name).order_by(Agency.name))
    return [(str(agency_id), name) for agency_id, name in found]


def _choice(
    given: Mapping[str, str],
    name: str,
    allowed: tuple[str, ...],
    message: str,
    errors: list[tuple[str, str]],
) -> str | None:
    value = given.get(name, "").strip()
    if not value:
        return None
    if value not in allowed:
        errors.append((name, message))
        return None
    return value


def _flag(given: Mapping[str, str], name: str, message: str, errors: list[tuple[str, str]]) -> bool:
    value = given.get(name, "").strip().lower()
    if value in ("", "no"):
        return False
    if value != YES:
        errors.append((name, message))
        return False
    return True
