"""Scheduling a level 2/3 meeting: the agenda builds itself, then attendance and MAPPA D.

The agenda takes every case of the meeting's level whose review falls due by the meeting
(R-06, overdue first), every accepted referral still waiting for its initial meeting (R-08)
and every urgent disclosure made outside a meeting and not yet ratified (R-27). Only cases the
organiser may list are put on it: the caller passes the gate's SQL clause for that.
"""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from hub.actor import Actor
from hub.db import utcnow
from hub.errors import InvalidInput, RuleViolation
from hub.meetings.common import (
    ORGANISERS,
    NotPermitted,
    Problems,
    audit,
    chair_roles,
    check_version,
    found,
    need_role,
    text,
)
from hub.meetings.models import (
    AgendaReason,
    AttendanceStatus,
    Attendee,
    Contribution,
    DisclosureDecision,
    Meeting,
    MeetingCaseItem,
    MeetingStatus,
    MeetingType,
    Referral,
    ReferralStatus,
)
from hub.models import Agency, CaseMembership, MappaCase, User
from hub.services.cases import OPEN_STATUSES
from hub.vocabulary import AuditOperation


def schedule_meeting(
    session: Session,
    actor: Actor,
    *,
    level: object,
    meeting_type: object,
    scheduled_for: date,
    mappa_area: str,
    visible: ColumnElement[bool],
    today: date,
    chair_user_id: uuid.UUID | None = None,
) -> Meeting:
    need_role(actor, ORGANISERS, "schedule a meeting")
    problems: list[tuple[str, str]] = []
    if level not in (2, 3) or isinstance(level, bool):
        problems.append(("level", "Select level 2 or level 3"))
    try:
        kind = MeetingType(str(meeting_type))
    except ValueError:
        problems.append(("type", "Select initial, review or emergency"))
    if problems:
        raise Problems(problems)
    assert isinstance(level, int)
    chair = (
        session.get(User, chair_user_id or actor.user_id)
        if (chair_user_id or actor.user_id)
        else None
    )
    if chair is None or chair.roles.isdisjoint(chair_roles(level)):
        raise InvalidInput("chair", f"the chair must hold the level {level} chair role")
    meeting = Meeting(
        mappa_area=mappa_area,
        level=level,
        type=kind,
        scheduled_for=scheduled_for,
        chair_user_id=chair.id,
        owning_agency_id=chair.agency_id,
        created_by=actor.user_id,
    )
    session.add(meeting)
    _build_agenda(session, meeting, visible, today)
    _invite(session, meeting, chair)
    session.flush()
    audit(
        session,
        actor,
        AuditOperation.COLLECT,
        "mappa_meeting",
        meeting.id,
        fields=("level", "type", "scheduled_for", "chair", "agenda", "attendees"),
    )
    return meeting


def _build_agenda(
    session: Session, meeting: Meeting, visible: ColumnElement[bool], today: date
) -> None:
    chosen: dict[uuid.UUID, tuple[AgendaReason, uuid.UUID | None]] = {}
    due = session.execute(
        select(MappaCase.id, MappaCase.next_review_due)
        .where(
            visible,
            MappaCase.current_level == meeting.level,
            MappaCase.status.in_(OPEN_STATUSES),
            MappaCase.next_review_due <= meeting.scheduled_for,
        )
        .order_by(MappaCase.next_review_due, MappaCase.id)
    ).all()
    for case_id, review_due in due:
        late = review_due is not None and review_due < today
        chosen[case_id] = (AgendaReason.REVIEW_OVERDUE if late else AgendaReason.REVIEW_DUE, None)
    waiting = session.execute(
        select(Referral.case_id, Referral.id)
        .join(MappaCase, MappaCase.id == Referral.case_id)
        .where(
            visible,
            Referral.status == ReferralStatus.ACCEPTED,
            Referral.level_requested == meeting.level,
            ~select(MeetingCaseItem.id).where(MeetingCaseItem.referral_id == Referral.id).exists(),
        )
        .order_by(Referral.target_meeting_by)
    ).all()
    for case_id, referral_id in waiting:
        chosen.setdefault(case_id, (AgendaReason.REFERRAL, referral_id))
    urgent = session.scalars(
        select(DisclosureDecision)
        .join(MappaCase, MappaCase.id == DisclosureDecision.case_id)
        .where(
            visible,
            DisclosureDecision.urgent.is_(True),
            DisclosureDecision.ratified_item_id.is_(None),
        )
    ).all()
    for decision in urgent:
        chosen.setdefault(decision.case_id, (AgendaReason.RATIFICATION, None))
    cases = {c.id: c for c in session.scalars(select(MappaCase).where(MappaCase.id.in_(chosen)))}
    for position, (case_id, (reason, from_referral)) in enumerate(chosen.items(), start=1):
        case = cases[case_id]
        item = MeetingCaseItem(
            case_id=case_id,
            position=position,
            reason=reason,
            referral_id=from_referral,
            category=case.category,
            level_before=case.current_level,
            lead_agency_id=case.lead_agency_id,
            owning_agency_id=meeting.owning_agency_id,
        )
        meeting.items.append(item)
    session.flush()
    for decision in urgent:  # each goes on this agenda for ratification
        item = next(i for i in meeting.items if i.case_id == decision.case_id)
        decision.ratified_item_id = item.id


def add_to_agenda(
    session: Session,
    actor: Actor,
    *,
    meeting_id: uuid.UUID,
    case_id: uuid.UUID,
    reason: AgendaReason = AgendaReason.REVIEW_DUE,
) -> MeetingCaseItem:
    """A case added by hand (an emergency, or a review brought forward)."""
    need_role(actor, ORGANISERS, "change an agenda")
    meeting = found(session, Meeting, meeting_id, "meeting")
    case = found(session, MappaCase, case_id, "case")
    if any(i.case_id == case.id for i in meeting.items):
        raise InvalidInput("case_id", "the case is already on this agenda")
    item = MeetingCaseItem(
        case_id=case.id,
        position=len(meeting.items) + 1,
        reason=reason,
        category=case.category,
        level_before=case.current_level,
        lead_agency_id=case.lead_agency_id,
        owning_agency_id=meeting.owning_agency_id,
    )
    meeting.items.append(item)
    if not any(a.agency_id == case.lead_agency_id for a in meeting.attendees):
        meeting.attendees.append(Attendee(agency_id=case.lead_agency_id))
    session.flush()
    audit(session, actor, AuditOperation.ALTER, "mappa_meeting", meeting.id, fields=("agenda",))
    return item


def _invite(session: Session, meeting: Meeting, chair: User) -> None:
    """Invite the chair and every agency working a case on the agenda (the R-11 list)."""
    meeting.attendees.append(
        Attendee(agency_id=chair.agency_id, user_id=chair.id, status=AttendanceStatus.INVITED)
    )
    case_ids = [i.case_id for i in meeting.items]
    agencies = set(
        session.scalars(
            select(CaseMembership.agency_id).where(CaseMembership.case_id.in_(case_ids))
        )
    )
    agencies |= {i.lead_agency_id for i in meeting.items if i.lead_agency_id is not None}
    for agency_id in sorted(agencies - {chair.agency_id}):
        meeting.attendees.append(Attendee(agency_id=agency_id, status=AttendanceStatus.INVITED))


def invite(
    session: Session,
    actor: Actor,
    *,
    meeting_id: uuid.UUID,
    agency_id: uuid.UUID,
    user_id: uuid.UUID | None = None,
) -> Attendee:
    meeting = found(session, Meeting, meeting_id, "meeting")
    need_role(actor, ORGANISERS, "invite to a meeting")
    if session.get(Agency, agency_id) is None:
        raise InvalidInput("agency_id", "no agency with that id")
    attendee = Attendee(agency_id=agency_id, user_id=user_id)
    meeting.attendees.append(attendee)
    session.flush()
    audit(session, actor, AuditOperation.ALTER, "mappa_meeting", meeting.id, fields=("attendees",))
    return attendee


def record_attendance(
    session: Session,
    actor: Actor,
    *,
    meeting_id: uuid.UUID,
    statuses: dict[uuid.UUID, object],
    expected_version: int | None = None,
) -> Meeting:
    """The register: every attendee's status in one save, or none of them."""
    meeting = found(session, Meeting, meeting_id, "meeting")
    need_role(actor, ORGANISERS, "take the register")
    check_version(meeting.version, expected_version)
    by_id = {a.id: a for a in meeting.attendees}
    problems: list[tuple[str, str]] = []
    parsed: dict[uuid.UUID, AttendanceStatus] = {}
    for attendee_id, value in statuses.items():
        if attendee_id not in by_id:
            problems.append((f"attendee-{attendee_id}", "is not on this meeting's list"))
            continue
        try:
            parsed[attendee_id] = AttendanceStatus(str(value))
        except ValueError:
            problems.append((f"attendee-{attendee_id}", "Select whether they attended"))
    if problems:
        raise Problems(problems)
    for attendee_id, status in parsed.items():
        by_id[attendee_id].status = status
    meeting.updated_at = utcnow()  # the register is part of the meeting: its version moves
    session.flush()
    audit(session, actor, AuditOperation.ALTER, "mappa_meeting", meeting.id, fields=("attendance",))
    return meeting


def attendee_for(meeting: Meeting, actor: Actor) -> Attendee | None:
    """The actor's own line on the list: by name, else their agency's unnamed place."""
    for attendee in meeting.attendees:
        if attendee.user_id is not None and attendee.user_id == actor.user_id:
            return attendee
    for attendee in meeting.attendees:
        if attendee.user_id is None and attendee.agency_id == actor.agency_id:
            return attendee
    return None


def acknowledge_statement(session: Session, actor: Actor, *, meeting_id: uuid.UUID) -> Attendee:
    """MAPPA D: this attendee has read the confidentiality and diversity statement."""
    meeting = found(session, Meeting, meeting_id, "meeting")
    attendee = attendee_for(meeting, actor)
    if attendee is None:
        raise RuleViolation("R-11", "meeting", "you are not on this meeting's attendance list")
    if attendee.user_id is None:
        attendee.user_id = actor.user_id  # the agency's place is now this person's
    if attendee.acknowledged_at is None:
        attendee.acknowledged_at = utcnow()
    if attendee.status is AttendanceStatus.INVITED:
        attendee.status = AttendanceStatus.PRESENT
    session.flush()
    audit(
        session,
        actor,
        AuditOperation.ALTER,
        "mappa_meeting",
        meeting.id,
        fields=("attendance", "confidentiality_acknowledged"),
    )
    return attendee


def open_meeting(
    session: Session, actor: Actor, *, meeting_id: uuid.UUID, expected_version: int | None = None
) -> Meeting:
    """The chair opens the meeting, having read MAPPA D aloud and acknowledged it themselves."""
    meeting = found(session, Meeting, meeting_id, "meeting")
    check_version(meeting.version, expected_version)
    if actor.user_id != meeting.chair_user_id:
        raise NotPermitted("only the meeting's chair may open it")
    mine = attendee_for(meeting, actor)
    if mine is None or mine.acknowledged_at is None:
        raise InvalidInput("statement", "acknowledge the confidentiality statement first")
    if meeting.status is MeetingStatus.HELD:
        raise InvalidInput("status", "the meeting is already open")
    meeting.statement_read_at = meeting.held_at = utcnow()
    meeting.status = MeetingStatus.HELD
    session.flush()
    audit(
        session,
        actor,
        AuditOperation.ALTER,
        "mappa_meeting",
        meeting.id,
        fields=("status", "statement_read_at", "held_at"),
    )
    return meeting


def submit_contribution(
    session: Session, actor: Actor, *, item_id: uuid.UUID, summary: object
) -> Contribution:
    """An invited agency's written contribution about one case, before the meeting."""
    item = found(session, MeetingCaseItem, item_id, "item")
    meeting = session.get_one(Meeting, item.meeting_id)
    if meeting.status is MeetingStatus.HELD:
        raise InvalidInput("summary", "contributions are sent before the meeting opens")
    if not any(a.agency_id == actor.agency_id for a in meeting.attendees):
        raise RuleViolation("R-11", "summary", "your agency is not invited to this meeting")
    problems: list[tuple[str, str]] = []
    written = text(summary, "summary", problems, limit=10_000)
    if not written and not problems:
        problems.append(("summary", "Enter your agency's contribution"))
    if problems:
        raise Problems(problems)
    existing = next((c for c in item.contributions if c.agency_id == actor.agency_id), None)
    contribution = existing or Contribution(agency_id=actor.agency_id, submitted_at=utcnow())
    contribution.summary = written
    contribution.submitted_by = actor.user_id
    contribution.submitted_at = utcnow()
    if existing is None:
        item.contributions.append(contribution)
    session.flush()
    case = session.get_one(MappaCase, item.case_id)
    audit(
        session,
        actor,
        AuditOperation.ALTER if existing else AuditOperation.COLLECT,
        "meeting_contribution",
        contribution.id,
        case_id=case.id,
        person_id=case.person_id,
        fields=("summary",),
    )
    return contribution


def check_organiser(meeting: Meeting, actor: Actor) -> None:
    if actor.user_id != meeting.chair_user_id and not actor.has_any_role(*ORGANISERS):
        raise NotPermitted("only the chair or a coordinator may do this")
