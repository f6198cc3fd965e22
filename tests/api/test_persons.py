"""Persons, the records held about them and a case's changes over the API (issue 5):
read-only, through the gate, audited, hidden == missing."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.demo.agencies import DemoOrganisation
from hub.models import AuditRecord, MappaCase
from hub.services.assessments import AssessmentInput, record_assessment
from hub.services.cases import add_member
from hub.services.items import ItemInput, record_item
from hub.services.notifications import RequirementInput, record_event, record_requirement
from hub.services.orders import OrderInput, ProhibitionInput, record_order
from tests.api.conftest import TokenFor, call
from tests.helpers import TODAY, new_case


def _worked_by_police(session: Session, org: DemoOrganisation, **kw: int) -> MappaCase:
    case = new_case(session, org, **kw)
    add_member(
        session, org.actor("coordinator"), case.id, org.agencies["DEMO-POL"].id, "AGENCY_CONTACT"
    )
    return case


def _entries(session: Session, record_type: str) -> list[dict[str, object]]:
    rows = session.scalars(select(AuditRecord.canonical).order_by(AuditRecord.seq)).all()
    return [
        d
        for d in map(json.loads, rows)
        if d["record_type"] == record_type and d["operation"] in ("CONSULT", "DENY")
    ]


def _held_about(session: Session, org: DemoOrganisation, case: MappaCase) -> None:
    record_assessment(
        session,
        org.actor("offender.manager"),
        AssessmentInput(
            person_id=case.person_id,
            case_id=case.id,
            tool="OASYS_ROSH",
            algorithm_version="oasys-6.2",
            band="HIGH",
            assessed_at=datetime.now(UTC) - timedelta(days=20),
            source_system="MANUAL",
        ),
    )
    record_order(
        session,
        org.actor("mosovo"),
        OrderInput(
            person_id=case.person_id,
            type="SHPO",
            court="Demoton Crown Court",
            made_date=TODAY - timedelta(days=300),
            until_further_order=True,
            prohibitions=[ProhibitionInput("INTERNET", "Keep browsing history", None, True)],
        ),
    )
    requirement = record_requirement(
        session,
        org.actor("mosovo"),
        RequirementInput(
            person_id=case.person_id,
            regime="SOA_PART2",
            relevant_date=TODAY - timedelta(days=400),
            indefinite=True,
        ),
    )
    record_event(
        session,
        org.actor("mosovo"),
        requirement.id,
        type="INITIAL",
        trigger_date=TODAY - timedelta(days=400),
        due_by=TODAY - timedelta(days=397),
        received_at=datetime.now(UTC) - timedelta(days=398),
    )


def test_a_person_of_a_case_the_agency_works_is_read_redacted_with_an_etag_and_audited(
    client: FlaskClient, session: Session, org: DemoOrganisation, token_for: TokenFor
) -> None:
    case = _worked_by_police(session, org)
    session.commit()
    response = call(client, f"/api/v1/persons/{case.person_id}", token_for())
    assert response.status_code == 200, response.json
    assert response.json["type"] == "person"
    assert response.json["id"] == str(case.person_id)
    assert response.headers["ETag"].startswith('"v')
    assert set(response.json["fields"]) | set(response.json["withheld"]) >= {"names", "address"}
    [entry] = _entries(session, "person")
    assert entry["operation"] == "CONSULT"
    assert entry["case"] == str(case.id)


def test_r16_a_person_the_agency_cannot_reach_answers_as_a_missing_one_and_is_audited(
    client: FlaskClient, session: Session, org: DemoOrganisation, token_for: TokenFor
) -> None:
    case = new_case(session, org)  # the police do not work it
    session.commit()
    token = token_for()
    hidden = call(client, f"/api/v1/persons/{case.person_id}", token)
    missing = call(client, f"/api/v1/persons/{uuid.uuid4()}", token)
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json == missing.json
    assert [e["operation"] for e in _entries(session, "person")] == ["DENY", "DENY"]
    for kind in ("risk-assessments", "orders", "notification-requirements"):
        refused = call(client, f"/api/v1/persons/{case.person_id}/{kind}", token)
        assert refused.status_code == 404
        assert refused.json == missing.json


def test_r42_risk_assessments_orders_and_notifications_are_read_with_their_details(
    client: FlaskClient, session: Session, org: DemoOrganisation, token_for: TokenFor
) -> None:
    case = _worked_by_police(session, org)
    _held_about(session, org, case)
    session.commit()
    token = token_for()
    base = f"/api/v1/persons/{case.person_id}"
    [risk] = call(client, f"{base}/risk-assessments", token).json["records"]
    assert risk["type"] == "risk_assessment"
    assert risk["category"] == "RISK"
    assert risk["fields"]["algorithm_version"] == "oasys-6.2"
    assert risk["fields"]["band"] == "HIGH"
    [order] = call(client, f"{base}/orders", token).json["records"]
    assert order["fields"]["type"] == "SHPO"
    assert order["fields"]["prohibitions"][0]["category"] == "INTERNET"
    [requirement] = call(client, f"{base}/notification-requirements", token).json["records"]
    assert requirement["fields"]["regime"] == "SOA_PART2"
    assert [e["type"] for e in requirement["fields"]["events"]] == ["INITIAL"]
    for record_type in ("risk_assessment", "civil_order", "notification_requirement"):
        assert [e["operation"] for e in _entries(session, record_type)] == ["CONSULT"]


def test_r16_an_agency_off_the_case_reads_none_of_the_records_held(
    client: FlaskClient, session: Session, org: DemoOrganisation, token_for: TokenFor
) -> None:
    case = _worked_by_police(session, org)
    _held_about(session, org, case)
    session.commit()
    housing = token_for(agency="DEMO-HSG")
    answer = call(client, f"/api/v1/persons/{case.person_id}/orders", housing)
    assert answer.status_code == 404


def test_a_case_s_changes_page_by_cursor_and_a_bad_cursor_names_the_field(
    client: FlaskClient, session: Session, org: DemoOrganisation, token_for: TokenFor
) -> None:
    from hub.services.cases import LevelDecision, change_level

    case = _worked_by_police(session, org, category=2, level=1)
    change_level(
        session,
        org.actor("coordinator"),
        case.id,
        LevelDecision(
            level=2,
            reason="Multi-agency plan needed",
            next_review_due=TODAY + timedelta(weeks=8),
            level_two_basis="EXCEPTIONAL_COORDINATION",
        ),
    )
    session.commit()
    token = token_for()
    path = f"/api/v1/cases/{case.id}/changes"
    first = call(client, f"{path}?limit=1", token)
    assert first.status_code == 200, first.json
    assert len(first.json["changes"]) == 1
    assert first.json["next_cursor"]
    rest = call(client, f"{path}?limit=50&cursor={first.json['next_cursor']}", token)
    assert rest.status_code == 200
    kinds = [c["fields"]["kind"] for c in first.json["changes"] + rest.json["changes"]]
    assert "LEVEL" in kinds
    levels = [
        c["fields"]
        for c in first.json["changes"] + rest.json["changes"]
        if c["fields"]["kind"] == "LEVEL"
    ]
    assert levels[-1]["new_value"] == "2"
    assert levels[-1]["reason"] == "Multi-agency plan needed"
    bad = call(client, f"{path}?cursor=not-a-cursor", token)
    assert bad.status_code == 422
    assert bad.json["errors"][0]["field"] == "cursor"
    hidden = call(client, f"/api/v1/cases/{new_case(session, org).id}/changes", token)
    assert hidden.status_code == 404


def test_r49_victim_items_never_reach_a_partner_api_payload(
    client: FlaskClient, session: Session, org: DemoOrganisation, token_for: TokenFor
) -> None:
    """R-49: a victim whose address is confidential is never in a partner API payload, even
    for the lead agency's own system (its people read it in the hub)."""
    case = _worked_by_police(session, org)
    victim = record_item(
        session,
        org.actor("offender.manager"),
        ItemInput(
            case_id=case.id,
            category="VICTIM",
            legal_basis="CJA_S325",
            title="Victim contact",
            content="Synthetic victim address details",
        ),
    )
    session.commit()
    tokens = [token_for(agency="DEMO-PRB"), token_for(agency="DEMO-POL")]
    for token in tokens:
        read = call(client, f"/api/v1/cases/{case.id}", token)
        assert read.status_code == 200, read.json
        assert str(victim.id) not in json.dumps(read.json)
        assert "Synthetic victim" not in read.get_data(as_text=True)
        single = call(client, f"/api/v1/items/{victim.id}", token)
        assert single.status_code == 404
