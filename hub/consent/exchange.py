"""Import and export of consents as FHIR R4 or R5 (a Consent, or a collection Bundle of them).

A file does not say which FHIR version it is (servers declare that in their capability
statement), so the caller names it; R4 is the default because NHS England's APIs speak R4.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.actor import Actor
from hub.audit import AuditEntry, record
from hub.consent.checks import person
from hub.consent.fhir import from_fhir, to_fhir
from hub.consent.fhir_parts import AgencyRef, FhirConsentRecord
from hub.consent.fhir_r5 import from_fhir_r5, to_fhir_r5
from hub.consent.records import ConsentInput, record_consent, withdraw_consent
from hub.errors import InvalidInput
from hub.models import Agency, Consent
from hub.vocabulary import AuditOperation

FhirVersion = Literal["R4", "R5"]
FHIR_VERSIONS: tuple[FhirVersion, ...] = ("R4", "R5")
_WRITERS: dict[str, Callable[[Consent, dict[uuid.UUID, Agency]], dict[str, Any]]] = {
    "R4": to_fhir,
    "R5": to_fhir_r5,
}
_READERS: dict[str, Callable[[object], FhirConsentRecord]] = {"R4": from_fhir, "R5": from_fhir_r5}
_CONTROLLER = {"R4": "organization[0]", "R5": "controller[0]"}
_RECIPIENT = {"R4": "provision.actor[{}].reference", "R5": "provision[0].actor[{}].reference"}


def export_consents(
    session: Session, actor: Actor, person_id: uuid.UUID, *, fhir_version: FhirVersion = "R4"
) -> dict[str, Any]:
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
            extra={"format": f"FHIR-{fhir_version}"},
        ),
    )
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": _WRITERS[fhir_version](c, agencies)} for c in consents],
    }


def import_consents(
    session: Session, actor: Actor, data: object, *, fhir_version: FhirVersion = "R4"
) -> list[Consent]:
    """Record each Consent (a withdrawn one is recorded, then withdrawn, as it happened)."""
    if isinstance(data, dict) and data.get("resourceType") == "Bundle":
        entries = data.get("entry")
        if not isinstance(entries, list) or not entries:
            raise InvalidInput("entry", "the Bundle holds no Consent")
        imported = []
        for i, entry in enumerate(entries):
            try:
                resource = entry.get("resource") if isinstance(entry, dict) else None
                imported.append(import_consent(session, actor, resource, fhir_version=fhir_version))
            except InvalidInput as exc:
                raise InvalidInput(f"entry[{i}].resource.{exc.field}", exc.problem) from None
        return imported
    return [import_consent(session, actor, data, fhir_version=fhir_version)]


def import_consent(
    session: Session, actor: Actor, data: object, *, fhir_version: FhirVersion = "R4"
) -> Consent:
    if fhir_version not in _READERS:
        raise InvalidInput("fhir_version", f"must be one of {', '.join(FHIR_VERSIONS)}")
    found = _READERS[fhir_version](data)
    controller = _agency(session, found.controller, _CONTROLLER[fhir_version])
    consent = record_consent(
        session,
        actor,
        ConsentInput(
            subject_person_id=found.subject_person_id,
            categories=found.categories,
            recipient_agency_ids=[
                _agency(session, r, _RECIPIENT[fhir_version].format(i))
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
