"""Input checks the consent services share; each names the field it refuses."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.errors import InvalidInput
from hub.models import Agency, Person, User
from hub.services.checks import parse_enum


def person(session: Session, person_id: object, field: str) -> Person:
    found = session.get(Person, person_id) if isinstance(person_id, uuid.UUID) else None
    if found is None:
        raise InvalidInput(field, "no such person")
    return found


def staff(
    session: Session, user_id: uuid.UUID | None, field: str, agency_id: uuid.UUID
) -> uuid.UUID | None:
    """A member of the controller's own staff: another agency's person cannot take or record
    its patients' consent decisions."""
    if user_id is None:
        return None
    user = session.get(User, user_id)
    if user is None:
        raise InvalidInput(field, "no such user")
    if user.agency_id != agency_id:
        raise InvalidInput(field, "must be a member of the controller's staff")
    return user_id


def enum_values(enum_class: type[StrEnum], values: Sequence[object], field: str) -> list[str]:
    if isinstance(values, str) or not values:
        raise InvalidInput(field, "name at least one")
    return [parse_enum(enum_class, v, f"{field}[{i}]").value for i, v in enumerate(values)]


def agencies(session: Session, ids: Sequence[object], field: str) -> list[uuid.UUID]:
    """Known agencies, in the order given, without repeats."""
    if isinstance(ids, str) or not ids:
        raise InvalidInput(field, "name at least one agency")
    wanted = [i for i in ids if isinstance(i, uuid.UUID)]
    known = (
        set(session.scalars(select(Agency.id).where(Agency.id.in_(wanted)))) if wanted else set()
    )
    for i, agency_id in enumerate(ids):
        if agency_id not in known:
            raise InvalidInput(f"{field}[{i}]", "no such agency")
    return list(dict.fromkeys(wanted))


def aware_moment(value: object, field: str) -> datetime:
    if not isinstance(value, datetime):
        raise InvalidInput(field, "must be a date and time (ISO 8601)")
    if value.tzinfo is None:
        raise InvalidInput(field, "must give its time zone (for example 2026-03-01T09:00Z)")
    return value
