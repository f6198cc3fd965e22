"""Opening MAPPA cases and changing their category and level (R-01, R-02, R-04 to R-06)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.actor import Actor
from hub.db import utcnow
from hub.errors import Conflict, InvalidInput, NotFound, RuleViolation
from hub.events import emit
from hub.models import Agency, CaseChange, CaseMembership, MappaCase, Person, RiskAssessment
from hub.services.checks import optional_text, parse_enum, required_text
from hub.services.recording import audit_write
from hub.vocabulary import (
    AuditOperation,
    CaseChangeKind,
    CaseStatus,
    LevelTwoBasis,
    LocationStatus,
    MembershipRole,
    PersonStatus,
    RiskBand,
    RiskTool,
)

OPEN_STATUSES = (CaseStatus.ACTIVE, CaseStatus.EXIT_REVIEW)


@dataclass(frozen=True)
class LevelDecision:
    """Why a case is managed at a level: R-04 (level 2) and R-05 (level 3) need reasons."""

    level: int
    reason: str
    level_two_basis: str | None = None
    rmp_gaps_at_level_two: str | None = None  # the RMP elements level 2 cannot deliver
    next_review_due: date | None = None


@dataclass(frozen=True)
class CaseOpening:
    person_id: uuid.UUID
    category: int
    lead_agency_id: uuid.UUID
    mappa_area: str
    start_date: date
    level: LevelDecision
    category_reason: str = "Category set at screening"
    location_status: str = LocationStatus.COMMUNITY


def open_case(session: Session, actor: Actor, opening: CaseOpening) -> MappaCase:
    person = session.get(Person, opening.person_id)
    if person is None:
        raise NotFound("person")
    if person.status is not PersonStatus.ACTIVE:
        raise RuleViolation(
            "R-56",
            "person_id",
            "this person is held as a possible duplicate; a coordinator must resolve the "
            "match before a case can be opened",
        )
    if session.scalar(
        select(MappaCase.id).where(
            MappaCase.person_id == person.id, MappaCase.status.in_(OPEN_STATUSES)
        )
    ):
        raise InvalidInput("person_id", "this person already has an open MAPPA case")
    lead = session.get(Agency, opening.lead_agency_id)
    if lead is None:
        raise InvalidInput("lead_agency_id", "no such agency")
    category = _parse_category(opening.category)
    level = _check_level(session, None, category, person.id, opening.level)
    case = MappaCase(
        person_id=person.id,
        mappa_area=required_text(opening.mappa_area, "mappa_area", max_length=100),
        category=category,
        current_level=level,
        lead_agency_id=lead.id,
        location_status=parse_enum(LocationStatus, opening.location_status, "location_status"),
        start_date=opening.start_date,
        next_review_due=opening.level.next_review_due,
        owning_agency_id=lead.id,
        created_by=actor.user_id,
    )
    reason = required_text(opening.category_reason, "category_reason", max_length=2000)
    case.history.append(_change(actor, CaseChangeKind.CATEGORY, None, category, reason))
    case.history.append(_level_change(actor, None, opening.level))
    case.members.append(
        CaseMembership(
            agency_id=lead.id, role=MembershipRole.LEAD_CASE_MANAGER, since=opening.start_date
        )
    )
    session.add(case)
    session.flush()
    audit_write(
        session,
        actor,
        AuditOperation.COLLECT,
        "mappa_case",
        case.id,
        person_id=person.id,
        case_id=case.id,
        fields=(
            "category",
            "current_level",
            "lead_agency_id",
            "mappa_area",
            "start_date",
            "next_review_due",
            "location_status",
        ),
    )
    return case


def change_category(
    session: Session,
    actor: Actor,
    case_id: uuid.UUID,
    category: int,
    reason: str,
    *,
    expected_version: int | None = None,
) -> MappaCase:
    """R-01: one category at a time; a change needs a reason and leaves a history entry."""
    case = _open_case(session, case_id, expected_version)
    new = _parse_category(category)
    reason = required_text(reason, "reason", max_length=2000, min_length=10)
    if new == case.category:
        raise InvalidInput("category", f"the case is already category {new}")
    if new == 3 and case.current_level == 1:
        raise RuleViolation(
            "R-02",
            "category",
            "category 3 exists only for active multi-agency management; raise the case to "
            "level 2 or 3 first",
        )
    case.history.append(_change(actor, CaseChangeKind.CATEGORY, case.category, new, reason))
    case.category = new
    session.flush()
    _audit_alter(session, actor, case, ("category",))
    return case


def change_level(
    session: Session,
    actor: Actor,
    case_id: uuid.UUID,
    decision: LevelDecision,
    *,
    expected_version: int | None = None,
) -> MappaCase:
    case = _open_case(session, case_id, expected_version)
    if decision.level == case.current_level:
        raise InvalidInput("level", f"the case is already at level {case.current_level}")
    if case.category == 3 and decision.level == 1:
        # a category 3 case cannot drop to level 1; doing so means it leaves MAPPA,
        # which is a decision to review, never a silent change.
        reason = required_text(decision.reason, "reason", max_length=2000, min_length=10)
        case.history.append(
            _change(actor, CaseChangeKind.STATUS, case.status, CaseStatus.EXIT_REVIEW, reason)
        )
        case.status = CaseStatus.EXIT_REVIEW
        session.flush()
        _audit_alter(session, actor, case, ("status",), "R-02 closure workflow started")
        return case
    level = _check_level(session, case, case.category, case.person_id, decision)
    previous = case.current_level
    case.history.append(_level_change(actor, case.current_level, decision))
    case.current_level = level
    if decision.next_review_due is not None:
        case.next_review_due = decision.next_review_due
    session.flush()
    _audit_alter(session, actor, case, ("current_level", "next_review_due"))
    emit(
        session,
        event_type="case.level_changed",
        case_id=case.id,
        data={"from_level": previous, "to_level": level},
    )
    return case


def _check_level(
    session: Session,
    case: MappaCase | None,
    category: int,
    person_id: uuid.UUID,
    decision: LevelDecision,
) -> int:
    level = decision.level
    if isinstance(level, bool) or not isinstance(level, int) or level not in (1, 2, 3):
        raise InvalidInput("level", f"must be 1, 2 or 3; got {level!r}")
    required_text(decision.reason, "level.reason", max_length=2000)
    if category == 3 and level == 1:
        raise RuleViolation("R-02", "level", "a category 3 case cannot be managed at level 1")
    if level == 2:
        _check_level_two(session, case, person_id, decision)
    if level == 3:
        optional = optional_text(
            decision.rmp_gaps_at_level_two, "level.rmp_gaps_at_level_two", max_length=2000
        )
        if optional is None:
            raise RuleViolation(
                "R-05",
                "level.rmp_gaps_at_level_two",
                "level 3 needs the parts of the risk management plan that cannot be "
                "delivered at level 2",
            )
    if level in (2, 3):
        due = decision.next_review_due or (case.next_review_due if case else None)
        if due is None:
            raise RuleViolation(
                "R-06", "level.next_review_due", "a level 2 or 3 case must have a next review date"
            )
    return level


def _check_level_two(
    session: Session, case: MappaCase | None, person_id: uuid.UUID, decision: LevelDecision
) -> None:
    if decision.level_two_basis is None:
        raise RuleViolation(
            "R-04",
            "level.level_two_basis",
            "level 2 needs a basis: ROSH_HIGH_OR_VERY_HIGH, EXCEPTIONAL_COORDINATION or "
            "STEP_DOWN_FROM_LEVEL_3",
        )
    basis = parse_enum(LevelTwoBasis, decision.level_two_basis, "level.level_two_basis")
    if basis is LevelTwoBasis.STEP_DOWN_FROM_LEVEL_3 and (case is None or case.current_level != 3):
        raise RuleViolation(
            "R-04", "level.level_two_basis", "a step-down needs the case to be at level 3 now"
        )
    if basis is LevelTwoBasis.ROSH_HIGH_OR_VERY_HIGH:
        band = session.scalar(
            select(RiskAssessment.band)
            .where(
                RiskAssessment.person_id == person_id, RiskAssessment.tool == RiskTool.OASYS_ROSH
            )
            .order_by(RiskAssessment.assessed_at.desc())
            .limit(1)
        )
        if band not in (RiskBand.HIGH, RiskBand.VERY_HIGH):
            raise RuleViolation(
                "R-04",
                "level.level_two_basis",
                f"the latest ROSH is {band or 'not recorded'}, not High or Very High",
            )


def add_member(
    session: Session,
    actor: Actor,
    case_id: uuid.UUID,
    agency_id: uuid.UUID,
    role: object,
    *,
    user_id: uuid.UUID | None = None,
    since: date | None = None,
) -> CaseMembership:
    """Record that an agency (or one of its users) works the case, and in what role."""
    member_role = parse_enum(MembershipRole, role, "role")
    case = session.get(MappaCase, case_id)
    if case is None:
        raise NotFound("no case with that id")
    if session.get(Agency, agency_id) is None:
        raise InvalidInput("agency_id", "no agency with that id")
    member = CaseMembership(
        agency_id=agency_id, user_id=user_id, role=member_role, since=since or case.start_date
    )
    case.members.append(member)
    session.flush()
    _audit_alter(session, actor, case, ("members",))
    return member


def _audit_alter(
    session: Session,
    actor: Actor,
    case: MappaCase,
    fields: tuple[str, ...],
    outcome: str | None = None,
) -> None:
    audit_write(
        session,
        actor,
        AuditOperation.ALTER,
        "mappa_case",
        case.id,
        person_id=case.person_id,
        case_id=case.id,
        fields=fields,
        outcome=outcome,
    )


def _open_case(session: Session, case_id: uuid.UUID, expected_version: int | None) -> MappaCase:
    case = session.get(MappaCase, case_id)
    if case is None:
        raise NotFound("case")
    if expected_version is not None and case.version != expected_version:
        raise Conflict("the case changed since you read it; reload it and try again")
    if case.status is CaseStatus.CLOSED:
        raise InvalidInput("case_id", "the case is closed")
    return case


def _parse_category(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value not in (1, 2, 3, 4):
        raise RuleViolation("R-01", "category", f"must be exactly one of 1, 2, 3, 4; got {value!r}")
    return value


def _change(
    actor: Actor,
    kind: CaseChangeKind,
    old: object | None,
    new: object,
    reason: str,
    basis: LevelTwoBasis | None = None,
) -> CaseChange:
    return CaseChange(
        kind=kind,
        old_value=None if old is None else str(old),
        new_value=str(new),
        reason=reason,
        level_two_basis=basis,
        changed_at=utcnow(),
        changed_by=actor.user_id,
    )


def _level_change(actor: Actor, old: int | None, decision: LevelDecision) -> CaseChange:
    basis = (
        parse_enum(LevelTwoBasis, decision.level_two_basis, "level.level_two_basis")
        if decision.level_two_basis
        else None
    )
    reason = decision.reason.strip()
    if decision.rmp_gaps_at_level_two:
        reason = f"{reason} | Level 2 cannot deliver: {decision.rmp_gaps_at_level_two.strip()}"
    return _change(actor, CaseChangeKind.LEVEL, old, decision.level, reason[:2000], basis)
