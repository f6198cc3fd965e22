"""Bad input in the portal: each gets a clear message, and nothing is saved partially."""

from __future__ import annotations

import uuid

from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub.cosa.models import CircleMeeting, CircleVolunteer, Concern
from hub.events.models import OutboxEvent
from hub.models import InformationItem
from hub.portal.blueprint import MAX_BODY
from tests.portal.conftest import Clock, World, csrf_from, portal_sign_in, post_form, start_circle


def _counts(session: Session) -> tuple[int, ...]:
    return tuple(
        session.scalar(select(func.count()).select_from(model)) or 0
        for model in (Concern, InformationItem, OutboxEvent, CircleMeeting, CircleVolunteer)
    )


def test_r52_a_concern_with_no_text_or_no_severity_is_refused_whole(
    client: FlaskClient, session: Session, world: World, clock: Clock
) -> None:
    start_circle(session, world, clock)
    portal_sign_in(client, world, clock, "cosa.coordinator")
    before = _counts(session)
    path = f"/portal/circles/{world.circle.id}/concerns/new"
    response = post_form(
        client, path, {"severity": "URGENT", "category": "OTHER", "description": "  "}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "There is a problem" in page
    assert 'href="#description"' in page
    assert "Enter what happened" in page
    response = post_form(client, path, {"category": "OTHER", "description": "Seen at the park."})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Select how serious the concern is" in page
    assert "Seen at the park." in page  # what was typed is kept for the next try
    too_long = "x" * 5001
    response = post_form(
        client, path, {"severity": "ROUTINE", "category": "OTHER", "description": too_long}
    )
    assert response.status_code == 400
    assert "What happened must be at most 5000 characters" in response.get_data(as_text=True)
    assert _counts(session) == before


def test_an_oversized_request_is_refused_before_it_is_read(
    client: FlaskClient, session: Session, world: World, clock: Clock
) -> None:
    start_circle(session, world, clock)
    portal_sign_in(client, world, clock, "cosa.coordinator")
    before = _counts(session)
    path = f"/portal/circles/{world.circle.id}/concerns/new"
    token = csrf_from(client.get(path).get_data(as_text=True))
    data = {
        "csrf_token": token,
        "severity": "URGENT",
        "category": "OTHER",
        "description": "y" * (MAX_BODY + 1),
    }
    response = client.post(path, data=data)
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert "What you sent is too large" in page
    assert "Nothing was saved" in page
    assert _counts(session) == before


def test_an_expired_session_is_told_so_and_its_form_is_not_saved(
    client: FlaskClient, session: Session, world: World, clock: Clock
) -> None:
    start_circle(session, world, clock)
    portal_sign_in(client, world, clock, "cosa.coordinator")
    path = f"/portal/circles/{world.circle.id}/concerns/new"
    token = csrf_from(client.get(path).get_data(as_text=True))
    before = _counts(session)
    clock.advance(minutes=16)  # past the 15-minute idle limit
    data = {"csrf_token": token, "severity": "URGENT", "category": "OTHER", "description": "Late"}
    response = client.post(path, data=data)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/portal/sign-in?expired=1")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Your session has ended" in page
    assert "was not saved" in page
    assert _counts(session) == before


def test_a_tampered_circle_id_gets_the_not_found_page(
    client: FlaskClient, world: World, clock: Clock
) -> None:
    portal_sign_in(client, world, clock, "cosa.coordinator")
    tampered = str(world.circle.id)[:-1] + ("0" if str(world.circle.id)[-1] != "0" else "1")
    for circle_id in (tampered, str(uuid.uuid4()), "../../cases", str(world.other_circle.id)):
        response = client.get(f"/portal/circles/{circle_id}")
        assert response.status_code == 404
        assert "Page not found" in response.get_data(as_text=True)


def test_a_form_without_its_csrf_token_is_refused(
    client: FlaskClient, session: Session, world: World, clock: Clock
) -> None:
    start_circle(session, world, clock)
    portal_sign_in(client, world, clock, "cosa.coordinator")
    before = _counts(session)
    path = f"/portal/circles/{world.circle.id}/concerns/new"
    for token in ("", "0" * 64):
        data = {"csrf_token": token, "severity": "URGENT", "category": "OTHER", "description": "x"}
        response = client.post(path, data=data)
        assert response.status_code == 400
        assert "The form has expired" in response.get_data(as_text=True)
    assert _counts(session) == before


def test_a_meeting_and_a_volunteer_with_bad_dates_name_the_field(
    client: FlaskClient, session: Session, world: World, clock: Clock
) -> None:
    start_circle(session, world, clock)
    portal_sign_in(client, world, clock, "cosa.coordinator")
    before = _counts(session)
    base = f"/portal/circles/{world.circle.id}"
    meeting = {
        "held_on-day": "31",
        "held_on-month": "2",
        "held_on-year": "2026",
        "attendees": "4",
        "summary": "s",
    }
    page = post_form(client, base + "/meetings/new", meeting).get_data(as_text=True)
    assert "The date of the meeting must be a real date" in page
    assert 'href="#held_on"' in page
    meeting.update({"held_on-day": "1", "held_on-month": "1", "held_on-year": "2030"})
    page = post_form(client, base + "/meetings/new", meeting).get_data(as_text=True)
    assert "Date of the meeting cannot be in the future" in page
    volunteer = {
        "name": "",
        "dbs_check_date-day": "1",
        "dbs_check_date-month": "1",
        "dbs_check_date-year": "2026",
    }
    page = post_form(client, base + "/volunteers/new", volunteer).get_data(as_text=True)
    assert "Enter the volunteer&#39;s name" in page
    assert _counts(session) == before
