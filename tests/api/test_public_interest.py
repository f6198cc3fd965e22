"""/api/v1/public-interest-decisions: R-30 and R-31 over the API (issue 6)."""

from __future__ import annotations

import json
from datetime import timedelta

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.db import utcnow
from hub.demo.agencies import DemoOrganisation
from hub.models import AuditRecord, InformationItem
from hub.services.items import ItemInput, record_item
from tests.api.conftest import TokenFor
from tests.helpers import new_case


def _health_item(session: Session, org: DemoOrganisation) -> tuple[InformationItem, str]:
    case = new_case(session, org)
    item = record_item(
        session,
        org.actor("health.discloser"),
        ItemInput(
            case_id=case.id,
            category="HEALTH",
            legal_basis="CONSENT",
            title="Relapse indicators",
            content="Synthetic: missed two depot appointments.",
        ),
    )
    session.commit()
    return item, str(case.person_id)


def _decision(
    org: DemoOrganisation, held: tuple[InformationItem, str], by: str
) -> dict[str, object]:
    item, person_id = held
    return {
        "subject_person_id": person_id,
        "decided_by": str(org.staff[by].id),
        "item_ids": [str(item.id)],
        "recipient_agency_ids": [str(org.agencies["DEMO-POL"].id)],
        "risk_described": "A risk of serious harm to a named former partner this month.",
        "information_scope": "Relapse indicators only",
        "reasoning": "The risk outweighs confidentiality; the minimum is shared.",
        "review_by": (utcnow() + timedelta(days=30)).isoformat(),
        "patient_informed": True,
    }


def test_r30_a_health_discloser_records_a_decision_through_the_health_system(
    client: FlaskClient, session: Session, org: DemoOrganisation, token_for: TokenFor
) -> None:
    held = _health_item(session, org)
    item, person_id = held
    token = token_for(agency="DEMO-NHS", scopes="consent:write")
    headers = {"Authorization": f"Bearer {token}"}
    made = client.post(
        "/api/v1/public-interest-decisions",
        json=_decision(org, held, "health.discloser"),
        headers=headers,
    )
    assert made.status_code == 201, made.json
    listed = client.get(f"/api/v1/persons/{person_id}/public-interest-decisions", headers=headers)
    [only] = listed.json["decisions"]
    assert only["state"] == "ACTIVE"
    assert only["item_ids"] == [str(item.id)]


def test_r30_a_chair_cannot_decide_and_the_refusal_is_audited(
    client: FlaskClient, session: Session, org: DemoOrganisation, token_for: TokenFor
) -> None:
    held = _health_item(session, org)
    police = token_for(agency="DEMO-POL", scopes="consent:write")
    refused = client.post(
        "/api/v1/public-interest-decisions",
        json=_decision(org, held, "chair.l3"),
        headers={"Authorization": f"Bearer {police}"},
    )
    assert refused.status_code == 403
    assert refused.json["errors"][0]["field"] == "decided_by"
    assert refused.json["detail"].startswith("R-30 (decided_by):")
    # Within the health body too, only a HEALTH_DISCLOSER decides.
    health = token_for(agency="DEMO-NHS", scopes="consent:write")
    rep = client.post(
        "/api/v1/public-interest-decisions",
        json=_decision(org, held, "health.rep"),
        headers={"Authorization": f"Bearer {health}"},
    )
    assert rep.status_code == 403
    assert "HEALTH_DISCLOSER" in rep.json["detail"]
    denies = [
        json.loads(c)
        for c in session.scalars(
            select(AuditRecord.canonical).where(AuditRecord.operation == "DENY")
        )
    ]
    assert any(d["record_type"] == "public_interest_decision" for d in denies)


def test_r31_a_decision_without_recipients_or_with_another_agencys_person_is_refused(
    client: FlaskClient, session: Session, org: DemoOrganisation, token_for: TokenFor
) -> None:
    held = _health_item(session, org)
    token = token_for(agency="DEMO-NHS", scopes="consent:write")
    headers = {"Authorization": f"Bearer {token}"}
    for change, field in (
        ({"recipient_agency_ids": []}, "recipient_agency_ids"),
        ({"risk_described": "bad"}, "risk_described"),
        ({"decided_by": str(org.staff["mosovo"].id)}, "decided_by"),
        ({"review_by": (utcnow() - timedelta(days=1)).isoformat()}, "review_by"),
    ):
        body = {**_decision(org, held, "health.discloser"), **change}
        response = client.post("/api/v1/public-interest-decisions", json=body, headers=headers)
        assert response.status_code == 422, (change, response.json)
        assert response.json["errors"][0]["field"] == field, response.json
