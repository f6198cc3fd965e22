"""/api/v1/consents: a health body's system records, lists and withdraws consents (issue 6)."""

from __future__ import annotations

import uuid

from flask.testing import FlaskClient
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from hub.demo.agencies import DemoOrganisation
from hub.models import Consent
from tests.api.conftest import TokenFor
from tests.helpers import new_person

SCOPES = "consent:write"


def _consent(org: DemoOrganisation, person_id: uuid.UUID) -> dict[str, object]:
    return {
        "subject_person_id": str(person_id),
        "categories": ["HEALTH"],
        "recipient_agency_ids": [str(org.agencies["DEMO-PRB"].id)],
        "purposes": ["RISK_MANAGEMENT", "MAPPA_MEETING"],
        "method": "WRITTEN",
        "recorded_by": str(org.staff["health.discloser"].id),
    }


def _post(client: FlaskClient, path: str, token: str, body: object, **headers: str) -> TestResponse:
    return client.post(path, json=body, headers={"Authorization": f"Bearer {token}", **headers})


def test_r28_the_health_body_records_a_consent_and_lists_it(
    client: FlaskClient, session: Session, org: DemoOrganisation, token_for: TokenFor
) -> None:
    person = new_person(session, org)
    session.commit()
    token = token_for(agency="DEMO-NHS", scopes=SCOPES)
    made = _post(client, "/api/v1/consents", token, _consent(org, person.id))
    assert made.status_code == 201, made.json
    assert made.headers["Location"] == f"/api/v1/consents/{made.json['id']}"
    listed = client.get(
        f"/api/v1/persons/{person.id}/consents", headers={"Authorization": f"Bearer {token}"}
    )
    assert listed.status_code == 200, listed.json
    [only] = listed.json["consents"]
    assert only["state"] == "ACTIVE"
    assert only["categories"] == ["HEALTH"]
    assert only["recipient_agency_ids"] == [str(org.agencies["DEMO-PRB"].id)]


def test_r29_a_withdrawal_over_the_api_takes_effect_and_cannot_be_repeated(
    client: FlaskClient, session: Session, org: DemoOrganisation, token_for: TokenFor
) -> None:
    person = new_person(session, org)
    session.commit()
    token = token_for(agency="DEMO-NHS", scopes=SCOPES)
    made = _post(client, "/api/v1/consents", token, _consent(org, person.id))
    withdrawal = {
        "reason": "The patient asked the team to stop sharing.",
        "withdrawn_by": str(org.staff["health.discloser"].id),
    }
    path = f"/api/v1/consents/{made.json['id']}/withdrawal"
    first = _post(client, path, token, withdrawal)
    assert first.status_code == 200, first.json
    assert first.json["review_task_id"]  # R-29 c: the controller decides on public interest
    consent = session.get_one(Consent, uuid.UUID(made.json["id"]))
    session.refresh(consent)
    assert consent.withdrawn_at is not None
    again = _post(client, path, token, withdrawal)
    assert again.status_code == 422
    assert again.json["errors"][0]["field"] == "withdrawn_at"


def test_only_the_controller_records_and_bad_consents_name_the_field(
    client: FlaskClient, session: Session, org: DemoOrganisation, token_for: TokenFor
) -> None:
    person = new_person(session, org)
    session.commit()
    police = token_for(agency="DEMO-POL", scopes=SCOPES)
    refused = _post(client, "/api/v1/consents", police, _consent(org, person.id))
    assert refused.status_code == 422
    assert refused.json["errors"][0]["field"] == "recorded_by"
    health = token_for(agency="DEMO-NHS", scopes=SCOPES)
    for change, field in (
        ({"categories": ["GOSSIP"]}, "categories.0"),
        ({"purposes": []}, "purposes"),
        ({"recipient_agency_ids": [str(uuid.uuid4())]}, "recipient_agency_ids[0]"),
        ({"method": "TELEPATHY"}, "method"),
        ({"expires_at": "2020-01-01T00:00:00+00:00"}, "expires_at"),
    ):
        response = _post(client, "/api/v1/consents", health, {**_consent(org, person.id), **change})
        assert response.status_code == 422, (change, response.json)
        assert response.json["errors"][0]["field"] == field, response.json
    missing = _post(
        client,
        f"/api/v1/consents/{uuid.uuid4()}/withdrawal",
        health,
        {"reason": "x", "withdrawn_by": str(org.staff["health.discloser"].id)},
    )
    assert missing.status_code == 404
