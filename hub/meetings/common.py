"""What the meeting services share: input problems by field, stale-edit and role checks."""

from __future__ import annotations

import uuid
from datetime import date
from typing import TypeVar

from sqlalchemy.orm import Session

from hub.actor import Actor
from hub.errors import Conflict, HubError, InvalidInput
from hub.services.recording import audit_write
from hub.vocabulary import AuditOperation, Role

T = TypeVar("T")
CHAIRS = (Role.MAPPA_CHAIR_L2, Role.MAPPA_CHAIR_L3)
ORGANISERS = (*CHAIRS, Role.MAPPA_COORDINATOR)
STALE = (
    "Someone else saved this record after you opened it. Nothing you typed has been saved: "
    "reload the page to see their changes, then make yours again."
)


class Problems(InvalidInput):
    """Several fields are wrong at once: every one is named, so a form can list them all."""

    def __init__(self, problems: list[tuple[str, str]], rule: str | None = None) -> None:
        field, problem = problems[0]
        super().__init__(field, problem)
        self.problems = problems
        self.rule = rule
        listed = "; ".join(f"{f}: {p}" for f, p in problems)
        self.message = f"{rule}: {listed}" if rule else listed

    def __str__(self) -> str:
        return self.message


class NotPermitted(HubError):
    """The actor's role does not allow this step (for example approving without chairing)."""


def found(session: Session, model: type[T], record_id: uuid.UUID, kind: str) -> T:
    record = session.get(model, record_id)
    if record is None:
        raise InvalidInput(f"{kind}_id", f"no {kind} with that id")
    return record


def check_version(current: int, expected: int | None) -> None:
    """Optimistic locking: a save based on an older version is refused, nothing overwritten."""
    if expected is not None and current != expected:
        raise Conflict(STALE)


def need_role(actor: Actor, roles: tuple[Role, ...], doing: str) -> None:
    if not actor.has_any_role(*roles):
        raise NotPermitted(f"only a MAPPA chair or coordinator may {doing}")


def chair_roles(level: int) -> tuple[Role, ...]:
    return (Role.MAPPA_CHAIR_L3,) if level == 3 else CHAIRS


def parse_date(value: object, field: str, problems: list[tuple[str, str]]) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    problems.append((field, "must be a real date, like 2026-12-31"))
    return None


def text(value: object, field: str, problems: list[tuple[str, str]], limit: int = 10_000) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        problems.append((field, "must be text"))
        return ""
    cleaned = value.strip()
    if len(cleaned) > limit:
        problems.append((field, f"must be at most {limit} characters"))
    return cleaned


def audit(
    session: Session,
    actor: Actor,
    operation: AuditOperation,
    record_type: str,
    record_id: uuid.UUID,
    *,
    case_id: uuid.UUID | None = None,
    person_id: uuid.UUID | None = None,
    fields: tuple[str, ...] = (),
    outcome: str | None = None,
) -> None:
    audit_write(
        session,
        actor,
        operation,
        record_type,
        record_id,
        case_id=case_id,
        person_id=person_id,
        fields=fields,
        outcome=outcome,
    )
