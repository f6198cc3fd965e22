"""The gate's audit entries: CONSULT, DENY and BREAK_GLASS, written with the read (s.62)."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from hub.audit import AuditEntry, record_many
from hub.consent.basis import ItemBasis
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
    basis: ItemBasis | None = None,
) -> AuditEntry:
    extra = {"action": "read"}
    if basis is not None:
        if operation in (AuditOperation.CONSULT, AuditOperation.DISCLOSE):
            # every disclosure traces to the basis it went out under; withdrawal
            # (R-29 b) and the basis report find the recipients of a consent from this.
            extra["basis"] = basis.basis
        else:
            extra["consent_state"] = basis.consent_state
            extra["public_interest_state"] = basis.public_interest_state
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
        recipients=(reader.actor.client_id or "",) if reader.disclosing else (),
        policy_decision_id=decision.decision_id,
        policy_bundle_hash=decision.bundle_hash,
        outcome=",".join(decision.permitted_by or decision.forbidden_by) or None,
        extra=extra,
    )


def write(session: Session, entries: list[AuditEntry]) -> list[int]:
    """Append the entries; return their receipts, by which follow-ups name them."""
    return record_many(session, entries)


def resource_entry(
    reader: Reader,
    resource: Resource,
    decision: Decision,
    view: FieldView | None,
    *,
    person_id: uuid.UUID | None,
    case_id: uuid.UUID | None,
    basis: ItemBasis | None = None,
) -> AuditEntry:
    operation = AuditOperation.CONSULT if decision.permitted else AuditOperation.DENY
    if decision.permitted and reader.disclosing:
        operation = AuditOperation.DISCLOSE  # sent to the reader's system (outbound events)
    return entry(
        reader,
        operation,
        _record_type(resource.type),
        resource.id,
        decision,
        person_id=person_id,
        case_id=case_id,
        view=view,
        basis=basis,
    )


def _record_type(resource_type: str) -> str:
    # The audit trail names tables, as write entries do (reports filter on them).
    return {"case": "mappa_case", "item": "information_item"}.get(resource_type, resource_type)
