"""Issue 9 end to end in chromium, over real gunicorn and a demo-loaded database: the demo
police officer proposes a COSA circle from a case page and briefs one shared-profile field
(R-51) in the workspace, sees what R-50 still lacks, and the circle's coordinator then reads
that field in the portal. Every workspace page on the way passes an axe-core scan with no
serious or critical violation, error summaries included.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from hub.accounts import totp
from hub.cosa.models import Circle
from hub.db import make_engine
from hub.demo.circles import REFERENCE
from hub.demo.sign_ins import DEMO_PASSWORD
from tests.browser.axe import AXE, violations
from tests.browser.fixtures import Hub, _missing

RISK = "Managing the risk a person poses"
NEW_REFERENCE = "CIRCLE-WEB-1"
GOALS = "Weekly meetings; a steady job; friends who know his history and keep him accountable."


@pytest.fixture
def scanned(browser: Any) -> Iterator[Any]:
    if not AXE.exists():
        _missing(f"{AXE} is missing: run npm ci")
    context = browser.new_context(bypass_csp=True)  # to inject axe; the pages are unchanged
    opened = context.new_page()
    opened.set_default_timeout(15_000)
    yield opened
    context.close()


def _demo_case(hub: Hub) -> str:
    """The case of the demo circle: one the demo police officer works and may read."""
    engine = make_engine(hub.database_url)
    try:
        with engine.connect() as connection:
            found = connection.scalar(select(Circle.case_id).where(Circle.reference == REFERENCE))
    finally:
        engine.dispose()
    assert found is not None, "the demo load made no circle"
    return str(found)


def _code(hub: Hub, username: str) -> str:
    return totp.code_at(hub.keys[username], datetime.now(UTC))


def _check(page: Any, scanned: dict[str, list[str]]) -> None:
    scanned[f"{len(scanned)} {page.title()}"] = [
        f"{v['id']}: {v['help']} {v['targets']}" for v in violations(page)
    ]


def test_r51_police_propose_a_circle_brief_it_and_the_coordinator_sees_the_briefing(
    hub: Hub, scanned: Any, browser: Any
) -> None:
    page = scanned
    results: dict[str, list[str]] = {}
    case_id = _demo_case(hub)

    page.goto(f"{hub.base}/cases/{case_id}")
    page.get_by_label("Username").fill("mosovo")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("6-digit code").fill(_code(hub, "mosovo"))
    page.get_by_role("button", name="Sign in").click()
    page.get_by_label("Why are you using the hub?").select_option(label=RISK)
    page.get_by_role("button", name="Continue").click()
    circles = page.get_by_test_id("case-circles")
    expect(circles).to_be_visible()
    assert f"Circle {REFERENCE}" in circles.inner_text()  # the circle the officer is in
    _check(page, results)

    circles.get_by_role("link", name="Propose a COSA circle").click()
    expect(page.locator("h1")).to_have_text("Propose a COSA circle")
    _check(page, results)
    page.get_by_role("button", name="Propose the circle").click()  # nothing chosen
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_visible()
    assert "Select the COSA coordinator" in summary.inner_text()
    _check(page, results)
    page.get_by_label("Circle reference").fill(NEW_REFERENCE)
    page.get_by_label("Circle coordinator").select_option(
        label="Circle Coordinator (Circles Demoshire)"
    )
    page.get_by_label("Provider's manager").select_option(
        label="Circles Service Manager (Circles Demoshire)"
    )
    page.get_by_label("Probation contact").select_option(
        label="Probation Practitioner (Probation Service, Demoshire)"
    )
    page.get_by_role("button", name="Propose the circle").click()
    expect(page.locator("h1")).to_contain_text(f"Circle {NEW_REFERENCE}")
    expect(page.get_by_test_id("circle-status")).to_have_text("Proposed")
    # what the circle still lacks before it can start.
    lacks = page.get_by_test_id("start-problems").inner_text()
    assert "signed consent" in lacks
    assert "Add the circle's volunteers" in lacks
    _check(page, results)

    page.get_by_role("link", name="Brief agreed goals").click()
    expect(page.locator("h1")).to_have_text("Brief the circle")
    _check(page, results)
    page.get_by_role("button", name="Save the briefing").click()  # no text: the error summary
    summary = page.locator(".govuk-error-summary")
    assert "Enter what the circle should know: agreed goals" in summary.inner_text()
    _check(page, results)
    page.get_by_label("What the circle should know").fill(GOALS)
    page.get_by_role("button", name="Save the briefing").click()
    expect(page.get_by_test_id("done")).to_be_visible()
    row = page.locator("[data-testid=profile] [data-field=circle_goals]")
    expect(row).to_contain_text(GOALS)
    _check(page, results)
    assert {name: found for name, found in results.items() if found} == {}
    assert len(results) == 7

    # The circle's coordinator, in the portal, reads the briefing through the policy.
    portal = browser.new_context()
    try:
        coordinator = portal.new_page()
        coordinator.set_default_timeout(15_000)
        coordinator.goto(hub.base + "/portal/")
        coordinator.get_by_label("Username").fill("cosa.coordinator")
        coordinator.get_by_label("Password").fill(DEMO_PASSWORD)
        coordinator.get_by_role("button", name="Continue").click()
        coordinator.get_by_label("6-digit code").fill(_code(hub, "cosa.coordinator"))
        coordinator.get_by_role("button", name="Sign in").click()
        expect(coordinator.locator("h1")).to_have_text("Your circles")
        coordinator.get_by_role("link", name=f"Circle {NEW_REFERENCE}").click()
        profile = coordinator.get_by_test_id("profile")
        expect(profile).to_contain_text(GOALS)
        expect(coordinator.get_by_test_id("circle-status")).to_have_text("Not started")
    finally:
        portal.close()
