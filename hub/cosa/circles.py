"""Setting up, starting and suspending circles (R-50, R-53), and who may reach one.

A circle is reached only by its own coordinator (the portal) or a member of its outer circle;
for anyone else it does not exist: `NotFound`, exactly as for a missing id.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.actor import Actor
from hub.cosa.models import Circle, CircleOuterMember, CircleVolunteer
from hub.cosa.notices import notify, outer_circle
from hub.cosa.rules import CosaRules
from hub.cosa.vocabulary import CircleStatus, CircleType, NoticeKind, OuterRole
from hub.errors import InvalidInput, NotFound, RuleViolation
from hub.models import Agency, MappaCase, User
from hub.services.checks import parse_enum, required_text
from hub.services.recording import audit_write
from hub.vocabulary import AgencyType, AuditOperation, Role

REFERRERS = frozenset({Role.MAPPA_COORDINATOR, Role.OFFENDER_MANAGER, Role.MOSOVO_OFFICER})


@dataclass(frozen=True)
class OuterMemberInput:
    user_id: uuid.UUID
    role: str


def circles_of(session: Session, actor: Actor) -> list[Circle]:
    """The circles `actor` coordinates: the only ones the portal ever lists."""
    if actor.user_id is None:
        return []
    return list(
        session.scalars(
            select(Circle)
            .where(
                Circle.coordinator_user_id == actor.user_id,
                Circle.provider_agency_id == actor.agency_id,
            )
            .order_by(Circle.reference)
        )
    )


def coordinated_circle(session: Session, actor: Actor, circle_id: uuid.UUID) -> Circle:
    circle = session.get(Circle, circle_id)
    if (
        circle is None
        or actor.user_id is None
        or circle.coordinator_user_id != actor.user_id
        or circle.provider_agency_id != actor.agency_id
    ):
        raise NotFound("circle")
    return circle


def outer_circle_circle(session: Session, actor: Actor, circle_id: uuid.UUID) -> Circle:
    """A circle whose outer circle names `actor`."""
    circle = session.get(Circle, circle_id)
    if (
        circle is None
        or actor.user_id is None
        or actor.user_id not in outer_circle(session, circle)
    ):
        raise NotFound("circle")
    return circle


def create_circle(
    session: Session,
    actor: Actor,
    *,
    case_id: uuid.UUID,
    reference: str,
    circle_type: str,
    coordinator_id: uuid.UUID,
    manager_id: uuid.UUID,
    outer: Iterable[OuterMemberInput],
    planned_end: date | None = None,
) -> Circle:
    """A PROPOSED circle, set up by the police or probation referrer of the core member."""
    if not actor.has_any_role(*REFERRERS):
        raise InvalidInput("by", "only a MAPPA coordinator, offender manager or MOSOVO refers")
    case = session.get(MappaCase, case_id)
    if case is None:
        raise NotFound("case")
    ref = required_text(reference, "reference", max_length=40).upper()
    if session.scalar(select(Circle.id).where(Circle.reference == ref)):
        raise InvalidInput("reference", f"circle {ref} already exists")
    coordinator = _user(session, coordinator_id, "coordinator")
    if Role.COSA_COORDINATOR not in coordinator.roles or (
        coordinator.agency.type is not AgencyType.COSA_PROVIDER
    ):
        raise InvalidInput("coordinator", "must be a COSA coordinator of a COSA provider")
    manager = _user(session, manager_id, "manager")
    if manager.agency_id != coordinator.agency_id:
        raise InvalidInput("manager", "must work for the coordinator's COSA provider")
    members = list(outer)
    if not any(
        parse_enum(OuterRole, m.role, "outer.role") is OuterRole.POLICE_CONTACT for m in members
    ):
        raise InvalidInput("outer", "name the police contact of the outer circle (R-52)")
    circle = Circle(
        reference=ref,
        case_id=case.id,
        person_id=case.person_id,
        provider_agency_id=coordinator.agency_id,
        coordinator_user_id=coordinator.id,
        manager_user_id=manager.id,
        type=parse_enum(CircleType, circle_type, "type"),
        planned_end=planned_end,
        created_by=actor.user_id,
    )
    session.add(circle)
    session.flush()
    for member in members:
        user = _user(session, member.user_id, "outer.user")
        role = parse_enum(OuterRole, member.role, "outer.role")
        if user.agency.type is AgencyType.COSA_PROVIDER:
            raise InvalidInput("outer.user", "the outer circle is professionals, not the provider")
        if role is OuterRole.POLICE_CONTACT and user.agency.type is not AgencyType.RA_POLICE:
            raise InvalidInput("outer.user", "the police contact must work for a police force")
        session.add(
            CircleOuterMember(
                circle_id=circle.id,
                agency_id=user.agency_id,
                user_id=user.id,
                role=role,
            )
        )
    session.flush()
    _audit(session, actor, AuditOperation.COLLECT, circle, ("reference", "type", "outer_circle"))
    return circle


def record_agreements(
    session: Session,
    actor: Actor,
    circle_id: uuid.UUID,
    *,
    consent_signed_on: date | None,
    contract_signed_on: date | None,
    today: date,
) -> Circle:
    """The dates the core member signed the consent and everyone signed the contract (R-50)."""
    circle = coordinated_circle(session, actor, circle_id)
    fields = []
    for name, value in (
        ("consent_signed_on", consent_signed_on),
        ("contract_signed_on", contract_signed_on),
    ):
        if value is not None and value > today:
            raise InvalidInput(name, "cannot be in the future")
    if consent_signed_on is not None:
        if circle.consent_withdrawn_at is not None:
            raise RuleViolation(
                "R-53", "consent_signed_on", "consent was withdrawn; set up a new circle"
            )
        circle.consent_signed_at = _midday(consent_signed_on)
        fields.append("consent_signed_at")
    if contract_signed_on is not None:
        circle.contract_signed_at = _midday(contract_signed_on)
        fields.append("contract_signed_at")
    if not fields:
        raise InvalidInput("consent_signed_on", "give the date of the consent or of the contract")
    session.flush()
    _audit(session, actor, AuditOperation.ALTER, circle, fields)
    return circle


def add_volunteer(
    session: Session,
    actor: Actor,
    circle_id: uuid.UUID,
    *,
    name: str,
    dbs_check_date: date | None,
    trained_on: date | None,
    vetted: bool,
    today: date,
) -> CircleVolunteer:
    circle = coordinated_circle(session, actor, circle_id)
    for field, value in (("dbs_check_date", dbs_check_date), ("trained_on", trained_on)):
        if value is not None and value > today:
            raise InvalidInput(field, "cannot be in the future")
    volunteer = CircleVolunteer(
        circle_id=circle.id,
        dbs_check_date=dbs_check_date,
        trained_on=trained_on,
        vetted=vetted,
        joined_on=today,
        added_by=actor.user_id,
    )
    volunteer.name = required_text(name, "name", max_length=200)
    session.add(volunteer)
    session.flush()
    audit_write(
        session,
        actor,
        AuditOperation.COLLECT,
        "circle_volunteer",
        volunteer.id,
        case_id=circle.case_id,
        fields=("name", "dbs_check_date", "trained_on", "vetted"),
        extra={"circle": str(circle.id)},
    )
    return volunteer


def roster(session: Session, circle: Circle) -> list[CircleVolunteer]:
    return list(
        session.scalars(
            select(CircleVolunteer)
            .where(CircleVolunteer.circle_id == circle.id, CircleVolunteer.left_on.is_(None))
            .order_by(CircleVolunteer.joined_on, CircleVolunteer.id)
        )
    )


def start_problems(
    session: Session, circle: Circle, rules: CosaRules, today: date
) -> list[tuple[str, str]]:
    """Why the circle cannot start today (R-50), as (field, message) pairs; none: it can."""
    problems = []
    if circle.consent_signed_at is None or circle.consent_withdrawn_at is not None:
        problems.append(("consent_signed_on", "Record the core member's signed consent"))
    if circle.contract_signed_at is None:
        problems.append(("contract_signed_on", "Record the date the circle contract was signed"))
    coordinator = session.get(User, circle.coordinator_user_id)
    if (
        coordinator is None
        or coordinator.vetting_expires is None
        or coordinator.vetting_expires < today
    ):
        problems.append(("coordinator", "The coordinator's vetting is not current"))
    volunteers = roster(session, circle)
    if not volunteers:
        problems.append(("volunteers", "Add the circle's volunteers"))
    for volunteer in volunteers:
        if not volunteer.vetted or volunteer.trained_on is None:
            problems.append(("volunteers", f"{volunteer.name} is not vetted and trained"))
        elif not rules.dbs_current(volunteer.dbs_check_date, today):
            problems.append(("volunteers", f"{volunteer.name}'s DBS check is not current"))
    return problems


def start_circle(
    session: Session, actor: Actor, circle_id: uuid.UUID, *, rules: CosaRules, now: datetime
) -> Circle:
    circle = coordinated_circle(session, actor, circle_id)
    if circle.status is not CircleStatus.PROPOSED:
        raise InvalidInput("status", f"the circle is {circle.status.value.lower()}, not proposed")
    problems = start_problems(session, circle, rules, now.date())
    if problems:
        field, message = problems[0]
        raise RuleViolation("R-50", field, message)
    circle.status = CircleStatus.ACTIVE
    circle.started_at = now
    session.flush()
    _audit(session, actor, AuditOperation.ALTER, circle, ("status", "started_at"), "STARTED")
    return circle


def withdraw_consent(
    session: Session, actor: Actor, circle_id: uuid.UUID, *, now: datetime
) -> Circle:
    """R-53: the circle is suspended, the outer circle told, the shared profile closed."""
    circle = coordinated_circle(session, actor, circle_id)
    if circle.consent_withdrawn_at is not None:
        raise InvalidInput("consent", "consent is already recorded as withdrawn")
    circle.consent_withdrawn_at = now
    circle.status = CircleStatus.SUSPENDED
    session.flush()
    _audit(session, actor, AuditOperation.ALTER, circle, ("status", "consent_withdrawn_at"), "R-53")
    notify(session, outer_circle(session, circle), circle, NoticeKind.CIRCLE_SUSPENDED, now)
    return circle


def provider_of(session: Session, circle: Circle) -> Agency:
    agency = session.get(Agency, circle.provider_agency_id)
    assert agency is not None
    return agency


def _user(session: Session, user_id: uuid.UUID, field: str) -> User:
    user = session.get(User, user_id)
    if user is None or not user.active:
        raise InvalidInput(field, "no active user with that id")
    return user


def _midday(day: date) -> datetime:
    return datetime.combine(day, time(12, 0), tzinfo=UTC)


def _audit(
    session: Session,
    actor: Actor,
    operation: AuditOperation,
    circle: Circle,
    fields: Iterable[str],
    outcome: str | None = None,
) -> None:
    audit_write(
        session,
        actor,
        operation,
        "circle",
        circle.id,
        person_id=circle.person_id,
        case_id=circle.case_id,
        fields=tuple(fields),
        outcome=outcome,
    )
