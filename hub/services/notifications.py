"""Notification requirements and events (domain.md §4.1).

This module records requirements and events faithfully so nothing an agency sends is lost.
The due-date arithmetic of R-32 to R-35 is in hub/casework/notifications.py, applied by
`hub casework run` (R-36, travel, is not built yet).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.orm import Session

from hub.actor import Actor
from hub.errors import InvalidInput, NotFound
from hub.models import NotificationEvent, NotificationRequirement, Person
from hub.services.checks import optional_text, parse_enum
from hub.services.recording import audit_write
from hub.vocabulary import (
    AuditOperation,
    NotificationEventStatus,
    NotificationEventType,
    NotificationRegime,
)


@dataclass(frozen=True)
class RequirementInput:
    person_id: uuid.UUID
    regime: str
    relevant_date: date
    indefinite: bool = False
    period_years: float | None = None
    halved_for_youth: bool = False
    end_date: date | None = None
    next_periodic_due: date | None = None
    weekly_required: bool = False
    prescribed_station: str | None = None


def record_requirement(
    session: Session, actor: Actor, details: RequirementInput
) -> NotificationRequirement:
    person = session.get(Person, details.person_id)
    if person is None:
        raise NotFound("person")
    if details.indefinite == (details.period_years is not None):
        raise InvalidInput("period_years", "give a period in years, or indefinite, not both")
    if details.period_years is not None and not 0 < details.period_years <= 30:
        raise InvalidInput("period_years", "must be between 0 and 30 years")
    requirement = NotificationRequirement(
        person_id=person.id,
        regime=parse_enum(NotificationRegime, details.regime, "regime"),
        relevant_date=details.relevant_date,
        indefinite=details.indefinite,
        period_years=details.period_years,
        halved_for_youth=details.halved_for_youth,
        end_date=details.end_date,
        next_periodic_due=details.next_periodic_due,
        weekly_required=details.weekly_required,
        prescribed_station=optional_text(
            details.prescribed_station, "prescribed_station", max_length=200
        ),
        owning_agency_id=actor.agency_id,
        created_by=actor.user_id,
    )
    session.add(requirement)
    session.flush()
    audit_write(
        session,
        actor,
        AuditOperation.COLLECT,
        "notification_requirement",
        requirement.id,
        person_id=person.id,
        fields=("regime", "relevant_date", "indefinite", "period_years", "end_date"),
    )
    return requirement


def record_event(
    session: Session,
    actor: Actor,
    requirement_id: uuid.UUID,
    *,
    type: str,
    trigger_date: date,
    due_by: date,
    received_at: datetime | None = None,
    station: str | None = None,
) -> NotificationEvent:
    requirement = session.get(NotificationRequirement, requirement_id)
    if requirement is None:
        raise NotFound("notification requirement")
    if due_by < trigger_date:
        raise InvalidInput("due_by", "cannot be before trigger_date")
    event = NotificationEvent(
        requirement_id=requirement.id,
        type=parse_enum(NotificationEventType, type, "type"),
        trigger_date=trigger_date,
        due_by=due_by,
        received_at=received_at,
        station=optional_text(station, "station", max_length=200),
        status=_status(due_by, received_at),
    )
    session.add(event)
    session.flush()
    audit_write(
        session,
        actor,
        AuditOperation.COLLECT,
        "notification_event",
        event.id,
        person_id=requirement.person_id,
        fields=("type", "trigger_date", "due_by", "received_at"),
    )
    return event


def _status(due_by: date, received_at: datetime | None) -> NotificationEventStatus:
    if received_at is None:
        return NotificationEventStatus.DUE
    if received_at.date() > due_by:
        return NotificationEventStatus.LATE
    return NotificationEventStatus.RECEIVED
