"""Each connector's mapping, valid and invalid messages; errors name the field."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from connectors.base import MessageRejected
from connectors.records import AssessmentRecord, CaseRecord, ItemRecord, PersonRecord
from connectors.registry import connector
from tests.connectors import messages as msg

NOW = datetime(2025, 3, 1, 12, tzinfo=UTC)


def _fields(name: str, message: object) -> set[str]:
    raw = message if isinstance(message, bytes) else json.dumps(message).encode()
    with pytest.raises(MessageRejected) as caught:
        connector(name).parse(raw)
    return {p.field for p in caught.value.problems}


def test_police_nominal_maps_to_a_person_with_aliases_and_address() -> None:
    police = connector("police")
    [person] = police.map(police.parse(msg.encode(msg.nominal())), NOW)
    assert isinstance(person, PersonRecord)
    assert person.identifiers == (("PNC", msg.PNC),)
    assert [n.type for n in person.names] == ["PRIMARY", "ALIAS"]
    assert person.addresses[0].town == "Demoton"
    assert person.provenance.source_reference == "NOM-1"
    assert person.provenance.received_at == NOW


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"pnc_id": "12345"}, "pnc_id"),
        ({"names": []}, "names"),
        ({"names": [{"type": "ALIAS", "given": "A", "family": "B"}]}, "names"),
        ({"date_of_birth": "2999-01-01"}, "message"),
        ({"addresses": [{"line1": "1 Road", "valid_from": "2024-01-01"}]}, "addresses[0].town"),
        ({"shoe_size": 9}, "shoe_size"),
        ({"source_reference": ""}, "source_reference"),
    ],
)
def test_police_nominal_errors_name_the_field(change: dict[str, Any], field: str) -> None:
    assert field in _fields("police", msg.nominal() | change)


def test_an_unknown_message_type_names_the_type_field() -> None:
    assert _fields("police", {"type": "horoscope", "source_reference": "X"}) == {"type"}


def test_police_3x5x2_handling_code_c_needs_conditions() -> None:
    bad = msg.intelligence()
    del bad["grading"]["handling_conditions"]
    assert _fields("police", bad) == {"grading"}


def test_probation_scores_keep_their_algorithm_versions_r42() -> None:
    probation = connector("probation")
    message = {
        "type": "risk_scores",
        "source_reference": "OASYS-77",
        "subject": {"crn": "X123456"},
        "source_system": "ARNS",
        "assessed_at": "2025-02-01T10:00:00Z",
        "scores": [
            {"tool": "OSP_DC", "algorithm_version": "OSP/DC v2", "score": 24, "band": "MEDIUM"},
            {"tool": "DC_SRP", "algorithm_version": "DC-SRP 1.0", "score": 3.1, "band": "LOW"},
        ],
        "rosh_algorithm_version": "OASys 6.35",
        "rosh": [{"group": "CHILDREN", "level": "HIGH"}, {"group": "PUBLIC", "level": "MEDIUM"}],
    }
    records = probation.map(probation.parse(json.dumps(message).encode()), NOW)
    scores = [r for r in records if isinstance(r, AssessmentRecord)]
    assert {(s.tool, s.algorithm_version) for s in scores} == {
        ("OSP_DC", "OSP/DC v2"),
        ("DC_SRP", "DC-SRP 1.0"),
        ("OASYS_ROSH", "OASys 6.35"),
    }
    assert next(s for s in scores if s.tool == "OASYS_ROSH").band == "HIGH"
    assert any(isinstance(r, ItemRecord) and r.category == "RISK" for r in records)
    del message["scores"][0]["algorithm_version"]
    assert _fields("probation", message) == {"scores[0].algorithm_version"}


def test_probation_mappa_status_maps_to_a_case() -> None:
    probation = connector("probation")
    [case] = probation.map(probation.parse(msg.encode(msg.mappa_status())), NOW)
    assert isinstance(case, CaseRecord)
    assert (case.category, case.level) == (1, 1)
    assert "category" in _fields("probation", msg.mappa_status() | {"category": 5})


def test_cosa_concern_is_a_risk_item_on_the_public_interest_route() -> None:
    cosa = connector("cosa")
    concern = {
        "type": "concern",
        "source_reference": "CIRCLE-9-C1",
        "subject": {"crn": "X123456"},
        "circle_reference": "CIRCLE-9",
        "raised_at": "2025-02-03T19:00:00Z",
        "raised_by_role": "VOLUNTEER",
        "concern_category": "POSSIBLE_BREACH",
        "severity": "URGENT",
        "description": "Core member mentioned visiting a playground.",
    }
    [item] = cosa.map(cosa.parse(json.dumps(concern).encode()), NOW)
    assert isinstance(item, ItemRecord)
    assert (item.category, item.legal_basis) == ("RISK", "PUBLIC_INTEREST")
    assert "URGENT" in item.title
    assert _fields("cosa", concern | {"severity": "MILD"}) == {"severity"}


def _bundle(*resources: dict[str, Any]) -> dict[str, Any]:
    patient = {
        "resourceType": "Patient",
        "id": "p1",
        "identifier": [{"system": "https://fhir.nhs.uk/Id/nhs-number", "value": "9990001234"}],
        "birthDate": "1979-03-14",
    }
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "identifier": {"system": "urn:demo-trust:bundles", "value": "HB-1"},
        "entry": [{"resource": r} for r in (patient, *resources)],
    }


OBSERVATION = {
    "resourceType": "Observation",
    "id": "o1",
    "status": "final",
    "code": {"text": "Attendance at depot clinic"},
    "valueString": "Missed two appointments",
}


def test_health_bundle_maps_to_health_items_the_gate_decides_on() -> None:
    health = connector("health")
    [item] = health.map(health.parse(json.dumps(_bundle(OBSERVATION)).encode()), NOW)
    assert isinstance(item, ItemRecord)
    assert item.category == "HEALTH"
    assert item.subject.identifiers == (("NHS_NUMBER", "9990001234"),)
    assert item.provenance.source_reference == "HB-1/Observation/o1"


def test_health_resource_of_the_wrong_type_names_its_entry() -> None:
    fields = _fields("health", _bundle({"resourceType": "Encounter", "status": "finished"}))
    assert fields == {"entry[1].resource.resourceType"}


def test_health_invalid_fhir_names_the_path() -> None:
    broken = dict(OBSERVATION)
    del broken["code"]
    assert _fields("health", _bundle(broken)) == {"entry[1].resource.code"}


def test_an_oversized_message_is_refused_unread() -> None:
    assert _fields("police", b"{" + b" " * 1_000_001 + b"}") == {"message"}
