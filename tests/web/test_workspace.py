"""The workspace pages through Flask's test client: purpose of use, the gate, 404s, overdue.

The browser tests (tests/browser/) walk the same pages in chromium over real gunicorn; these
check the rules quickly and read the audit trail the pages leave.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from hub.demo.agencies import DemoOrganisation
from tests.accounts.conftest import Clock, audit_since, csrf_from, last_seq
from tests.helpers import TODAY, new_case
from tests.web.conftest import choose, listed, signed_in


def test_pages_need_a_signed_in_person(app: Flask) -> None:
    client = app.test_client()
    for path in ("/cases", "/reviews/overdue", "/purpose", f"/cases/{TODAY}"):
        response = client.get(path)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/sign-in?next=")


def test_no_purpose_no_data_then_the_chosen_purpose_is_in_every_audit_entry(
    app: Flask, session: Session, org: DemoOrganisation, keys: dict[str, str], clock: Clock
) -> None:
    case = new_case(session, org, category=2, level=2)
    client = signed_in(app, keys, clock, "coordinator")
    before = last_seq(session)
    asked = client.get(f"/cases/{case.id}")
    assert asked.status_code == 302  # asked for a purpose first, and nothing read
    assert asked.headers["Location"] == f"/purpose?next=/cases/{case.id}"
    assert audit_since(session, before) == []
    page = choose(client, "MAPPA_MEETING", f"/cases/{case.id}")
    assert "Preparing for or holding a MAPPA meeting" in page
    consulted = [e for e in audit_since(session, before) if e["operation"] == "CONSULT"]
    assert consulted
    assert {str(e["purpose"]) for e in consulted} == {"MAPPA_MEETING"}


def test_a_missing_purpose_is_the_error_summary_linking_to_the_select(
    app: Flask, keys: dict[str, str], clock: Clock
) -> None:
    client = signed_in(app, keys, clock, "coordinator")
    page = client.get("/purpose").get_data(as_text=True)
    refused = client.post("/purpose", data={"purpose": "", "csrf_token": csrf_from(page)})
    assert refused.status_code == 400
    body = refused.get_data(as_text=True)
    assert 'href="#purpose"' in body
    assert "<title>Error: " in body
    assert client.get("/cases").status_code == 302  # still no purpose, still no data


def test_a_purpose_without_the_csrf_token_is_refused(
    app: Flask, keys: dict[str, str], clock: Clock
) -> None:
    client = signed_in(app, keys, clock, "coordinator")
    assert client.post("/purpose", data={"purpose": "MAPPA_MEETING"}).status_code == 400


def test_a_purpose_cookie_from_another_session_is_void(
    app: Flask, keys: dict[str, str], clock: Clock
) -> None:
    first = signed_in(app, keys, clock, "coordinator")
    choose(first, "RISK_MANAGEMENT")
    cookie = first.get_cookie("hub-purpose")
    assert cookie is not None
    clock.advance(seconds=31)  # a fresh code for the second sign-in
    second = signed_in(app, keys, clock, "coordinator")
    second.set_cookie("hub-purpose", cookie.value)
    assert second.get("/cases").status_code == 302


def test_a_hidden_case_is_the_same_404_page_as_a_missing_one(
    app: Flask, session: Session, org: DemoOrganisation, keys: dict[str, str], clock: Clock
) -> None:
    new_case(session, org, category=2, level=2)
    client = signed_in(app, keys, clock, "cosa.volunteer")
    page = choose(client, "COSA_SUPPORT")
    assert listed(page) == set()
    hidden_case = new_case(session, org, category=1, level=2)
    hidden = client.get(f"/cases/{hidden_case.id}")
    missing = client.get("/cases/00000000-0000-4000-8000-000000000000")
    garbled = client.get("/cases/not-a-case")
    assert hidden.status_code == missing.status_code == garbled.status_code == 404
    assert hidden.get_data() == missing.get_data() == garbled.get_data()


def test_overdue_reviews_are_tagged_and_listed_r06(
    app: Flask, session: Session, org: DemoOrganisation, keys: dict[str, str], clock: Clock
) -> None:
    late = new_case(session, org, category=2, level=2, next_review_due=TODAY + timedelta(weeks=1))
    due = new_case(session, org, category=2, level=2, next_review_due=TODAY + timedelta(weeks=6))
    clock.advance(days=14)  # the first review date has now passed
    client = signed_in(app, keys, clock, "coordinator")
    cases = choose(client, "MAPPA_MEETING")
    assert {str(late.id), str(due.id)} <= listed(cases)
    row = re.search(rf'data-case-id="{late.id}".*?</tr>', cases, re.DOTALL)
    assert row is not None
    assert "Overdue" in row.group(0)
    overdue = client.get("/reviews/overdue").get_data(as_text=True)
    assert listed(overdue) == {str(late.id)}
    assert "1 overdue review." in overdue
    assert "overdue (R-06)" in client.get(f"/cases/{late.id}").get_data(as_text=True)


def test_a_withheld_field_shows_its_plain_english_reason(
    app: Flask, session: Session, org: DemoOrganisation, keys: dict[str, str], clock: Clock
) -> None:
    case = new_case(session, org, category=2, level=2)
    client = signed_in(app, keys, clock, "coordinator")
    page = choose(client, "MAPPA_MEETING", f"/cases/{case.id}")
    withheld = re.search(
        r'data-field="identity_documents".*?data-withheld="true">(.*?)</dd>', page, re.DOTALL
    )
    assert withheld is not None, "the person's identity documents are shown as withheld"
    assert "Identity documents" in withheld.group(1)


def test_more_than_the_count_cap_says_so(
    app: Flask,
    session: Session,
    org: DemoOrganisation,
    keys: dict[str, str],
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from hub.gate import Gate
    from hub.web import workspace

    for _ in range(3):
        new_case(session, org, category=2, level=2)
    in_force = app.extensions["hub.policies"].in_force
    monkeypatch.setattr(workspace, "gate", lambda: Gate(in_force(), count_cap=2))
    page = choose(signed_in(app, keys, clock, "coordinator"), "MAPPA_MEETING")
    assert "More than 2 cases you may see" in page


def test_the_built_gov_uk_frontend_is_served_where_its_stylesheet_expects(app: Flask) -> None:
    import os

    from hub.web.assets import BUILT, STYLESHEET

    if not (BUILT / STYLESHEET).is_file():
        reason = "GOV.UK Frontend is not built: run `make test` (npm ci, npm run build:assets)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    client = app.test_client()
    # Each response is closed: a static file is streamed from an open file.
    with client.get(f"/assets/{STYLESHEET}") as css:
        assert css.status_code == 200
        assert b".govuk-header" in css.get_data()
        assert b"GDS Transport" not in css.get_data()  # a font licensed for GOV.UK only
    for path in ("/assets/govuk-frontend.min.js", "/assets/images/favicon.ico"):
        with client.get(path) as served:
            assert served.status_code == 200
