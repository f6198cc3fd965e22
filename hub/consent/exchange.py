"""Import and export of consents as FHIR R4 (a Consent, or a collection Bundle of them)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.actor import Actor
from hub.audit import AuditEntry, record
from hub.consent.checks import person
from hub.consent.fhir import AgencyRef, from_fhir, to_fhir
from hub.consent.records import ConsentInput, record_consent, withdraw_consent
from hub.errors import InvalidInput
from hub.models import Agency, Consent
from hub.vocabulary import AuditOperation


def export_consents(session: Session, actor: Actor, person_id: uuid.UUID) -> dict[str, Any]:
    """The consents the actor's agency holds from the person, as a FHIR collection Bundle."""
    subject = person(session, person_id, "person_id")
    consents = session.scalars(
        select(Consent)
        .where(
            Consent.subject_person_id == subject.id,
            Consent.controller_agency_id == actor.agency_id,
        )
        .order_by(Consent.given_at, Consent.id)
    ).all()
    agencies = {a.id: a for a in session.scalars(select(Agency))}
    record(
        session,
        AuditEntry(
            operation=AuditOperation.EXPORT,
            actor=actor,
            record_type="consent",
            record_ids=tuple(str(c.id) for c in consents),
            subject_person_id=subject.id,
            extra={"format": "FHIR-R4"},
        ),
    )
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": to_fhir(c, agencies)} for c in consents],
    }


def import_consents(session: Session, actor: Actor, data: object) -> list[Consent]:
    """Record each Consent (a withdrawn one is recorded, then withdrawn, as it happened)."""
    if isinstance(data, dict) and data.get("resourceType") == "Bundle":
        entries = data.get("entry")
        if not isinstance(entries, list) or not entries:
            raise InvalidInput("entry", "the Bundle holds no Consent")
        imported = []
        for i, entry in enumerate(entries):
            try:
                resource = entry.get("resource") if isinstance(entry, dict) else None
                imported.append(import_consent(session, actor, resource))
            except InvalidInput as exc:
                raise InvalidInput(f"entry[{i}].resource.{exc.field}", exc.problem) from None
        return imported
    return [import_consent(session, actor, data)]


def import_consent(session: Session, actor: Actor, data: object) -> Consent:
    found = from_fhir(data)
    controller = _agency(session, found.controller, "organization[0]")
    consent = record_consent(
        session,
        actor,
        ConsentInput(
            subject_person_id=found.subject_person_id,
            categories=found.categories,
            recipient_agency_ids=[
                _agency(session, r, f"provision.actor[{i}].reference")
                for i, r in enumerate(found.recipients)
            ],
            purposes=found.purposes,
            method=found.method,
            given_at=found.given_at,
            expires_at=found.expires_at,
            capacity_note=found.capacity_note,
            controller_agency_id=controller,
            recorded_by=found.recorded_by,
            id=found.id,
        ),
    )
    if found.withdrawn_at is not None:
        withdraw_consent(
            session,
            actor,
            consent.id,
            found.withdrawal_reason or "",
            withdrawn_at=found.withdrawn_at,
            withdrawn_by=found.withdrawn_by,
        )
    return consent


def _agency(session: Session, ref: AgencyRef, field: str) -> uuid.UUID:
    agency = session.get(Agency, ref.id) if ref.id is not None else None
    if agency is None and ref.code is not None:
        agency = session.scalar(select(Agency).where(Agency.code == ref.code))
    if agency is None:
        raise InvalidInput(field, "no such agency")
    return agency.id
