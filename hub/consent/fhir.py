"""Consents as FHIR R4 Consent resources, validated with `fhir.resources` (its R4B models: the
Consent resource is unchanged from R4). R5 is in `hub.consent.fhir_r5`.

The mapping, faithful both ways (docs/consent.md has the table):

* scope "patient-privacy", category LOINC 59284-0 (patient consent), policyRule OPTIN;
* patient -> the subject, organization[0] -> the controller, dateTime -> given_at;
* provision (permit): period = given_at..expires_at, actor[] = the recipient agencies (role
  IRCP, information recipient), purpose[] = the hub's purposes, class[] = data categories;
* withdrawal: status "inactive" and a nested provision (deny) from withdrawn_at;
* method, capacity note, recorded by, withdrawn by and the withdrawal reason have no R4
  element, so they travel as extensions under EXTENSION.

Anything invalid is refused naming the element, as FHIRPath-like dotted paths.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

from fhir.resources.R4B.consent import Consent as FhirConsent
from pydantic import ValidationError

from hub.consent.fhir_parts import (
    CATEGORY_SYSTEM,
    CONSENT_CATEGORY,
    OPT_IN,
    PRIVACY_SCOPE,
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


def to_fhir(consent: Consent, agencies: dict[uuid.UUID, Agency]) -> dict[str, Any]:
    """The consent as a validated FHIR R4 Consent (JSON-ready)."""
    period = {"start": consent.given_at.isoformat()}
    if consent.expires_at is not None:
        period["end"] = consent.expires_at.isoformat()
    provision: dict[str, Any] = {
        "type": "permit",
        "period": period,
        "actor": [
            {"role": {"coding": [RECIPIENT_ROLE]}, "reference": agency_reference(agencies[a])}
            for a in consent.recipient_ids
        ],
        "purpose": [{"system": PURPOSE_SYSTEM, "code": p.value} for p in consent.purposes],
        "class": [{"system": CATEGORY_SYSTEM, "code": c.value} for c in consent.categories],
    }
    if consent.withdrawn_at is not None:
        provision["provision"] = [
            {"type": "deny", "period": {"start": consent.withdrawn_at.isoformat()}}
        ]
    resource = {
        "resourceType": "Consent",
        "id": str(consent.id),
        "extension": extensions(consent),
        "identifier": [{"system": "urn:ietf:rfc:3986", "value": f"urn:uuid:{consent.id}"}],
        "status": "inactive" if consent.withdrawn_at is not None else "active",
        "scope": {"coding": [PRIVACY_SCOPE]},
        "category": [{"coding": [CONSENT_CATEGORY]}],
        "patient": {"reference": f"Patient/{consent.subject_person_id}"},
        "dateTime": consent.given_at.isoformat(),
        "organization": [agency_reference(agencies[consent.controller_agency_id])],
        "policyRule": {"coding": [OPT_IN]},
        "provision": provision,
    }
    model = _validated(resource)
    return dict(json.loads(model.model_dump_json()))


def from_fhir(data: object) -> FhirConsentRecord:
    """Read a FHIR R4 Consent; anything the hub cannot hold faithfully is refused by path."""
    if not isinstance(data, dict) or data.get("resourceType") != "Consent":
        raise InvalidInput("resourceType", "must be Consent")
    model = _validated(data)
    if model.status not in ("active", "inactive"):
        raise InvalidInput("status", "must be active or inactive (withdrawn)")
    provision = model.provision
    if provision is None or provision.type != "permit":
        raise InvalidInput("provision.type", "must be permit: the hub records consent to share")
    if provision.period is None or provision.period.start is None:
        raise InvalidInput("provision.period.start", "is required (when consent was given)")
    if model.patient is None:
        raise InvalidInput("patient", "is required")
    if not model.organization:
        raise InvalidInput("organization", "must name the controller")
    withdrawn_at = _withdrawn_at(model.status, provision.provision or [])
    ext = extension_map(model)
    resource_id = model.id or ""
    return FhirConsentRecord(
        id=hub_id(resource_id, "id"),
        subject_person_id=hub_id(tail(model.patient.reference, "Patient", "patient"), "patient"),
        controller=agency_ref(model.organization[0], "organization[0]"),
        categories=codes(provision.class_fhir, CATEGORY_SYSTEM, "provision.class"),
        purposes=codes(provision.purpose, PURPOSE_SYSTEM, "provision.purpose"),
        recipients=[
            agency_ref(a.reference, f"provision.actor[{i}].reference")
            for i, a in enumerate(provision.actor or [])
        ],
        given_at=provision.period.start,
        expires_at=provision.period.end,
        method=method_of(ext),
        capacity_note=string_extension(ext, "capacity-note"),
        recorded_by=user_ref(ext, "recorded-by"),
        withdrawn_at=withdrawn_at,
        withdrawn_by=user_ref(ext, "withdrawn-by"),
        withdrawal_reason=string_extension(ext, "withdrawal-reason"),
    )


def _validated(data: dict[str, Any]) -> FhirConsent:
    try:
        return FhirConsent.model_validate(data)
    except ValidationError as exc:
        raise validation_path(exc, "Consent") from None


def _withdrawn_at(status: str, nested: list[Any]) -> datetime | None:
    denials = [p for p in nested if p.type == "deny"]
    if status == "active":
        if denials:
            raise InvalidInput("provision.provision", "an active consent has no withdrawal")
        return None
    if len(denials) != 1 or denials[0].period is None or denials[0].period.start is None:
        raise InvalidInput(
            "provision.provision", "an inactive consent needs one deny provision from withdrawal"
        )
    moment: datetime = denials[0].period.start
    return moment
