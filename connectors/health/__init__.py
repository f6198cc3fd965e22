"""The health connector: FHIR R4 Bundles from a health provider (validated with fhir.resources).

Health never registers people: the Patient names someone the hub already holds, by PNC, CRN
or an NHS number already on the record. Every clinical resource becomes a HEALTH item; the
gate, not the connector, decides who may see it (consent or a public-interest decision, R-18).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fhir.resources.R4B.bundle import Bundle
from pydantic import ConfigDict, ValidationError

from connectors.base import Connector, Message, MessageRejected, Problem, check_size, problems_of
from connectors.health import profile
from connectors.health.clinical import describe
from connectors.records import ItemRecord, Provenance, Record, SubjectRef
from hub.vocabulary import AgencyType, SourceSystem

_SCHEMES = {
    profile.NHS_NUMBER_SYSTEM: "NHS_NUMBER",
    profile.PNC_SYSTEM: "PNC",
    profile.CRN_SYSTEM: "CRN",
}


class HealthBundle(Message):
    model_config = ConfigDict(arbitrary_types_allowed=True, frozen=True)

    type: str = "bundle"
    identifiers: tuple[tuple[str, str], ...]
    consented: bool
    resources: tuple[Any, ...]  # validated fhir.resources models, in Bundle order


class HealthConnector(Connector):
    name = "health"
    title = "Health provider (FHIR R4 Bundles)"
    source_system = SourceSystem.NHS
    agency_types = frozenset({AgencyType.DTC_HEALTH})
    message_types = {"bundle": profile.BundleProfile}

    def parse(self, raw: bytes) -> Message:
        check_size(raw)
        try:
            shape = profile.BundleProfile.model_validate_json(raw)
        except ValidationError as exc:
            problems = problems_of(exc)
            for p in problems:
                if p.field.endswith("resource.resourceType"):
                    object.__setattr__(
                        p, "problem", f"must be one of {', '.join(profile.ACCEPTED)}"
                    )
            raise MessageRejected(problems) from None
        try:
            bundle = Bundle.model_validate(shape.model_dump(mode="json", exclude_unset=True))
        except ValidationError as exc:
            raise MessageRejected(problems_of(exc)) from None
        resources: tuple[Any, ...] = tuple(e.resource for e in bundle.entry or [])
        patients = [r for r in resources if r.get_resource_type() == "Patient"]
        if len(patients) != 1:
            raise MessageRejected([Problem("entry", "must hold exactly one Patient")])
        return HealthBundle(
            source_reference=shape.identifier.value,
            identifiers=_identifiers(patients[0], resources.index(patients[0])),
            consented=any(
                r.get_resource_type() == "Consent" and r.status == "active" for r in resources
            ),
            resources=resources,
        )

    def map(self, message: Message, received_at: datetime) -> list[Record]:
        assert isinstance(message, HealthBundle)
        subject = SubjectRef(message.identifiers)
        # An active Consent in the Bundle says the provider shares on consent; the gate still
        # checks that a recorded consent covers each reader (fail closed until it is recorded).
        basis = "CONSENT" if message.consented else "UKGDPR_PUBLIC_TASK"
        records: list[Record] = []
        for index, resource in enumerate(message.resources):
            kind = resource.get_resource_type()
            if kind in ("Patient", "Consent"):
                continue
            title, content = describe(resource)
            local = resource.id or str(index)
            reference = f"{message.source_reference}/{kind}/{local}"[:200]
            records.append(
                ItemRecord(
                    provenance=Provenance(self.source_system, reference, received_at),
                    subject=subject,
                    kind=kind.lower(),
                    category="HEALTH",
                    legal_basis=basis,
                    title=title[:200],
                    content=content,
                )
            )
        if not records:
            raise MessageRejected(
                [Problem("entry", "holds no Observation, Condition or CarePlan to share")]
            )
        return records


def _identifiers(patient: Any, index: int) -> tuple[tuple[str, str], ...]:
    found = []
    for i, identifier in enumerate(patient.identifier or []):
        scheme = _SCHEMES.get(identifier.system or "")
        if scheme is not None and identifier.value:
            value = identifier.value.replace(" ", "")
            if scheme == "NHS_NUMBER" and not (value.isdigit() and len(value) == 10):
                raise MessageRejected(
                    [Problem(f"entry[{index}].resource.identifier[{i}].value", "must be 10 digits")]
                )
            found.append((scheme, value))
    if not found:
        raise MessageRejected(
            [
                Problem(
                    f"entry[{index}].resource.identifier",
                    "needs an NHS number, PNC or CRN the hub can match (R-56)",
                )
            ]
        )
    return tuple(found)
