"""Consents as FHIR R4 resources: a lossless round trip, and invalid FHIR refused by path."""

from __future__ import annotations

import copy
import json
import uuid
from datetime import timedelta
from typing import Any

import pytest
from fhir.resources.R4B.consent import Consent as FhirConsent
from sqlalchemy.orm import Session

from hub.consent.exchange import export_consents, import_consents
from hub.consent.fhir import from_fhir
from hub.consent.records import record_consent, withdraw_consent
from hub.db import utcnow
from hub.demo.agencies import DemoOrganisation
from hub.errors import InvalidInput
from hub.models import Consent
from tests.consent.conftest import HealthCase
from tests.helpers import audit_documents

FIELDS = (
    "subject_person_id",
    "controller_agency_id",
    "categories",
    "purposes",
    "recipient_ids",
    "given_at",
    "expires_at",
    "method",
    "capacity_note",
    "recorded_by",
    "withdrawn_at",
    "withdrawn_by",
    "withdrawal_reason",
)


def _fields(consent: Consent) -> dict[str, Any]:
    return {name: getattr(consent, name) for name in FIELDS}


def _exported(session: Session, org: DemoOrganisation, hc: HealthCase) -> dict[str, Any]:
    bundle = export_consents(session, org.actor("health.rep"), hc.person_id)
    return json.loads(json.dumps(bundle))  # exactly what a file would hold


def test_r28_a_withdrawn_consent_survives_hub_fhir_hub_without_loss(
    session: Session, org: DemoOrganisation, health_case: HealthCase
) -> None:
    hc = health_case
    consent = record_consent(
        session,
        org.actor("health.rep"),
        hc.consent(
            categories=["HEALTH", "RISK"],
            expires_at=utcnow() + timedelta(days=365),
            method="VERBAL",
        ),
    )
    withdraw_consent(session, org.actor("health.rep"), consent.id, "Withdrew at ward round")
    original = _fields(consent)
    bundle = _exported(session, org, hc)
    (entry,) = bundle["entry"]
    resource = entry["resource"]
    FhirConsent.model_validate(resource)  # a valid R4 Consent
    assert resource["status"] == "inactive"
    assert resource["provision"]["provision"][0]["type"] == "deny"
    assert {a["reference"]["identifier"]["value"] for a in resource["provision"]["actor"]} == {
        "DEMO-PRB",
        "DEMO-POL",
    }
    assert any(d["operation"] == "EXPORT" for d in audit_documents(session))

    # Back into the hub as a new record (a hub holds one copy of an id): every field equal.
    new_id = uuid.uuid4()
    resource["id"] = str(new_id)
    (imported,) = import_consents(session, org.actor("health.rep"), resource)
    assert imported.id == new_id
    assert _fields(imported) == original
    again = next(
        e["resource"]
        for e in _exported(session, org, hc)["entry"]
        if e["resource"]["id"] == str(new_id)
    )
    assert {k: v for k, v in again.items() if k not in ("id", "identifier")} == {
        k: v for k, v in resource.items() if k not in ("id", "identifier")
    }


def test_r28_an_active_consent_round_trips_and_an_id_is_held_once(
    session: Session, org: DemoOrganisation, health_case: HealthCase
) -> None:
    consent = record_consent(session, org.actor("health.rep"), health_case.consent())
    bundle = _exported(session, org, health_case)
    assert from_fhir(bundle["entry"][0]["resource"]).withdrawn_at is None
    with pytest.raises(InvalidInput) as refused:
        import_consents(session, org.actor("health.rep"), bundle)
    assert refused.value.field == "entry[0].resource.id"
    assert session.get_one(Consent, consent.id).withdrawn_at is None


@pytest.mark.parametrize(
    ("damage", "field"),
    [
        (lambda r: r.pop("scope"), "scope"),
        (lambda r: r.update(dateTime="last tuesday"), "dateTime"),
        (lambda r: r["provision"]["actor"][0].pop("role"), "provision.actor[0].role"),
        (lambda r: r.update(status="proposed"), "status"),
        (lambda r: r["provision"].update(type="deny"), "provision.type"),
        (lambda r: r["provision"]["class"][0].update(code="GOSSIP"), "categories[0]"),
        (lambda r: r["provision"]["purpose"].clear(), "purposes"),
        (lambda r: r.update(status="inactive"), "provision.provision"),
        (lambda r: r.update(patient={"reference": "Group/1"}), "patient"),
        (lambda r: r.update(resourceType="Patient"), "resourceType"),
    ],
)
def test_r28_invalid_fhir_is_refused_naming_the_element(
    session: Session,
    org: DemoOrganisation,
    health_case: HealthCase,
    damage: Any,
    field: str,
) -> None:
    record_consent(session, org.actor("health.rep"), health_case.consent())
    resource = copy.deepcopy(_exported(session, org, health_case)["entry"][0]["resource"])
    resource["id"] = str(uuid.uuid4())
    damage(resource)
    with pytest.raises(InvalidInput) as refused:
        import_consents(session, org.actor("health.rep"), resource)
    assert refused.value.field == field
    assert session.get(Consent, uuid.UUID(resource["id"])) is None
