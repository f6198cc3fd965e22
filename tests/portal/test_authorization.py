"""Who reaches what through the portal: only one's own circles, only the shared-profile
whitelist (R-51), and the portal and workspace realms never open each other."""

from __future__ import annotations

import uuid

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub.cosa import profile
from hub.cosa.models import CircleProfileEntry, Concern
from hub.errors import RuleViolation
from hub.gate.policies import PolicyStore
from hub.models import AuditRecord
from hub.services.items import ItemInput, record_item
from tests.helpers import audit_documents
from tests.portal.conftest import (
    PASSWORD,
    Clock,
    World,
    csrf_from,
    portal_sign_in,
    post_form,
    start_circle,
    workspace_sign_in,
)


def _paths(world: World, circle_id: str) -> list[tuple[str, str]]:
    meeting = uuid.uuid4()
    return [
        ("GET", f"/portal/circles/{circle_id}"),
        ("GET", f"/portal/circles/{circle_id}/concerns/new"),
        ("POST", f"/portal/circles/{circle_id}/concerns/new"),
        ("GET", f"/portal/circles/{circle_id}/meetings/new"),
        ("POST", f"/portal/circles/{circle_id}/meetings/new"),
        ("POST", f"/portal/circles/{circle_id}/meetings/{meeting}/send"),
        ("GET", f"/portal/circles/{circle_id}/volunteers/new"),
        ("POST", f"/portal/circles/{circle_id}/volunteers/new"),
        ("GET", f"/portal/circles/{circle_id}/agreements"),
        ("POST", f"/portal/circles/{circle_id}/agreements"),
        ("POST", f"/portal/circles/{circle_id}/start"),
        ("GET", f"/portal/circles/{circle_id}/consent-withdrawn"),
        ("POST", f"/portal/circles/{circle_id}/consent-withdrawn"),
    ]


def test_r51_a_coordinator_lists_only_the_circles_they_coordinate(
    client: FlaskClient, world: World, clock: Clock
) -> None:
    portal_sign_in(client, world, clock, "cosa.coordinator")
    home = client.get("/portal/").get_data(as_text=True)
    assert "CIRCLE-A1" in home
    assert "CIRCLE-B2" not in home
    assert str(world.other_circle.id) not in home


def test_r51_another_coordinators_circle_a_tampered_id_and_a_missing_one_are_the_same_404(
    client: FlaskClient, world: World, clock: Clock, session: Session
) -> None:
    """Every page and form of a circle, for a foreign, a random and a malformed id."""
    start_circle(session, world, clock, world.other_circle)
    portal_sign_in(client, world, clock, "cosa.coordinator")
    token = csrf_from(client.get("/portal/").get_data(as_text=True))
    before = session.scalar(select(func.count()).select_from(Concern))
    bodies = set()
    for circle_id in (str(world.other_circle.id), str(uuid.uuid4()), "not-a-circle", "1%27--"):
        for method, path in _paths(world, circle_id):
            data = {
                "csrf_token": token,
                "severity": "URGENT",
                "category": "OTHER",
                "description": "probe",
                "confirm": "yes",
            }
            response = client.get(path) if method == "GET" else client.post(path, data=data)
            assert response.status_code == 404, (method, path)
            bodies.add(response.get_data(as_text=True))
    assert len(bodies) == 1  # nothing tells a foreign circle from a missing one
    assert "CIRCLE-B2" not in bodies.pop()
    assert session.scalar(select(func.count()).select_from(Concern)) == before
    denied = audit_documents(session, operation="DENY", record_type="circle")
    assert str(world.other_circle.id) in {d["record_ids"][0] for d in denied}


def test_r51_the_profile_shows_only_whitelisted_fields_even_if_one_was_attached(
    client: FlaskClient, world: World, clock: Clock, session: Session
) -> None:
    # Written past the service, as a bug or a direct database edit would: the policy still
    # withholds it (R-51 "even if a coordinator tries to attach it").
    slipped = CircleProfileEntry(circle_id=world.circle.id, field="address")
    slipped.text = "14 Sedgemoor Lane, Demoton"
    session.add(slipped)
    session.flush()
    record_item(
        session,
        world.actor("mosovo", "RISK_MANAGEMENT"),
        ItemInput(
            case_id=world.case.id,
            category="INTELLIGENCE",
            legal_basis="DPA_PART3",
            title="Intelligence report 7731",
            content="Seen near Hollins Park play area on 3 occasions.",
        ),
    )
    portal_sign_in(client, world, clock, "cosa.coordinator")
    page = client.get(f"/portal/circles/{world.circle.id}").get_data(as_text=True)
    assert "Corvan" in page
    assert "Keep weekly contact" in page
    for hidden in ("Sedgemoor", "Threlkeld", "1980", "Hollins Park", "Intelligence report", "PNC"):
        assert hidden not in page, hidden
    consulted = audit_documents(session, operation="CONSULT", record_type="circle_profile")
    assert consulted[-1]["fields_withheld"] == ["address"]
    assert "address" not in consulted[-1]["fields_returned"]


def test_r51_a_field_outside_the_whitelist_cannot_be_attached(
    session: Session, world: World
) -> None:
    for who in ("cosa.coordinator", "mosovo"):
        with pytest.raises(RuleViolation) as refused:
            profile.set_entry(
                session, world.actor(who), world.circle.id, field="health_summary", text="x"
            )
        assert refused.value.rule == "R-51"


def test_r51_the_code_whitelist_is_the_policy_whitelist(app: Flask) -> None:
    store: PolicyStore = app.extensions["hub.policies"]
    rule = store.in_force().rule("R-51-cosa-profile-whitelist")
    assert rule.scope.fields_except == profile.WHITELIST


def test_a_portal_session_opens_no_workspace_page_and_no_api(
    client: FlaskClient, world: World, clock: Clock
) -> None:
    portal_sign_in(client, world, clock, "cosa.coordinator")
    for path in ("/cases", f"/cases/{world.case.id}", "/dashboard", "/reviews/overdue"):
        response = client.get(path)
        assert response.status_code in (302, 303), path
        assert "/sign-in" in response.headers["Location"]
        assert "/portal" not in response.headers["Location"]
    # Every API endpoint, with the core member's real ids where it takes one: a portal cookie
    # is no bearer token, so each answers 401 (the portal's scope has no API at all).
    app = client.application
    ids = {"case_id": world.case.id, "person_id": world.case.person_id}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1") or rule.rule.endswith("openapi.json"):
            continue
        values = {name: ids.get(name, uuid.uuid4()) for name in rule.arguments}
        values = {k: (1 if k == "seq" else "cosa" if k == "name" else v) for k, v in values.items()}
        with app.test_request_context():
            path = app.url_for(rule.endpoint, **values)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            response = client.open(path, method=method, json={})
            assert response.status_code == 401, (method, path, response.status_code)


def test_a_workspace_user_is_not_a_portal_user(
    client: FlaskClient, world: World, clock: Clock, session: Session
) -> None:
    response = post_form(client, "/portal/sign-in", {"username": "chair.l2", "password": PASSWORD})
    assert response.status_code == 400
    assert "Enter a correct username and password" in response.get_data(as_text=True)
    failed = audit_documents(session, operation="LOGIN_FAILED")
    assert failed[-1]["outcome"] == "NOT_A_PORTAL_USER"
    # Signed in to the workspace, the same browser is still signed out of the portal.
    workspace_sign_in(client, world, clock, "chair.l2")
    response = client.get("/portal/")
    assert response.status_code == 302
    assert "/portal/sign-in" in response.headers["Location"]


def test_a_coordinator_signed_in_to_the_workspace_reads_no_case(
    client: FlaskClient, world: World, clock: Clock
) -> None:
    """R-51: the workspace gate gives COSA roles no case, person or item, whatever the door."""
    workspace_sign_in(client, world, clock, "cosa.coordinator")
    post_form(client, "/purpose", {"purpose": "COSA_SUPPORT"})
    assert client.get(f"/cases/{world.case.id}").status_code == 404
    listing = client.get("/cases").get_data(as_text=True)
    assert str(world.case.id) not in listing


def test_the_portal_has_no_pdf_export_or_api_route(app: Flask) -> None:
    """Nothing outside the pages listed here: no PDF, export, print or JSON path to guess."""
    rules = sorted(r.rule for r in app.url_map.iter_rules() if r.rule.startswith("/portal"))
    assert rules == sorted(
        [
            "/portal/",
            "/portal/sign-in",
            "/portal/sign-in/code",
            "/portal/sign-in/authenticator",
            "/portal/sign-out",
            "/portal/notices/read",
            "/portal/static/<path:filename>",
            "/portal/<path:anything>",
            "/portal/circles/<circle_id>",
            "/portal/circles/<circle_id>/concerns/new",
            "/portal/circles/<circle_id>/meetings/new",
            "/portal/circles/<circle_id>/meetings/<meeting_id>/send",
            "/portal/circles/<circle_id>/volunteers/new",
            "/portal/circles/<circle_id>/agreements",
            "/portal/circles/<circle_id>/start",
            "/portal/circles/<circle_id>/consent-withdrawn",
        ]
    )


def test_every_profile_read_is_audited_before_the_page(
    client: FlaskClient, world: World, clock: Clock, session: Session
) -> None:
    portal_sign_in(client, world, clock, "cosa.coordinator")
    before = session.scalar(select(func.max(AuditRecord.seq))) or 0
    client.get(f"/portal/circles/{world.circle.id}")
    after = audit_documents(session, operation="CONSULT", record_type="circle_profile")
    assert after
    assert after[-1]["seq"] > before
    assert after[-1]["purpose"] == "COSA_SUPPORT"
    assert after[-1]["actor"]["client"] == "hub-portal"
