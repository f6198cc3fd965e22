"""Consents as FHIR R5 Consent resources, validated with `fhir.resources` (its default models
are R5).

R5 reshaped Consent, so this is a mapping of its own, onto the same `FhirConsentRecord` as R4
(docs/consent.md has both tables):

* category LOINC 59284-0; R5 dropped `scope` and `policyRule`: `decision` "permit" says it;
* subject -> the subject, controller[0] -> the controller;
* `date` is a date only in R5, so the moment consent was given (and its expiry) travel in
  `period`; `date` repeats the day for readers that show it;
* provision[0]: actor[] = the recipient agencies (role IRCP), purpose[] = the hub's purposes,
  code[] = data categories (R5 has no `class`);
* withdrawal: status "inactive" and one nested provision from withdrawn_at. An R5 nested
  provision is an exception to the decision, so under "permit" it denies from then on;
* the extensions are R4's (method, capacity note, recorded by, withdrawn by and reason).
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

from fhir.resources.consent import Consent as FhirConsent
from pydantic import ValidationError

from hub.consent.fhir_parts import (
    CATEGORY_SYSTEM,
    CONSENT_CATEGORY,
    PURPOSE_SYSTEM,
    RECIPIENT_ROLE,
    FhirConsentRecord,
    agency_ref,
    agency_reference,
    codes,
    extension_map,
    extensions,
    hub_id,
    method_of,
    string_extension,
    tail,
    user_ref,
    validation_path,
)
from hub.errors import InvalidInput
from hub.models import Agency, Consent


def to_fhir_r5(consent: Consent, agencies: dict[uuid.UUID, Agency]) -> dict[str, Any]:
    """The consent as a validated FHIR R5 Consent (JSON-ready)."""
    period = {"start": consent.given_at.isoformat()}
    if consent.expires_at is not None:
        period["end"] = consent.expires_at.isoformat()
    provision: dict[str, Any] = {
        "actor": [
            {"role": {"coding": [RECIPIENT_ROLE]}, "reference": agency_reference(agencies[a])}
            for a in consent.recipient_ids
        ],
        "purpose": [{"system": PURPOSE_SYSTEM, "code": p.value} for p in consent.purposes],
        "code": [
            {"coding": [{"system": CATEGORY_SYSTEM, "code": c.value}]} for c in consent.categories
        ],
    }
    if consent.withdrawn_at is not None:
        provision["provision"] = [{"period": {"start": consent.withdrawn_at.isoformat()}}]
    resource = {
        "resourceType": "Consent",
        "id": str(consent.id),
        "extension": extensions(consent),
        "identifier": [{"system": "urn:ietf:rfc:3986", "value": f"urn:uuid:{consent.id}"}],
        "status": "inactive" if consent.withdrawn_at is not None else "active",
        "category": [{"coding": [CONSENT_CATEGORY]}],
        "subject": {"reference": f"Patient/{consent.subject_person_id}"},
        "date": consent.given_at.date().isoformat(),
        "period": period,
        "controller": [agency_reference(agencies[consent.controller_agency_id])],
        "decision": "permit",
        "provision": [provision],
    }
    model = _validated(resource)
    return dict(json.loads(model.model_dump_json()))


def from_fhir_r5(data: object) -> FhirConsentRecord:
    """Read a FHIR R5 Consent; anything the hub cannot hold faithfully is refused by path."""
    if not isinstance(data, dict) or data.get("resourceType") != "Consent":
        raise InvalidInput("resourceType", "must be Consent")
    model = _validated(data)
    if model.status not in ("active", "inactive"):
        raise InvalidInput("status", "must be active or inactive (withdrawn)")
    if model.decision != "permit":
        raise InvalidInput("decision", "must be permit: the hub records consent to share")
    if model.period is None or model.period.start is None:
        raise InvalidInput("period.start", "is required (when consent was given)")
    if model.subject is None:
        raise InvalidInput("subject", "is required")
    if not model.controller:
        raise InvalidInput("controller", "must name the controller")
    if not model.provision or len(model.provision) != 1:
        raise InvalidInput("provision", "must be one provision: who may receive what, and why")
    provision = model.provision[0]
    ext = extension_map(model)
    return FhirConsentRecord(
        id=hub_id(model.id or "", "id"),
        subject_person_id=hub_id(tail(model.subject.reference, "Patient", "subject"), "subject"),
        controller=agency_ref(model.controller[0], "controller[0]"),
        categories=_categories(provision.code),
        purposes=codes(provision.purpose, PURPOSE_SYSTEM, "provision[0].purpose"),
        recipients=[
            agency_ref(a.reference, f"provision[0].actor[{i}].reference")
            for i, a in enumerate(provision.actor or [])
        ],
        given_at=model.period.start,
        expires_at=model.period.end,
        method=method_of(ext),
        capacity_note=string_extension(ext, "capacity-note"),
        recorded_by=user_ref(ext, "recorded-by"),
        withdrawn_at=_withdrawn_at(model.status, provision.provision or []),
        withdrawn_by=user_ref(ext, "withdrawn-by"),
        withdrawal_reason=string_extension(ext, "withdrawal-reason"),
    )


def _validated(data: dict[str, Any]) -> FhirConsent:
    try:
        return FhirConsent.model_validate(data)
    except ValidationError as exc:
        raise validation_path(exc, "Consent") from None


def _categories(concepts: list[Any] | None) -> list[str]:
    found = []
    for i, concept in enumerate(concepts or []):
        # One coding per category: a concept with several would be ambiguous to read back.
        if len(concept.coding or []) != 1:
            raise InvalidInput(f"provision[0].code[{i}]", "must hold one data-category coding")
        found.extend(codes(concept.coding, CATEGORY_SYSTEM, f"provision[0].code[{i}].coding"))
    return found


def _withdrawn_at(status: str, nested: list[Any]) -> datetime | None:
    if status == "active":
        if nested:
            raise InvalidInput("provision[0].provision", "an active consent has no withdrawal")
        return None
    if len(nested) != 1 or nested[0].period is None or nested[0].period.start is None:
        raise InvalidInput(
            "provision[0].provision",
            "an inactive consent needs one nested provision from its withdrawal",
        )
    moment: datetime = nested[0].period.start
    return moment
