"""Audit entries for writes: COLLECT, ALTER, COMBINE and ERASE (DPA 2018 s.62)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy.orm import Session

from hub.actor import Actor
from hub.audit import AuditEntry, record
from hub.vocabulary import AuditOperation


def audit_write(
    session: Session,
    actor: Actor,
    operation: AuditOperation,
    record_type: str,
    record_id: uuid.UUID,
    *,
    person_id: uuid.UUID | None = None,
    case_id: uuid.UUID | None = None,
    fields: Iterable[str] = (),
    outcome: str | None = None,
    extra: dict[str, str] | None = None,
) -> None:
    record(
        session,
        AuditEntry(
            operation=operation,
            actor=actor,
            record_type=record_type,
            record_ids=(str(record_id),),
            subject_person_id=person_id,
            case_id=case_id,
            fields_written=tuple(fields),
            outcome=outcome,
            extra=extra or {},
        ),
    )
