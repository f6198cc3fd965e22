"""Who-accessed reports over the API (issue 5; DPA 2018 s.62; R-22: each agency sees its own
trail, the AUDITOR role sees all of it)."""

from __future__ import annotations

import json

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.demo.agencies import DemoOrganisation
from hub.models import AuditRecord, CaseMembership, MappaCase
from hub.services.items import ItemInput, record_item
from hub.vocabulary import MembershipRole
from tests.api.conftest import TokenFor, call
from tests.helpers import TODAY, new_case
from tests.oauth.people import person_token

ITEM = {"category": "LOCATION", "legal_basis": "CJA_S325", "title": "t", "content": "c"}


@pytest.fixture
def read_by_probation(
    client: FlaskClient, session: Session, org: DemoOrganisation, token_for: TokenFor
) -> tuple[MappaCase, str, str]:
    """A police item on a case both agencies work, read once by probation's system."""
    case = new_case(session, org)
    for agency in ("DEMO-POL", "DEMO-PRB"):
        session.add(
            CaseMembership(
                case_id=case.id,
                agency_id=org.agencies[agency].id,
                role=MembershipRole.AGENCY_CONTACT,
                since=TODAY,
            )
        )
    session.flush()
    item = record_item(session, org.actor("mosovo"), ItemInput(case_id=case.id, **ITEM))  # type: ignore[arg-type]
    session.commit()
    probation = token_for(agency="DEMO-PRB")
    read = call(client, f"/api/v1/items/{item.id}", probation)
    assert read.status_code == 200, read.json
    return case, str(item.id), probation


def test_r22_an_agency_system_sees_who_in_other_agencies_read_its_items(
    client: FlaskClient, session: Session, token_for: TokenFor, read_by_probation: tuple
) -> None:
    _, item_id, _ = read_by_probation
    police = token_for(agency="DEMO-POL", scopes="audit:read")
    page = call(client, "/api/v1/audit/accesses/own-items", police, purpose="AUDIT_OVERSIGHT")
    assert page.status_code == 200, page.json
    (access,) = page.json["accesses"]
    assert access["operation"] == "CONSULT"
    assert access["record_ids"] == [item_id]
    assert access["roles"] == ["SYSTEM_API_CLIENT"]
    assert page.json["next_after"] is None
    # Reading the report is itself recorded.
    reports = session.scalars(
        select(AuditRecord.canonical).where(AuditRecord.operation == "CONSULT")
    ).all()
    assert any(json.loads(r)["record_type"] == "audit_report" for r in reports)


def test_r22_an_item_the_agency_does_not_own_answers_like_one_nobody_read(
    client: FlaskClient, token_for: TokenFor, read_by_probation: tuple
) -> None:
    _, item_id, _ = read_by_probation
    probation = token_for(agency="DEMO-PRB", scopes="audit:read")
    page = call(client, f"/api/v1/audit/accesses/own-items?item={item_id}", probation)
    assert page.status_code == 200
    assert page.json == {"accesses": [], "next_after": None}


def test_r22_an_auditor_sees_every_access_to_a_case(
    app: Flask,
    client: FlaskClient,
    session: Session,
    read_by_probation: tuple,
) -> None:
    case, item_id, probation = read_by_probation
    again = call(client, f"/api/v1/items/{item_id}", probation)
    assert again.status_code == 200  # two accesses: the report pages through both
    token = person_token(
        client, session, app, "DEMO-PRB", "ia.auditor", "AUDITOR", scopes="audit:read"
    )
    page = call(client, f"/api/v1/audit/accesses?case={case.id}&limit=1", token)
    assert page.status_code == 200, page.json
    assert len(page.json["accesses"]) == 1
    first = page.json["next_after"]
    rest = call(client, f"/api/v1/audit/accesses?case={case.id}&after={first}", token)
    seen = page.json["accesses"] + rest.json["accesses"]
    assert [a["record_ids"] for a in seen].count([item_id]) == 2  # both reads of the item
    assert rest.json["next_after"] is None
    assert all(a["case"] == str(case.id) for a in seen)


def test_r22_a_system_or_a_non_auditor_is_refused_and_the_refusal_is_audited(
    app: Flask,
    client: FlaskClient,
    session: Session,
    token_for: TokenFor,
    read_by_probation: tuple,
) -> None:
    case, _, _ = read_by_probation
    system = token_for(agency="DEMO-POL", scopes="audit:read")
    chair = person_token(
        client, session, app, "DEMO-POL", "synthetic.chair", "MAPPA_CHAIR_L2", scopes="audit:read"
    )
    for token in (system, chair):
        refused = call(client, f"/api/v1/audit/accesses?case={case.id}", token)
        assert refused.status_code == 403
        assert refused.content_type == "application/problem+json"
        assert "R-22" in refused.json["detail"]
    denials = [
        json.loads(r)
        for r in session.scalars(
            select(AuditRecord.canonical).where(AuditRecord.operation == "DENY")
        )
    ]
    assert [d["outcome"] for d in denials if d["record_type"] == "audit_report"] == [
        "R-22",
        "R-22",
    ]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("", "person"),
        ("?case=not-a-uuid", "case"),
        ("?case=00000000-0000-0000-0000-000000000001&limit=0", "limit"),
        ("?case=00000000-0000-0000-0000-000000000001&colour=red", "colour"),
    ],
)
def test_bad_report_arguments_name_the_field(
    client: FlaskClient, token_for: TokenFor, query: str, field: str
) -> None:
    token = token_for(agency="DEMO-POL", scopes="audit:read")
    refused = call(client, f"/api/v1/audit/accesses{query}", token)
    assert refused.status_code == 422, refused.json
    assert refused.json["errors"][0]["field"].endswith(field)
