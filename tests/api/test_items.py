"""Items through the API: create (idempotent), read with ETag, edit with If-Match, annotate.

R-14: the creating agency owns an item; only it edits; agencies working the case annotate.
A write the policy refuses changes nothing and is audited as DENY.
"""

from __future__ import annotations

import json
import uuid

from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from hub.demo.agencies import DemoOrganisation
from hub.models import AuditRecord, CaseMembership, InformationItem, MappaCase
from hub.vocabulary import MembershipRole
from tests.api.conftest import TokenFor
from tests.helpers import TODAY, new_case

WRITE = "cases:read items:read items:write"
ITEM = {
    "category": "LOCATION",
    "legal_basis": "CJA_S325",
    "title": "Seen at the Demoton retail park",
    "content": "Synthetic sighting reported by a patrol officer.",
}


def _member(session: Session, org: DemoOrganisation, case: MappaCase, code: str) -> None:
    session.add(
        CaseMembership(
            case_id=case.id,
            agency_id=org.agencies[code].id,
            role=MembershipRole.AGENCY_CONTACT,
            since=TODAY,
        )
    )
    session.flush()


def _post(client: FlaskClient, path: str, token: str, body: object, **headers: str) -> TestResponse:
    headers |= {"Authorization": f"Bearer {token}", "Hub-Purpose": "RISK_MANAGEMENT"}
    return client.post(path, json=body, headers=headers)


def _items(session: Session, case: MappaCase) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(InformationItem)
            .where(InformationItem.case_id == case.id)
        )
        or 0
    )


def _denies(session: Session, case: MappaCase) -> list[dict[str, object]]:
    rows = session.scalars(
        select(AuditRecord.canonical).where(
            AuditRecord.case_id == str(case.id), AuditRecord.operation == "DENY"
        )
    )
    return [json.loads(r) for r in rows]


def test_r14_an_agency_working_the_case_creates_an_item_it_then_owns(
    client: FlaskClient, session: Session, org: DemoOrganisation, token_for: TokenFor
) -> None:
    case = new_case(session, org)
    _member(session, org, case, "DEMO-POL")
    token = token_for(scopes=WRITE)
    created = _post(client, f"/api/v1/cases/{case.id}/items", token, ITEM)
    assert created.status_code == 201, created.json
    assert created.headers["Location"] == f"/api/v1/items/{created.json['id']}"
    assert created.headers["ETag"] == '"v1"'
    assert set(created.json) == {"id", "case_id", "version"}  # ids, never content
    item = session.get_one(InformationItem, uuid.UUID(created.json["id"]))
    assert item.owning_agency_id == org.agencies["DEMO-POL"].id


def test_a_retried_post_with_the_same_key_creates_one_item_and_replays_the_answer(
    client: FlaskClient, session: Session, org: DemoOrganisation, token_for: TokenFor
) -> None:
    case = new_case(session, org)
    _member(session, org, case, "DEMO-POL")
    token = token_for(scopes=WRITE)
    path = f"/api/v1/cases/{case.id}/items"
    first = _post(client, path, token, ITEM, **{"Idempotency-Key": "sighting-0001"})
    again = _post(client, path, token, ITEM, **{"Idempotency-Key": "sighting-0001"})
    assert first.status_code == again.status_code == 201
    assert again.json == first.json
    assert again.headers["Idempotent-Replayed"] == "true"
    assert _items(session, case) == 1
    other = _post(
        client, path, token, {**ITEM, "title": "Another"}, **{"Idempotency-Key": "sighting-0001"}
    )
    assert other.status_code == 422
    assert other.json["errors"][0]["field"] == "headers.Idempotency-Key"
    assert _items(session, case) == 1


def test_r16_a_write_to_a_case_the_agency_does_not_work_changes_nothing_and_is_denied(
    client: FlaskClient, session: Session, org: DemoOrganisation, token_for: TokenFor
) -> None:
    case = new_case(session, org)  # the police have no part in it
    response = _post(client, f"/api/v1/cases/{case.id}/items", token_for(scopes=WRITE), ITEM)
    assert response.status_code == 404  # as if there were no such case
    assert response.json["detail"] == "no case with that id"
    assert _items(session, case) == 0
    assert [d["extra"]["action"] for d in _denies(session, case)] == ["create"]


def test_bad_item_input_is_a_422_naming_the_field_and_nothing_is_written(
    client: FlaskClient, session: Session, org: DemoOrganisation, token_for: TokenFor
) -> None:
    case = new_case(session, org)
    _member(session, org, case, "DEMO-POL")
    token = token_for(scopes=WRITE)
    path = f"/api/v1/cases/{case.id}/items"
    for body, field in (
        ({**ITEM, "title": ""}, "title"),
        ({**ITEM, "colour": "red"}, "colour"),
        ({k: v for k, v in ITEM.items() if k != "content"}, "content"),
        ({**ITEM, "category": "GOSSIP"}, "category"),
        ({**ITEM, "review_by": "next week"}, "review_by"),
    ):
        response = _post(client, path, token, body)
        assert response.status_code == 422, (body, response.json)
        assert response.content_type == "application/problem+json"
        assert response.json["errors"][0]["field"] == field, response.json
    malformed = client.post(
        path,
        data="{not json",
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}", "Hub-Purpose": "RISK_MANAGEMENT"},
    )
    assert malformed.status_code in (400, 422)
    assert malformed.content_type == "application/problem+json"
    assert _items(session, case) == 0


def test_r14_edits_need_the_current_etag_and_a_stale_one_gets_412(
    client: FlaskClient, session: Session, org: DemoOrganisation, token_for: TokenFor
) -> None:
    case = new_case(session, org)
    _member(session, org, case, "DEMO-POL")
    token = token_for(scopes=WRITE)
    created = _post(client, f"/api/v1/cases/{case.id}/items", token, ITEM)
    path = f"/api/v1/items/{created.json['id']}"
    headers = {"Authorization": f"Bearer {token}", "Hub-Purpose": "RISK_MANAGEMENT"}
    read = client.get(path, headers=headers)
    assert read.status_code == 200, read.json
    assert read.json["fields"]["summary"] == ITEM["title"]
    tag = read.headers["ETag"]
    no_tag = client.patch(path, json={"title": "Renamed"}, headers=headers)
    assert no_tag.status_code == 428
    edited = client.patch(path, json={"title": "Renamed"}, headers={**headers, "If-Match": tag})
    assert edited.status_code == 200, edited.json
    assert edited.headers["ETag"] == '"v2"'
    stale = client.patch(path, json={"title": "Again"}, headers={**headers, "If-Match": tag})
    assert stale.status_code == 412
    assert stale.content_type == "application/problem+json"
    assert session.get_one(InformationItem, uuid.UUID(created.json["id"])).title == "Renamed"


def test_r14_another_agency_annotates_but_cannot_edit(
    client: FlaskClient, session: Session, org: DemoOrganisation, token_for: TokenFor
) -> None:
    case = new_case(session, org)
    _member(session, org, case, "DEMO-POL")
    _member(session, org, case, "DEMO-HSG")
    police = token_for(scopes=WRITE)
    created = _post(client, f"/api/v1/cases/{case.id}/items", police, ITEM)
    item_path = f"/api/v1/items/{created.json['id']}"
    # Registered after the police system's first call: a new client works at once.
    housing = token_for(agency="DEMO-HSG", scopes=WRITE)
    note = _post(client, f"{item_path}/annotations", housing, {"text": "Tenancy ends in May."})
    assert note.status_code == 201, note.json
    headers = {"Authorization": f"Bearer {housing}", "Hub-Purpose": "RISK_MANAGEMENT"}
    refused = client.patch(
        item_path, json={"title": "Housing's title"}, headers={**headers, "If-Match": '"v1"'}
    )
    assert refused.status_code == 403
    assert "R-14" in refused.json["detail"]
    assert session.get_one(InformationItem, uuid.UUID(created.json["id"])).title == ITEM["title"]
    assert any(d["extra"]["action"] == "edit" for d in _denies(session, case))
