"""Visit plans (R-46): every Category 1 case not under reactive management has one.

The default frequency follows the risk level (configuration: VH 30, H 91, M 182, L 365 days);
a police officer or the lead agency may override it with a recorded rationale. A plan whose
next visit date has passed is overdue, and the batch run gives the case a task.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.casework.models import VisitPlan
from hub.db import utcnow
from hub.errors import Conflict, HubError, InvalidInput
from hub.gate import Reader, case_filter, not_found
from hub.models import Agency, MappaCase
from hub.policy import PolicySet
from hub.services.checks import required_text
from hub.services.recording import audit_write
from hub.settings import Settings
from hub.vocabulary import AgencyType, AuditOperation, RiskBand

MIN_DAYS, MAX_DAYS = 1, 730
RATIONALE_MAX = 2000


class NotPermitted(HubError):
    """The reader may see the case but not change this part of it; says why."""


def default_visit_days(band: RiskBand | None, settings: Settings) -> int:
    """R-46: the configured frequency for a risk level. With no risk level recorded the plan
    takes the most frequent (very high) visits until one is: fail safe, never fail quiet."""
    return {
        RiskBand.LOW: settings.visit_days_low,
        RiskBand.MEDIUM: settings.visit_days_medium,
        RiskBand.HIGH: settings.visit_days_high,
    }.get(band or RiskBand.VERY_HIGH, settings.visit_days_very_high)


def next_visit_due(anchor: date, days: int) -> date:
    """The next visit: `days` after the last visit (or after the plan began)."""
    return anchor + timedelta(days=days)


def visit_overdue(plan: VisitPlan, today: date) -> bool:
    return is_overdue(plan.next_due, suspended=plan.suspended, today=today)


def is_overdue(next_due: date, *, suspended: bool, today: date) -> bool:
    """R-46: overdue when the next visit date has passed, unless reactive management has
    suspended the plan (R-45)."""
    return not suspended and today > next_due


def plan_for(session: Session, case_id: uuid.UUID) -> VisitPlan | None:
    return session.scalar(select(VisitPlan).where(VisitPlan.case_id == case_id))


@dataclass(frozen=True)
class Override:
    days: int
    rationale: str


def check_override(days: object, rationale: object) -> tuple[Override | None, list[InvalidInput]]:
    """Every problem with an override at once (the page lists them all), or the override."""
    problems: list[InvalidInput] = []
    parsed = 0
    text = str(days).strip() if days is not None else ""
    if not text:
        problems.append(InvalidInput("days", "Enter how often to visit, in days"))
    elif not text.isdigit() or not MIN_DAYS <= int(text) <= MAX_DAYS:
        problems.append(
            InvalidInput(
                "days",
                f"Visit frequency must be a whole number of days from {MIN_DAYS} to {MAX_DAYS}",
            )
        )
    else:
        parsed = int(text)
    cleaned = ""
    try:
        cleaned = required_text(rationale, "rationale", max_length=RATIONALE_MAX)
    except InvalidInput as exc:
        message = (
            "Enter why the visit frequency differs from the default"
            if exc.problem == "is required"
            else f"Rationale must be {RATIONALE_MAX} characters or fewer"
        )
        problems.append(InvalidInput("rationale", message))
    if problems:
        return None, problems
    return Override(parsed, cleaned), []


def override_plan(
    session: Session,
    policy: PolicySet,
    reader: Reader,
    case_id: uuid.UUID,
    *,
    days: object,
    rationale: object,
    expected_version: int,
    today: date,
) -> VisitPlan:
    """R-46: set the visit frequency away from the default, with the rationale recorded."""
    case, plan = _plan_to_change(session, policy, reader, case_id, today)
    override, problems = check_override(days, rationale)
    if problems or override is None:
        raise problems[0]
    if plan.version != expected_version:
        raise Conflict("the visit plan changed since you read it; reload it and try again")
    plan.override_days = override.days
    plan.override_rationale = override.rationale
    plan.overridden_by = reader.actor.user_id
    plan.overridden_at = utcnow()
    plan.next_due = next_visit_due(plan.last_visit or today, override.days)
    session.flush()
    audit_write(
        session,
        reader.actor,
        AuditOperation.ALTER,
        "visit_plan",
        plan.id,
        person_id=case.person_id,
        case_id=case.id,
        fields=(
            "override_days",
            "override_rationale",
            "overridden_by",
            "overridden_at",
            "next_due",
        ),
        outcome="R-46",
    )
    return plan


def record_visit(
    session: Session,
    policy: PolicySet,
    reader: Reader,
    case_id: uuid.UUID,
    *,
    visited_on: date,
    expected_version: int,
    today: date,
) -> VisitPlan:
    """A visit made: the next one falls due a frequency later."""
    case, plan = _plan_to_change(session, policy, reader, case_id, today)
    if visited_on > today:
        raise InvalidInput("visited_on", "cannot be in the future")
    if plan.version != expected_version:
        raise Conflict("the visit plan changed since you read it; reload it and try again")
    plan.last_visit = max(visited_on, plan.last_visit or visited_on)
    plan.next_due = next_visit_due(plan.last_visit, plan.frequency_days)
    session.flush()
    audit_write(
        session,
        reader.actor,
        AuditOperation.ALTER,
        "visit_plan",
        plan.id,
        person_id=case.person_id,
        case_id=case.id,
        fields=("last_visit", "next_due"),
        outcome="R-46",
    )
    return plan


def may_change_plan(session: Session, reader: Reader, case: MappaCase) -> bool:
    """Visits are police work (MOSOVO); the lead agency, which answers for the plan, may also."""
    if reader.actor.agency_id == case.lead_agency_id:
        return True
    agency = session.get(Agency, reader.actor.agency_id)
    return agency is not None and agency.type is AgencyType.RA_POLICE


def _plan_to_change(
    session: Session, policy: PolicySet, reader: Reader, case_id: uuid.UUID, today: date
) -> tuple[MappaCase, VisitPlan]:
    case = session.scalar(
        select(MappaCase).where(MappaCase.id == case_id, case_filter(policy, reader, "read", today))
    )
    plan = plan_for(session, case_id) if case is not None else None
    if case is None or plan is None:
        raise not_found("visit plan")
    if not may_change_plan(session, reader, case):
        raise NotPermitted("only the police or the lead agency may change a visit plan")
    return case, plan
