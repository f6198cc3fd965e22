"""Consents as FHIR R5 resources: lossless both ways, the same record as R4, invalid R5 refused
by path with nothing recorded."""

from __future__ import annotations

import copy
import json
import uuid
from datetime import timedelta
from typing import Any

import pytest
from fhir.resources.consent import Consent as FhirR5Consent
from sqlalchemy.orm import Session

from hub.consent.exchange import export_consents, import_consents
from hub.consent.fhir import from_fhir
from hub.consent.fhir_r5 import from_fhir_r5
from hub.consent.records import record_consent, withdraw_consent
from hub.db import utcnow
from hub.demo.agencies import DemoOrganisation
from hub.errors import InvalidInput
from hub.models import Consent
from tests.consent.conftest import HealthCase
from tests.consent.test_fhir import _fields
from tests.helpers import audit_documents


def _exported(
    session: Session, org: DemoOrganisation, hc: HealthCase, version: str = "R5"
) -> dict[str, Any]:
    bundle = export_consents(
        session,
        org.actor("health.rep"),
        hc.person_id,
        fhir_version="R5" if version == "R5" else "R4",
    )
    return json.loads(json.dumps(bundle))  # exactly what a file would hold


def test_r28_a_withdrawn_consent_survives_hub_r5_hub_without_loss(
    session: Session, org: DemoOrganisation, health_case: HealthCase
) -> None:
    consent = record_consent(
        session,
        org.actor("health.rep"),
        health_case.consent(
            categories=["HEALTH", "RISK"],
            expires_at=utcnow() + timedelta(days=365),
            method="VERBAL",
        ),
    )
    withdraw_consent(session, org.actor("health.rep"), consent.id, "Withdrew at ward round")
    original = _fields(consent)
    (entry,) = _exported(session, org, health_case)["entry"]
    resource = entry["resource"]
    FhirR5Consent.model_validate(resource)  # a valid R5 Consent
    assert resource["decision"] == "permit"
    assert resource["status"] == "inactive"
    assert resource["provision"][0]["provision"][0]["period"]["start"]
    assert "patient" not in resource  # R5 names the subject `subject`
    assert any(
        d["operation"] == "EXPORT" and d["extra"] == {"format": "FHIR-R5"}
        for d in audit_documents(session)
    )

    new_id = uuid.uuid4()
    resource["id"] = str(new_id)
    (imported,) = import_consents(session, org.actor("health.rep"), resource, fhir_version="R5")
    assert imported.id == new_id
    assert _fields(imported) == original
    again = next(
        e["resource"]
        for e in _exported(session, org, health_case)["entry"]
        if e["resource"]["id"] == str(new_id)
    )
    assert {k: v for k, v in again.items() if k not in ("id", "identifier")} == {
        k: v for k, v in resource.items() if k not in ("id", "identifier")
    }


def test_r28_r4_and_r5_read_back_to_the_same_consent(
    session: Session, org: DemoOrganisation, health_case: HealthCase
) -> None:
    record_consent(
        session,
        org.actor("health.rep"),
        health_case.consent(capacity_note="Has capacity; assessed on the ward"),
    )
    r4 = from_fhir(_exported(session, org, health_case, "R4")["entry"][0]["resource"])
    r5 = from_fhir_r5(_exported(session, org, health_case, "R5")["entry"][0]["resource"])
    assert r4 == r5
    assert r5.withdrawn_at is None


@pytest.mark.parametrize(
    ("damage", "field"),
    [
        (lambda r: r.update(decision="deny"), "decision"),
        (lambda r: r.update(status="draft"), "status"),
        (lambda r: r["period"].pop("start"), "period.start"),
        (lambda r: r.pop("subject"), "subject"),
        (lambda r: r.update(subject={"reference": "Group/1"}), "subject"),
        (lambda r: r.pop("controller"), "controller"),
        (lambda r: r["provision"].append({}), "provision"),
        (lambda r: r["provision"][0]["code"][0]["coding"][0].update(system="x"), "provision[0]"),
        (lambda r: r["provision"][0]["actor"][0].pop("reference"), "provision[0]"),
        (lambda r: r.update(status="inactive"), "provision[0].provision"),
        (lambda r: r.update(date="last tuesday"), "date"),
        (lambda r: r.update(resourceType="Patient"), "resourceType"),
    ],
)
def test_r28_invalid_r5_is_refused_naming_the_element_and_nothing_is_recorded(
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
        import_consents(session, org.actor("health.rep"), resource, fhir_version="R5")
    assert refused.value.field.startswith(field)
    assert session.get(Consent, uuid.UUID(resource["id"])) is None
