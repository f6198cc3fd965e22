"""The dashboard: the home after sign-in, every registered panel in order, each gated and
audited like the case list (issue 8; R-06 reviews due, R-29 consent changes)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from hub.consent.records import record_consent, withdraw_consent
from hub.demo.agencies import DemoOrganisation
from hub.services.cases import add_member
from hub.web import panels
from hub.web.panels import Panel, PanelContext, PanelRow, dashboard_panel
from tests.accounts.conftest import Clock, audit_since, last_seq
from tests.consent.conftest import HealthCase, health_case  # noqa: F401  (fixture)
from tests.helpers import TODAY, new_case
from tests.web.conftest import choose, signed_in


def panel(page: str, key: str) -> str:
    found = re.search(rf'<section[^>]*data-panel="{key}".*?</section>', page, re.DOTALL)
    assert found is not None, f"no {key} panel"
    return found.group(0)


def linked(html: str) -> set[str]:
    return set(re.findall(r'href="/cases/([0-9a-f-]{36})"', html))


@pytest.fixture
def extra_panel() -> Iterator[None]:
    """Another module's panel, as meetings or casework register theirs."""

    @dashboard_panel("test-panel", order=15)
    def source(ctx: PanelContext) -> Panel | None:
        if ctx.reader.agency_type.value != "RA_PROBATION":
            return None  # not for this reader: no panel at all
        return Panel(key="test-panel", title="A test panel", rows=[PanelRow("Row one")])

    yield
    del panels._sources["test-panel"]


def test_sign_in_lands_on_the_dashboard_which_asks_for_a_purpose_first(
    app: Flask, keys: dict[str, str], clock: Clock
) -> None:
    client = signed_in(app, keys, clock, "coordinator")
    home = client.get("/")
    assert home.status_code == 302
    assert home.headers["Location"] == "/dashboard"
    asked = client.get("/dashboard")
    assert asked.headers["Location"] == "/purpose?next=/dashboard"
    page = choose(client, "MAPPA_MEETING", "/dashboard")
    assert '<h1 class="govuk-heading-l">Dashboard</h1>' in page
    assert app.test_client().get("/").status_code == 200  # signed out: the landing page


def test_every_registered_panel_shows_in_order_and_a_panel_can_decline(
    app: Flask, keys: dict[str, str], clock: Clock, extra_panel: None
) -> None:
    page = choose(signed_in(app, keys, clock, "coordinator"), "MAPPA_MEETING", "/dashboard")
    mine = {"my-cases", "test-panel", "reviews-due", "consent-changes"}
    keys_shown = [k for k in re.findall(r'data-panel="([a-z-]+)"', page) if k in mine]
    # Others' panels may sit between; these keep their registered order.
    assert keys_shown == ["my-cases", "test-panel", "reviews-due", "consent-changes"]
    assert "Row one" in panel(page, "test-panel")
    clock.advance(seconds=31)
    other = choose(signed_in(app, keys, clock, "mosovo"), "MAPPA_MEETING", "/dashboard")
    assert 'data-panel="test-panel"' not in other  # police: the source returned None


def test_panels_list_only_cases_the_reader_may_list_and_audit_them_r06(
    app: Flask, session: Session, org: DemoOrganisation, keys: dict[str, str], clock: Clock
) -> None:
    """R-06: overdue and soon-due reviews on the dashboard, and only the reader's cases."""
    late = new_case(session, org, category=2, level=2, next_review_due=TODAY + timedelta(days=3))
    soon = new_case(session, org, category=2, level=2, next_review_due=TODAY + timedelta(days=20))
    later = new_case(session, org, category=2, level=2, next_review_due=TODAY + timedelta(days=90))
    clock.advance(days=7)  # the first review is now four days overdue
    client = signed_in(app, keys, clock, "coordinator")
    before = last_seq(session)
    page = choose(client, "RISK_MANAGEMENT", "/dashboard")
    due = panel(page, "reviews-due")
    assert {str(late.id), str(soon.id)} <= linked(due)
    assert str(later.id) not in linked(due)
    assert re.search(rf'{late.id}".*?govuk-tag--red">Overdue', due, re.DOTALL)
    assert re.search(rf'{soon.id}".*?govuk-tag--yellow">Due soon', due, re.DOTALL)
    consulted = {
        d["record_ids"][0]
        for d in audit_since(session, before)
        if d["operation"] == "CONSULT" and d["record_type"] == "mappa_case"
    }
    assert linked(page) <= consulted  # every case a panel shows was audited as consulted
    assert {d["purpose"] for d in audit_since(session, before) if d["operation"] == "CONSULT"} == {
        "RISK_MANAGEMENT"
    }
    clock.advance(seconds=31)
    volunteer = choose(signed_in(app, keys, clock, "cosa.volunteer"), "COSA_SUPPORT", "/dashboard")
    assert linked(volunteer) == set()  # a COSA volunteer lists no case


def test_my_cases_are_the_cases_naming_the_reader_or_their_agency(
    app: Flask, session: Session, org: DemoOrganisation, keys: dict[str, str], clock: Clock
) -> None:
    named = new_case(session, org, category=2, level=2)
    other = new_case(session, org, category=2, level=2)
    housing = org.agencies["DEMO-HSG"].id
    coordinator = org.actor("coordinator")
    add_member(
        session,
        coordinator,
        named.id,
        housing,
        "AGENCY_CONTACT",
        user_id=org.staff["housing.rep"].id,
    )
    add_member(
        session, coordinator, other.id, housing, "AGENCY_CONTACT", user_id=org.staff["csc.rep"].id
    )
    page = choose(signed_in(app, keys, clock, "housing.rep"), "RISK_MANAGEMENT", "/dashboard")
    mine = panel(page, "my-cases")
    assert str(named.id) in linked(mine)
    assert str(other.id) not in linked(mine)  # a membership naming someone else


def test_consent_changes_show_withdrawals_to_controller_and_recipients_r29(
    app: Flask,
    session: Session,
    org: DemoOrganisation,
    keys: dict[str, str],
    clock: Clock,
    health_case: HealthCase,  # noqa: F811
) -> None:
    """R-29: a withdrawal shows on the dashboards of the agencies it concerns."""
    consent = record_consent(session, org.actor("health.rep"), health_case.consent())
    withdraw_consent(session, org.actor("health.rep"), consent.id, "Patient withdrew at clinic")
    page = choose(signed_in(app, keys, clock, "offender.manager"), "RISK_MANAGEMENT", "/dashboard")
    changes = panel(page, "consent-changes")
    assert str(health_case.case.id) in linked(changes)
    assert "Consent withdrawn" in changes
    assert "Demoshire Forensic Mental Health NHS Trust" in changes
    clock.advance(seconds=31)
    housing = choose(signed_in(app, keys, clock, "housing.rep"), "RISK_MANAGEMENT", "/dashboard")
    # Housing works the case but neither gave nor received under this consent.
    assert str(health_case.case.id) not in linked(panel(housing, "consent-changes"))
