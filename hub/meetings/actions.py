"""Actions agreed in the minutes: what, who (agency and person), by when; overdue ones are
escalated to the chair on the dashboard (hub/meetings/panel.py)."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from hub.actor import Actor
from hub.db import utcnow
from hub.errors import InvalidInput
from hub.meetings.common import Problems, audit, check_version, found, parse_date, text
from hub.meetings.models import (
    ActionStatus,
    MeetingAction,
    MeetingCaseItem,
    MinutesStatus,
    RmpPillar,
)
from hub.models import Agency, MappaCase
from hub.vocabulary import AuditOperation


def add_action(
    session: Session,
    actor: Actor,
    *,
    item_id: uuid.UUID,
    description: object,
    owner_agency_id: object,
    owner_name: object,
    due_date: object,
    rmp_pillar: object = None,
    today: date,
) -> MeetingAction:
    item = found(session, MeetingCaseItem, item_id, "item")
    if item.status is not MinutesStatus.DRAFT:
        raise InvalidInput("status", "approved minutes take no new actions")
    problems: list[tuple[str, str]] = []
    what = text(description, "action_description", problems, 2000)
    who = text(owner_name, "action_owner_name", problems, 200)
    when = parse_date(due_date, "action_due_date", problems)
    if not what:
        problems.append(("action_description", "Enter what must be done"))
    if not who:
        problems.append(("action_owner_name", "Enter the person who will do it"))
    if when is None and not any(f == "action_due_date" for f, _ in problems):
        problems.append(("action_due_date", "Enter the date it must be done by"))
    elif when is not None and when < today:
        problems.append(("action_due_date", "The due date must be today or later"))
    agency = _agency(session, owner_agency_id)
    if agency is None:
        problems.append(("action_owner_agency", "Select the agency that owns the action"))
    pillar = None
    if rmp_pillar not in (None, ""):
        try:
            pillar = RmpPillar(str(rmp_pillar))
        except ValueError:
            problems.append(("action_pillar", "Select a heading of the plan"))
    if problems:
        raise Problems(problems)
    assert agency is not None
    assert when is not None
    action = MeetingAction(
        case_id=item.case_id,
        rmp_pillar=pillar,
        owner_agency_id=agency.id,
        owner_name=who,
        due_date=when,
    )
    action.description = what
    item.actions.append(action)
    session.flush()
    case = session.get_one(MappaCase, item.case_id)
    audit(
        session,
        actor,
        AuditOperation.COLLECT,
        "meeting_action",
        action.id,
        case_id=case.id,
        person_id=case.person_id,
        fields=("description", "owner_agency", "owner_name", "due_date", "rmp_pillar"),
    )
    return action


def set_action_status(
    session: Session,
    actor: Actor,
    *,
    action_id: uuid.UUID,
    status: object,
    expected_version: int | None = None,
) -> MeetingAction:
    action = found(session, MeetingAction, action_id, "action")
    check_version(action.version, expected_version)
    try:
        action.status = ActionStatus(str(status))
    except ValueError:
        raise InvalidInput("status", "Select open, done or cancelled") from None
    action.completed_at = utcnow() if action.status is ActionStatus.DONE else None
    session.flush()
    case = session.get_one(MappaCase, action.case_id)
    audit(
        session,
        actor,
        AuditOperation.ALTER,
        "meeting_action",
        action.id,
        case_id=case.id,
        person_id=case.person_id,
        fields=("status",),
    )
    return action


def overdue_actions(
    session: Session, *, visible: ColumnElement[bool], today: date, limit: int = 10
) -> tuple[list[MeetingAction], int]:
    """Open actions past their due date on cases the reader may list: oldest first."""
    where = (
        visible,
        MeetingAction.status == ActionStatus.OPEN,
        MeetingAction.due_date < today,
    )
    found_ids = (
        select(MeetingAction.id)
        .join(MappaCase, MappaCase.id == MeetingAction.case_id)
        .where(*where)
        .limit(1001)
        .subquery()
    )
    from sqlalchemy import func

    total = session.scalar(select(func.count()).select_from(found_ids)) or 0
    rows = session.scalars(
        select(MeetingAction)
        .join(MappaCase, MappaCase.id == MeetingAction.case_id)
        .where(*where)
        .order_by(MeetingAction.due_date, MeetingAction.id)
        .limit(limit)
    ).all()
    return list(rows), total


def _agency(session: Session, value: object) -> Agency | None:
    if value in (None, ""):
        return None
    try:
        agency_id = value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError:
        return None
    return session.get(Agency, agency_id)
