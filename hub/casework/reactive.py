"""Reactive management (R-45, domain.md §3.6, scenario 5).

A Category 1 case whose police risk level has been LOW continuously for the configured years
(3 by default), with no adverse intelligence, breach or change of circumstances in that time,
is eligible: it gets no home visits and is monitored remotely (the annual notification in
person stays). Any later concern, intelligence item, breach, change of circumstances or
rise in risk ends it: a review task, a new risk assessment, and the visit plan back.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.casework.kinds import ReactiveEndReason
from hub.casework.models import ReactiveManagement
from hub.casework.notifications import add_months
from hub.casework.visits import NotPermitted, plan_for
from hub.errors import Conflict, RuleViolation
from hub.gate import Reader, case_filter, not_found
from hub.models import Agency, MappaCase
from hub.policy import PolicySet
from hub.services.recording import audit_write
from hub.vocabulary import AgencyType, AuditOperation, RiskBand


@dataclass(frozen=True)
class Adverse:
    """Something recorded about the case that counts against reactive management."""

    on: date
    reason: ReactiveEndReason


def low_since(police_history: list[tuple[date, RiskBand]]) -> date | None:
    """When the current unbroken run of LOW police assessments began (None: not LOW now)."""
    start: date | None = None
    for assessed_on, band in police_history:
        start = (start or assessed_on) if band is RiskBand.LOW else None
    return start


def eligible_since(
    police_history: list[tuple[date, RiskBand]],
    adverse: list[Adverse],
    *,
    today: date,
    years: int,
) -> date | None:
    """R-45: the day the case became eligible, or None if it is not eligible today.

    The clock starts at the later of the LOW run's start and the last adverse event; it must
    have run `years` without interruption.
    """
    start = low_since(police_history)
    if start is None:
        return None
    since_adverse = [a.on for a in adverse if a.on >= start]
    clock = max([start, *since_adverse])
    became = add_months(clock, 12 * years)
    return became if became <= today else None


def new_information(
    started_on: date,
    police_history: list[tuple[date, RiskBand]],
    adverse: list[Adverse],
) -> Adverse | None:
    """R-45: the first thing recorded on or after the start that ends reactive management."""
    found = [a for a in adverse if a.on >= started_on]
    found += [
        Adverse(on, ReactiveEndReason.RISK_INCREASE)
        for on, band in police_history
        if on >= started_on and band is not RiskBand.LOW
    ]
    return min(found, key=lambda a: a.on) if found else None


def start(
    session: Session,
    policy: PolicySet,
    reader: Reader,
    case_id: uuid.UUID,
    *,
    expected_version: int,
    today: date,
) -> ReactiveManagement:
    """A police decision to manage an eligible case reactively: visits are suspended."""
    case = session.scalar(
        select(MappaCase).where(MappaCase.id == case_id, case_filter(policy, reader, "read", today))
    )
    record = (
        session.scalar(select(ReactiveManagement).where(ReactiveManagement.case_id == case_id))
        if case is not None
        else None
    )
    if case is None or record is None:
        raise not_found("case")
    agency = session.get(Agency, reader.actor.agency_id)
    if agency is None or agency.type is not AgencyType.RA_POLICE:
        raise NotPermitted("only the police decide on reactive management")
    if record.version != expected_version:
        raise Conflict("the case's reactive management changed since you read it; reload it")
    if record.eligible_since is None or record.active:
        raise RuleViolation(
            "R-45",
            "reactive_management",
            "the case is not eligible"
            if not record.active
            else "the case is already managed reactively",
        )
    record.active = True
    record.started_on = today
    record.started_by = reader.actor.user_id
    record.ended_on = None
    record.end_reason = None
    plan = plan_for(session, case_id)
    if plan is not None:
        plan.suspended = True
    session.flush()
    audit_write(
        session,
        reader.actor,
        AuditOperation.ALTER,
        "reactive_management",
        record.id,
        person_id=case.person_id,
        case_id=case.id,
        fields=("active", "started_on", "started_by"),
        outcome="R-45",
    )
    return record
