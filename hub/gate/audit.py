"""The gate's audit entries: CONSULT, DENY and BREAK_GLASS, written with the read (s.62)."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from hub.audit import AuditEntry, record_many
from hub.audit.log import Appended
from hub.gate.reader import Reader
from hub.gate.resources import Resource
from hub.policy import Decision, FieldView
from hub.vocabulary import AuditOperation


def entry(
    reader: Reader,
    operation: AuditOperation,
    resource_type: str,
    resource_id: uuid.UUID,
    decision: Decision,
    *,
    person_id: uuid.UUID | None,
    case_id: uuid.UUID | None,
    view: FieldView | None = None,
) -> AuditEntry:
    extra = {"action": "read"}
    if reader.break_glass:
        extra["break_glass"] = "true"
    if decision.reason is not None:
        extra["deny_reason"] = decision.reason.value
    return AuditEntry(
        operation=operation,
        actor=reader.actor,
        record_type=resource_type,
        record_ids=(str(resource_id),),
        subject_person_id=person_id,
        case_id=case_id,
        fields_returned=view.returned if view else (),
        fields_withheld=view.withheld if view else (),
        policy_decision_id=decision.decision_id,
        policy_bundle_hash=decision.bundle_hash,
        outcome=",".join(decision.permitted_by or decision.forbidden_by) or None,
        extra=extra,
    )


def write(session: Session, entries: list[AuditEntry]) -> list[Appended]:
    return record_many(session, entries)


def resource_entry(
    reader: Reader,
    resource: Resource,
    decision: Decision,
    view: FieldView | None,
    *,
    person_id: uuid.UUID | None,
    case_id: uuid.UUID | None,
) -> AuditEntry:
    operation = AuditOperation.CONSULT if decision.permitted else AuditOperation.DENY
    return entry(
        reader,
        operation,
        _record_type(resource.type),
        resource.id,
        decision,
        person_id=person_id,
        case_id=case_id,
        view=view,
    )


def _record_type(resource_type: str) -> str:
    # The audit trail names tables, as write entries do (reports filter on them).
    return {"case": "mappa_case", "item": "information_item"}.get(resource_type, resource_type)
