"""What the hub's FHIR R4 and R5 Consent mappings share: code systems, the record read back,
the extensions that carry what neither version has an element for, and reference parsing.

Both versions read into the same `FhirConsentRecord`, so importing either records the same
consent, and a test can compare an R4 and an R5 round trip field by field.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from hub.errors import InvalidInput
from hub.models import Agency, Consent

EXTENSION = "https://mappa-hub.invalid/fhir/StructureDefinition/"
CATEGORY_SYSTEM = "https://mappa-hub.invalid/fhir/CodeSystem/data-category"
PURPOSE_SYSTEM = "https://mappa-hub.invalid/fhir/CodeSystem/purpose-of-use"
AGENCY_SYSTEM = "https://mappa-hub.invalid/fhir/NamingSystem/agency-code"
PRIVACY_SCOPE = {
    "system": "http://terminology.hl7.org/CodeSystem/consentscope",
    "code": "patient-privacy",
}
CONSENT_CATEGORY = {"system": "http://loinc.org", "code": "59284-0", "display": "Patient Consent"}
OPT_IN = {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "OPTIN"}
RECIPIENT_ROLE = {
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


def extensions(consent: Consent) -> list[dict[str, Any]]:
    """Method, capacity note, recorder and the withdrawal's who and why: no element in R4 or R5."""
    found = [{"url": EXTENSION + "consent-method", "valueCode": consent.method.value}]
    found.append(user_extension("recorded-by", consent.recorded_by))
    if consent.capacity_note:
        found.append({"url": EXTENSION + "capacity-note", "valueString": consent.capacity_note})
    if consent.withdrawn_at is not None:
        if consent.withdrawn_by is not None:
            found.append(user_extension("withdrawn-by", consent.withdrawn_by))
        if consent.withdrawal_reason:
            found.append(
                {"url": EXTENSION + "withdrawal-reason", "valueString": consent.withdrawal_reason}
            )
    return found


def extension_map(model: Any) -> dict[str, Any]:
    return {e.url or "": e for e in model.extension or []}


def method_of(ext: dict[str, Any]) -> str:
    method = ext.get(EXTENSION + "consent-method")
    if method is None or not method.valueCode:
        raise InvalidInput("extension", f"needs {EXTENSION}consent-method (valueCode)")
    code: str = method.valueCode
    return code


def validation_path(exc: ValidationError, resource: str) -> InvalidInput:
    """The first problem pydantic found, as a FHIRPath-like dotted path."""
    error = exc.errors()[0]
    path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error["loc"])
    return InvalidInput(path.lstrip(".") or resource, error["msg"])


def agency_reference(agency: Agency) -> dict[str, Any]:
    return {
        "reference": f"Organization/{agency.id}",
        "identifier": {"system": AGENCY_SYSTEM, "value": agency.code},
        "display": agency.name,
    }


def agency_ref(reference: Any, field: str) -> AgencyRef:
    if reference is None:  # optional in R5's provision.actor, required by the hub
        raise InvalidInput(field, "must reference an Organization or give its agency code")
    code = reference.identifier.value if reference.identifier is not None else None
    agency_id = None
    if reference.reference:
        agency_id = hub_id(tail(reference.reference, "Organization", field), field)
    if agency_id is None and code is None:
        raise InvalidInput(field, "must reference an Organization or give its agency code")
    return AgencyRef(agency_id, code)


def user_extension(name: str, user_id: uuid.UUID) -> dict[str, Any]:
    return {"url": EXTENSION + name, "valueReference": {"reference": f"Practitioner/{user_id}"}}


def user_ref(ext: dict[str, Any], name: str) -> uuid.UUID | None:
    found = ext.get(EXTENSION + name)
    if found is None:
        return None
    if found.valueReference is None or not found.valueReference.reference:
        raise InvalidInput(f"extension[{name}]", "must be a valueReference to a Practitioner")
    return hub_id(tail(found.valueReference.reference, "Practitioner", name), name)


def string_extension(ext: dict[str, Any], name: str) -> str | None:
    found = ext.get(EXTENSION + name)
    return None if found is None else found.valueString


def codes(codings: list[Any] | None, system: str, field: str) -> list[str]:
    codes = []
    for i, coding in enumerate(codings or []):
        if coding.system != system or not coding.code:
            raise InvalidInput(f"{field}[{i}]", f"must be a code of {system}")
        codes.append(coding.code)
    return codes


def tail(reference: str | None, resource_type: str, field: str) -> str:
    prefix = f"{resource_type}/"
    if not reference or not reference.startswith(prefix):
        raise InvalidInput(field, f"must reference a {resource_type}")
    return reference[len(prefix) :]


def hub_id(value: str, field: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise InvalidInput(field, "must be a hub id (a UUID)") from None
