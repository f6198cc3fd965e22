"""Consents as FHIR R4 Consent resources, validated with `fhir.resources` (its R4B models: the
Consent resource is unchanged from R4).

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
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fhir.resources.R4B.consent import Consent as FhirConsent
from pydantic import ValidationError

from hub.errors import InvalidInput
from hub.models import Agency, Consent

EXTENSION = "https://mappa-hub.invalid/fhir/StructureDefinition/"
CATEGORY_SYSTEM = "https://mappa-hub.invalid/fhir/CodeSystem/data-category"
PURPOSE_SYSTEM = "https://mappa-hub.invalid/fhir/CodeSystem/purpose-of-use"
AGENCY_SYSTEM = "https://mappa-hub.invalid/fhir/NamingSystem/agency-code"
_SCOPE = {"system": "http://terminology.hl7.org/CodeSystem/consentscope", "code": "patient-privacy"}
_CATEGORY = {"system": "http://loinc.org", "code": "59284-0", "display": "Patient Consent"}
_OPT_IN = {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "OPTIN"}
_RECIPIENT = {
    "system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType",
    "code": "IRCP",
    "display": "information recipient",
}


@dataclass(frozen=True)
class FhirConsentRecord:
    """Everything a hub consent holds, as read from a FHIR Consent."""

    id: uuid.UUID
    subject_person_id: uuid.UUID
    controller: AgencyRef
    categories: list[str]
    purposes: list[str]
    recipients: list[AgencyRef]
    given_at: datetime
    expires_at: datetime | None
    method: str
    capacity_note: str | None
    recorded_by: uuid.UUID | None
    withdrawn_at: datetime | None
    withdrawn_by: uuid.UUID | None
    withdrawal_reason: str | None


@dataclass(frozen=True)
class AgencyRef:
    id: uuid.UUID | None
    code: str | None


def to_fhir(consent: Consent, agencies: dict[uuid.UUID, Agency]) -> dict[str, Any]:
    """The consent as a validated FHIR R4 Consent (JSON-ready)."""
    period = {"start": consent.given_at.isoformat()}
    if consent.expires_at is not None:
        period["end"] = consent.expires_at.isoformat()
    provision: dict[str, Any] = {
        "type": "permit",
        "period": period,
        "actor": [
            {"role": {"coding": [_RECIPIENT]}, "reference": _agency(agencies[a])}
            for a in consent.recipient_ids
        ],
        "purpose": [{"system": PURPOSE_SYSTEM, "code": p.value} for p in consent.purposes],
        "class": [{"system": CATEGORY_SYSTEM, "code": c.value} for c in consent.categories],
    }
    extensions = [{"url": EXTENSION + "consent-method", "valueCode": consent.method.value}]
    extensions.append(_user_extension("recorded-by", consent.recorded_by))
    if consent.capacity_note:
        extensions.append(
            {"url": EXTENSION + "capacity-note", "valueString": consent.capacity_note}
        )
    if consent.withdrawn_at is not None:
        provision["provision"] = [
            {"type": "deny", "period": {"start": consent.withdrawn_at.isoformat()}}
        ]
        if consent.withdrawn_by is not None:
            extensions.append(_user_extension("withdrawn-by", consent.withdrawn_by))
        if consent.withdrawal_reason:
            extensions.append(
                {"url": EXTENSION + "withdrawal-reason", "valueString": consent.withdrawal_reason}
            )
    resource = {
        "resourceType": "Consent",
        "id": str(consent.id),
        "extension": extensions,
        "identifier": [{"system": "urn:ietf:rfc:3986", "value": f"urn:uuid:{consent.id}"}],
        "status": "inactive" if consent.withdrawn_at is not None else "active",
        "scope": {"coding": [_SCOPE]},
        "category": [{"coding": [_CATEGORY]}],
        "patient": {"reference": f"Patient/{consent.subject_person_id}"},
        "dateTime": consent.given_at.isoformat(),
        "organization": [_agency(agencies[consent.controller_agency_id])],
        "policyRule": {"coding": [_OPT_IN]},
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
    ext: dict[str, Any] = {e.url or "": e for e in model.extension or []}
    method = ext.get(EXTENSION + "consent-method")
    if method is None or not method.valueCode:
        raise InvalidInput("extension", f"needs {EXTENSION}consent-method (valueCode)")
    resource_id = model.id or ""
    return FhirConsentRecord(
        id=_uuid(resource_id, "id"),
        subject_person_id=_uuid(_tail(model.patient.reference, "Patient", "patient"), "patient"),
        controller=_agency_ref(model.organization[0], "organization[0]"),
        categories=_codes(provision.class_fhir, CATEGORY_SYSTEM, "provision.class"),
        purposes=_codes(provision.purpose, PURPOSE_SYSTEM, "provision.purpose"),
        recipients=[
            _agency_ref(a.reference, f"provision.actor[{i}].reference")
            for i, a in enumerate(provision.actor or [])
        ],
        given_at=provision.period.start,
        expires_at=provision.period.end,
        method=method.valueCode,
        capacity_note=_string(ext, "capacity-note"),
        recorded_by=_user(ext, "recorded-by"),
        withdrawn_at=withdrawn_at,
        withdrawn_by=_user(ext, "withdrawn-by"),
        withdrawal_reason=_string(ext, "withdrawal-reason"),
    )


def _validated(data: dict[str, Any]) -> FhirConsent:
    try:
        return FhirConsent.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error["loc"])
        raise InvalidInput(path.lstrip(".") or "Consent", error["msg"]) from None


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


def _agency(agency: Agency) -> dict[str, Any]:
    return {
        "reference": f"Organization/{agency.id}",
        "identifier": {"system": AGENCY_SYSTEM, "value": agency.code},
        "display": agency.name,
    }


def _agency_ref(reference: Any, field: str) -> AgencyRef:
    code = reference.identifier.value if reference.identifier is not None else None
    agency_id = None
    if reference.reference:
        agency_id = _uuid(_tail(reference.reference, "Organization", field), field)
    if agency_id is None and code is None:
        raise InvalidInput(field, "must reference an Organization or give its agency code")
    return AgencyRef(agency_id, code)


def _user_extension(name: str, user_id: uuid.UUID) -> dict[str, Any]:
    return {"url": EXTENSION + name, "valueReference": {"reference": f"Practitioner/{user_id}"}}


def _user(ext: dict[str, Any], name: str) -> uuid.UUID | None:
    found = ext.get(EXTENSION + name)
    if found is None:
        return None
    if found.valueReference is None or not found.valueReference.reference:
        raise InvalidInput(f"extension[{name}]", "must be a valueReference to a Practitioner")
    return _uuid(_tail(found.valueReference.reference, "Practitioner", name), name)


def _string(ext: dict[str, Any], name: str) -> str | None:
    found = ext.get(EXTENSION + name)
    return None if found is None else found.valueString


def _codes(codings: list[Any] | None, system: str, field: str) -> list[str]:
    codes = []
    for i, coding in enumerate(codings or []):
        if coding.system != system or not coding.code:
            raise InvalidInput(f"{field}[{i}]", f"must be a code of {system}")
        codes.append(coding.code)
    return codes


def _tail(reference: str | None, resource_type: str, field: str) -> str:
    prefix = f"{resource_type}/"
    if not reference or not reference.startswith(prefix):
        raise InvalidInput(field, f"must reference a {resource_type}")
    return reference[len(prefix) :]


def _uuid(value: str, field: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise InvalidInput(field, "must be a hub id (a UUID)") from None
