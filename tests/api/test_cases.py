"""GET /api/v1/cases and /api/v1/cases/{id}: every read through the gate (issue 5)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.api.ratelimit import ClientRateLimit
from hub.demo.agencies import DemoOrganisation
from hub.models import AuditRecord, CaseMembership, MappaCase
from hub.vocabulary import MembershipRole
from tests.api.conftest import TokenFor, call
from tests.helpers import TODAY, new_case

SCHEMA = Path(__file__).resolve().parents[2] / "schemas" / "openapi.json"


def _police_member(session: Session, org: DemoOrganisation, case: MappaCase) -> None:
    session.add(
        CaseMembership(
            case_id=case.id,
            agency_id=org.agencies["DEMO-POL"].id,
            role=MembershipRole.CASE_MANAGER,
            since=TODAY,
        )
    )
    session.flush()


def _consults(session: Session, case_id: uuid.UUID) -> list[dict[str, object]]:
    rows = session.scalars(
        select(AuditRecord.canonical).where(AuditRecord.case_id == str(case_id))
    ).all()
    return [d for d in map(json.loads, rows) if d["operation"] in ("CONSULT", "DENY")]


def test_r21_a_read_without_a_purpose_is_refused_naming_the_header(
    client: FlaskClient, token_for: TokenFor
) -> None:
    response = call(client, "/api/v1/cases", token_for(), purpose=None)
    assert response.status_code == 400
    assert response.content_type == "application/problem+json"
    assert response.json["errors"] == [{"field": "headers.Hub-Purpose", "detail": "missing"}]
    assert "Hub-Purpose" in response.json["detail"]


def test_a_case_of_the_agency_is_read_redacted_and_audited_with_the_system(
    client: FlaskClient, session: Session, org: DemoOrganisation, token_for: TokenFor
) -> None:
    case = new_case(session, org)
    _police_member(session, org, case)
    response = call(
        client, f"/api/v1/cases/{case.id}", token_for(), **{"Hub-On-Behalf-Of": "pc.demo.4471"}
    )
    assert response.status_code == 200, response.json
    body = response.json
    assert body["case"]["id"] == str(case.id)
    assert body["case"]["fields"]["category"] == 1
    # identity documents never leave the hub in a partner payload.
    assert "identity_documents" not in body["person"]["fields"]
    assert "identity_documents" in body["person"]["withheld"]
    consult = [d for d in _consults(session, case.id) if d["record_type"] == "mappa_case"][-1]
    assert consult["operation"] == "CONSULT"
    actor = consult["actor"]
    assert isinstance(actor, dict)
    assert actor["on_behalf_of"] == "pc.demo.4471"
    assert actor["roles"] == ["SYSTEM_API_CLIENT"]
    assert consult["purpose"] == "RISK_MANAGEMENT"


def test_r16_a_hidden_case_answers_exactly_like_a_missing_one_and_both_are_logged(
    client: FlaskClient, session: Session, org: DemoOrganisation, token_for: TokenFor
) -> None:
    hidden = new_case(session, org)  # the police have no part in it
    token = token_for()
    refused = call(client, f"/api/v1/cases/{hidden.id}", token)
    missing = call(client, f"/api/v1/cases/{uuid.uuid4()}", token)
    assert refused.status_code == missing.status_code == 404
    assert refused.json == missing.json
    assert refused.json["detail"] == "no case with that id"
    assert [d["operation"] for d in _consults(session, hidden.id)] == ["DENY"]


def test_lists_page_by_cursor_without_repeats_and_count_only_the_visible(
    client: FlaskClient, session: Session, org: DemoOrganisation, token_for: TokenFor
) -> None:
    mine = [new_case(session, org) for _ in range(5)]
    for case in mine:
        _police_member(session, org, case)
    new_case(session, org)  # not the police's
    token = token_for()
    seen: list[str] = []
    cursor = None
    while True:
        query = "/api/v1/cases?limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = call(client, query, token)
        assert page.status_code == 200, page.json
        assert page.json["total"] == 5
        seen += [c["id"] for c in page.json["cases"]]
        cursor = page.json["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(str(c.id) for c in mine)
    assert len(seen) == len(set(seen))


def test_bad_list_arguments_are_422_problems_naming_the_field(
    client: FlaskClient, token_for: TokenFor
) -> None:
    token = token_for()
    for query, field in (
        ("limit=0", "limit"),
        ("limit=ten", "limit"),
        ("cursor=not-a-cursor", "cursor"),
        ("colour=blue", "colour"),
    ):
        response = call(client, f"/api/v1/cases?{query}", token)
        assert response.status_code == 422, (query, response.json)
        assert response.content_type == "application/problem+json"
        assert response.json["errors"][0]["field"] == field, response.json


def test_a_bad_case_id_is_a_problem_not_a_server_error(
    client: FlaskClient, token_for: TokenFor
) -> None:
    response = call(client, "/api/v1/cases/not-a-uuid", token_for())
    assert response.status_code == 404
    assert response.content_type == "application/problem+json"


def test_every_api_route_needs_a_token(client: FlaskClient) -> None:
    for path in ("/api/v1/cases", f"/api/v1/cases/{uuid.uuid4()}"):
        response = client.get(path, headers={"Hub-Purpose": "RISK_MANAGEMENT"})
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_the_served_openapi_document_is_the_committed_one(client: FlaskClient) -> None:
    served = client.get("/api/v1/openapi.json")
    assert served.status_code == 200
    assert served.json["openapi"] == "3.1.0"
    committed = json.loads(SCHEMA.read_text(encoding="utf-8"))
    assert served.json == committed, (
        "schemas/openapi.json is stale: run `hub api openapi > schemas/openapi.json`"
    )


def test_a_client_over_its_rate_limit_gets_429_and_others_are_unaffected(
    app: Flask, client: FlaskClient, token_for: TokenFor
) -> None:
    app.extensions["hub.rate_limit"] = ClientRateLimit("3/minute", "memory://")
    busy, other = token_for(), token_for()
    answers = [call(client, "/api/v1/cases", busy).status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]
    refused = call(client, "/api/v1/cases", busy)
    assert refused.content_type == "application/problem+json"
    assert int(refused.headers["Retry-After"]) >= 1
    assert call(client, "/api/v1/cases", other).status_code == 200
