"""Concerns (R-52, R-53, scenario 4): raised in the circle, alerted at once, acknowledged by
the outer circle or escalated to the provider's manager, and answered with an outcome.

A concern also becomes a RISK item on the core member's case, owned by the COSA provider
and shared on a PUBLIC_INTEREST basis (as the COSA connector maps a provider's concerns), so
police and probation read its words through the gate like any other item, and a volunteer's
concern still reaches them after consent is withdrawn (R-53). The outcome that comes back is
what the outer circle chooses to tell the coordinator; the intelligence behind it stays in
their own items, which no portal page reads.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.actor import Actor, hub_actor
from hub.cosa.circles import coordinated_circle, outer_circle_circle
from hub.cosa.models import Circle, CircleVolunteer, Concern
from hub.cosa.notices import notify, outer_circle
from hub.cosa.rules import CosaRules, add_working_days
from hub.cosa.vocabulary import CircleStatus, ConcernCategory, NoticeKind, OuterRole, Severity
from hub.errors import InvalidInput, NotFound
from hub.events import emit
from hub.services.checks import parse_enum, required_text
from hub.services.items import ItemInput, record_item
from hub.services.recording import audit_write
from hub.vocabulary import AuditOperation, SourceSystem

# Severities with an acknowledgement deadline; a routine concern is read at the next review.
TIMED = frozenset({Severity.SIGNIFICANT, Severity.URGENT})


def raise_concern(
    session: Session,
    actor: Actor,
    circle_id: uuid.UUID,
    *,
    category: str | None,
    severity: str | None,
    description: str | None,
    reported_by_volunteer_id: uuid.UUID | None,
    rules: CosaRules,
    now: datetime,
) -> Concern:
    circle = coordinated_circle(session, actor, circle_id)
    if circle.status is CircleStatus.ENDED:
        raise InvalidInput("circle", "the circle has ended; tell the outer circle directly")
    if not severity:
        raise InvalidInput("severity", "Select how serious the concern is")
    if not category:
        raise InvalidInput("category", "Select what the concern is about")
    level = parse_enum(Severity, severity, "severity")
    kind = parse_enum(ConcernCategory, category, "category")
    text = required_text(description, "description", max_length=5000)
    if reported_by_volunteer_id is not None:
        volunteer = session.get(CircleVolunteer, reported_by_volunteer_id)
        if volunteer is None or volunteer.circle_id != circle.id:
            raise InvalidInput("volunteer", "choose a volunteer of this circle")
    concern = Concern(
        circle_id=circle.id,
        case_id=circle.case_id,
        raised_by=actor.user_id,
        reported_by_volunteer_id=reported_by_volunteer_id,
        raised_at=now,
        category=kind,
        severity=level,
        acknowledge_by=(
            add_working_days(now, rules.acknowledge_working_days) if level in TIMED else None
        ),
    )
    concern.description = text
    session.add(concern)
    session.flush()
    audit_write(
        session,
        actor,
        AuditOperation.COLLECT,
        "concern",
        concern.id,
        person_id=circle.person_id,
        case_id=circle.case_id,
        fields=("category", "severity", "description"),
        extra={"severity": level.value},
    )
    item = record_item(
        session,
        actor,
        ItemInput(
            case_id=circle.case_id,
            category="RISK",
            legal_basis="PUBLIC_INTEREST",
            title=f"COSA concern ({level.value}): {kind.value}",
            content=f"Raised in circle {circle.reference}; severity {level.value}.\n\n{text}",
            source_system=SourceSystem.COSA,
            source_reference=f"{circle.reference}-{concern.id}",
            received_at=now,
        ),
    )
    # an urgent concern reaches the coordinator and the police contact at once.
    if level is Severity.URGENT:
        police = outer_circle(session, circle, OuterRole.POLICE_CONTACT)
        told = [circle.coordinator_user_id, *police]
        notify(session, told, circle, NoticeKind.CONCERN_URGENT, now, concern.id)
    else:
        notify(
            session,
            outer_circle(session, circle),
            circle,
            NoticeKind.CONCERN_RAISED,
            now,
            concern.id,
        )
    emit(
        session,
        event_type="concern.raised",
        case_id=circle.case_id,
        item_id=item.id,
        data={
            "concern_id": str(concern.id),
            "circle_reference": circle.reference,
            "severity": level.value,
            "category": kind.value,
        },
    )
    return concern


def concerns_of(session: Session, circle: Circle) -> list[Concern]:
    return list(
        session.scalars(
            select(Concern)
            .where(Concern.circle_id == circle.id)
            .order_by(Concern.raised_at.desc(), Concern.id)
        )
    )


def acknowledge(session: Session, actor: Actor, concern_id: uuid.UUID, *, now: datetime) -> Concern:
    """A member of the outer circle has the concern in hand (R-52)."""
    concern, circle = for_outer_circle(session, actor, concern_id)
    if concern.acknowledged_at is not None:
        raise InvalidInput("concern", "the concern is already acknowledged")
    concern.acknowledged_at = now
    concern.acknowledged_by = actor.user_id
    session.flush()
    _audit(session, actor, circle, concern, ("acknowledged_at",), "ACKNOWLEDGED")
    return concern


def record_outcome(
    session: Session, actor: Actor, concern_id: uuid.UUID, *, outcome: str, now: datetime
) -> Concern:
    """What the coordinator is told (scenario 4): the action, never the intelligence."""
    concern, circle = for_outer_circle(session, actor, concern_id)
    concern.outcome = required_text(outcome, "outcome", max_length=2000)
    concern.outcome_at = now
    concern.outcome_by = actor.user_id
    fields = ["outcome"]
    if concern.acknowledged_at is None:
        concern.acknowledged_at, concern.acknowledged_by = now, actor.user_id
        fields.append("acknowledged_at")
    session.flush()
    _audit(session, actor, circle, concern, fields, "OUTCOME")
    notify(
        session, [circle.coordinator_user_id], circle, NoticeKind.CONCERN_OUTCOME, now, concern.id
    )
    return concern


def escalate_overdue(session: Session, now: datetime) -> list[Concern]:
    """R-52: every timed concern past its deadline, unacknowledged, goes to the provider's
    manager once. Run by `hub cosa escalate` from a scheduler; safe to run again."""
    due = session.scalars(
        select(Concern)
        .where(
            Concern.acknowledged_at.is_(None),
            Concern.escalated_at.is_(None),
            Concern.acknowledge_by.is_not(None),
            Concern.acknowledge_by <= now,
        )
        .order_by(Concern.acknowledge_by, Concern.id)
        .with_for_update(skip_locked=True)
    ).all()
    actor = hub_actor("COSA_ESCALATION")
    for concern in due:
        circle = session.get(Circle, concern.circle_id)
        assert circle is not None
        concern.escalated_at = now
        concern.escalated_to = circle.manager_user_id
        session.flush()
        _audit(session, actor, circle, concern, ("escalated_at", "escalated_to"), "R-52")
        notify(
            session,
            [circle.manager_user_id],
            circle,
            NoticeKind.CONCERN_ESCALATED,
            now,
            concern.id,
        )
    return list(due)


def for_outer_circle(
    session: Session, actor: Actor, concern_id: uuid.UUID
) -> tuple[Concern, Circle]:
    """A concern of a circle whose outer circle names `actor`; any other answers NotFound."""
    concern = session.get(Concern, concern_id)
    if concern is None:
        raise NotFound("concern")
    try:
        circle = outer_circle_circle(session, actor, concern.circle_id)
    except NotFound:
        raise NotFound("concern") from None  # hidden answers as missing does
    return concern, circle


def _audit(
    session: Session,
    actor: Actor,
    circle: Circle,
    concern: Concern,
    fields: tuple[str, ...] | list[str],
    outcome: str,
) -> None:
    audit_write(
        session,
        actor,
        AuditOperation.ALTER,
        "concern",
        concern.id,
        person_id=circle.person_id,
        case_id=circle.case_id,
        fields=tuple(fields),
        outcome=outcome,
    )
