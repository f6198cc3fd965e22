"""Circle meetings and their minutes to the outer circle (R-54)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.actor import Actor
from hub.cosa.circles import coordinated_circle
from hub.cosa.models import Circle, CircleMeeting
from hub.cosa.notices import notify, outer_circle
from hub.cosa.rules import CosaRules, add_working_days
from hub.cosa.vocabulary import CircleStatus, NoticeKind
from hub.errors import InvalidInput, NotFound, RuleViolation
from hub.services.checks import optional_text, required_text
from hub.services.recording import audit_write
from hub.vocabulary import AuditOperation


def record_meeting(
    session: Session,
    actor: Actor,
    circle_id: uuid.UUID,
    *,
    held_on: date | None,
    attendees: int | None,
    summary: str,
    goals_progress: str | None,
    rules: CosaRules,
    now: datetime,
) -> CircleMeeting:
    circle = coordinated_circle(session, actor, circle_id)
    if circle.status is not CircleStatus.ACTIVE:
        raise InvalidInput("status", "meetings are recorded for an active circle only")
    if held_on is None:
        raise InvalidInput("held_on", "is required")
    if held_on > now.date():
        raise InvalidInput("held_on", "cannot be in the future")
    if attendees is None or not 1 <= attendees <= 20:
        raise InvalidInput("attendees", "must be a number from 1 to 20")
    meeting = CircleMeeting(
        circle_id=circle.id,
        held_on=held_on,
        attendees=attendees,
        recorded_by=actor.user_id,
        recorded_at=now,
        # counted from the end of the meeting's day, in working days.
        minutes_due_at=add_working_days(
            datetime.combine(held_on, time(23, 59), tzinfo=UTC), rules.minutes_working_days
        ),
    )
    meeting.summary = required_text(summary, "summary", max_length=5000)
    meeting.goals_progress = optional_text(goals_progress, "goals_progress", max_length=5000)
    session.add(meeting)
    session.flush()
    _audit(session, actor, AuditOperation.COLLECT, circle, meeting, ("summary", "goals_progress"))
    return meeting


def send_minutes(
    session: Session, actor: Actor, circle_id: uuid.UUID, meeting_id: uuid.UUID, *, now: datetime
) -> CircleMeeting:
    """R-54: the minutes go to every member of the outer circle; the send is a DISCLOSE."""
    circle = coordinated_circle(session, actor, circle_id)
    meeting = session.get(CircleMeeting, meeting_id)
    if meeting is None or meeting.circle_id != circle.id:
        raise NotFound("meeting")
    if meeting.minutes_sent_at is not None:
        raise InvalidInput("meeting", "these minutes were already sent")
    recipients = outer_circle(session, circle)
    if not recipients:
        raise RuleViolation("R-54", "outer_circle", "the circle has no outer circle to send to")
    meeting.minutes_sent_at = now
    meeting.minutes_sent_by = actor.user_id
    session.flush()
    notify(session, recipients, circle, NoticeKind.MINUTES_SENT, now)
    audit_write(
        session,
        actor,
        AuditOperation.DISCLOSE,
        "circle_meeting",
        meeting.id,
        person_id=circle.person_id,
        case_id=circle.case_id,
        outcome="R-54",
        extra={
            "recipients": ",".join(str(r) for r in recipients),
            "due": meeting.minutes_due_at.isoformat(),
            "late": str(now > meeting.minutes_due_at).lower(),
        },
    )
    return meeting


def meetings_of(session: Session, circle: Circle) -> list[CircleMeeting]:
    return list(
        session.scalars(
            select(CircleMeeting)
            .where(CircleMeeting.circle_id == circle.id)
            .order_by(CircleMeeting.held_on.desc(), CircleMeeting.id)
        )
    )


def _audit(
    session: Session,
    actor: Actor,
    operation: AuditOperation,
    circle: Circle,
    meeting: CircleMeeting,
    fields: tuple[str, ...],
) -> None:
    audit_write(
        session,
        actor,
        operation,
        "circle_meeting",
        meeting.id,
        person_id=circle.person_id,
        case_id=circle.case_id,
        fields=fields,
    )
