"""The portal in chromium over real gunicorn and a demo-loaded database, at a phone's width.

Scenario 4 end to end (R-52): the demo COSA coordinator raises an URGENT concern in the
portal and the circle's police contact sees it at once, tagged red, on their dashboard.
Every portal page passes an axe-core scan with no serious or critical violation, nothing
is wider than a 375-pixel phone, and the forms work with JavaScript switched off.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from hub.accounts import totp
from hub.demo.circles import REFERENCE
from hub.demo.sign_ins import DEMO_PASSWORD
from tests.browser.fixtures import Hub

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
PHONE = {"width": 375, "height": 812}
OUTCOME = "Police visited the same day and acted on it. Carry on with the circle as planned."
CONCERN = "Mentioned a new phone and 'helping out' at a youth football club on Saturdays."


@pytest.fixture
def phone(browser: Any) -> Any:
    # bypass_csp: only so the test can inject axe-core; the page itself keeps its strict CSP.
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, bypass_csp=True)
    yield context
    context.close()


def _code(hub: Hub, username: str) -> str:
    return totp.code_at(hub.keys[username], datetime.now(UTC))


def _axe(page: Any) -> list[dict[str, Any]]:
    if not AXE.is_file():
        pytest.fail(f"{AXE} is missing: run npm ci")
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await window.axe.run(document)")
    return [v for v in result["violations"] if v["impact"] in ("serious", "critical")]


def _check(page: Any, scanned: dict[str, list[str]]) -> None:
    """No serious or critical axe violation, and nothing wider than the phone."""
    found = _axe(page)
    title = page.title()
    scanned[f"{len(scanned)} {title} {page.url}"] = [f"{v['id']}: {v['help']}" for v in found]
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} is {width}px wide"


def test_r52_an_urgent_concern_raised_in_the_portal_reaches_the_police_dashboard_at_once(
    hub: Hub,
    phone: Any,
    browser: Any,
) -> None:
    scanned: dict[str, list[str]] = {}
    page = phone.new_page()
    page.set_default_timeout(15_000)
    page.goto(hub.base + "/portal/")
    assert page.locator("h1").inner_text() == "Sign in to the COSA portal"
    _check(page, scanned)
    page.get_by_role("button", name="Continue").click()  # empty: the error summary
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    _check(page, scanned)
    page.get_by_label("Username").fill("cosa.coordinator")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Continue").click()
    _check(page, scanned)
    page.get_by_label("6-digit code").fill(_code(hub, "cosa.coordinator"))
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("h1")).to_have_text("Your circles")
    header = page.locator(".govuk-header")
    assert header.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(11, 12, 12)"
    _check(page, scanned)

    page.get_by_role("link", name=f"Circle {REFERENCE}").click()
    expect(page.get_by_test_id("profile")).to_be_visible()
    _check(page, scanned)
    page.get_by_role("link", name="Raise a concern").click()
    _check(page, scanned)
    page.get_by_role("button", name="Raise the concern").click()  # nothing chosen: errors
    assert "Select how serious the concern is" in page.locator(".govuk-error-summary").inner_text()
    _check(page, scanned)
    page.get_by_label("Urgent").check()
    page.get_by_label("Possible breach").check()
    page.get_by_label("What happened?").fill(CONCERN)
    page.get_by_role("button", name="Raise the concern").click()
    expect(page.get_by_test_id("done")).to_be_visible()
    assert "Urgent" in page.locator("[data-concern-id]").first.inner_text()
    circle_url = page.url.split("?")[0]
    page.goto(circle_url + "/meetings/new")
    _check(page, scanned)
    page.goto(circle_url + "/volunteers/new")
    _check(page, scanned)
    page.goto(circle_url + "/agreements")
    _check(page, scanned)
    page.goto(circle_url + "/consent-withdrawn")
    _check(page, scanned)
    page.goto(hub.base + "/portal/")
    expect(page.get_by_test_id("notices")).to_be_visible()  # the coordinator is alerted too
    _check(page, scanned)
    assert {url: v for url, v in scanned.items() if v} == {}
    assert len(scanned) >= 10

    # Without JavaScript, on the same signed-in portal session: the forms still work.
    plain = browser.new_context(viewport=PHONE, java_script_enabled=False)
    try:
        plain.add_cookies(phone.cookies())
        no_js = plain.new_page()
        no_js.goto(circle_url + "/concerns/new")
        no_js.get_by_label("Routine").check()
        no_js.get_by_label("Welfare").check()
        no_js.get_by_label("What happened?").fill("Low mood this week; asked about the food bank.")
        no_js.get_by_role("button", name="Raise the concern").click()
        expect(no_js.get_by_test_id("done")).to_be_visible()
    finally:
        plain.close()

    # The circle's police contact, in the workspace, sees it at once on the dashboard.
    police = browser.new_context()
    try:
        desk = police.new_page()
        desk.set_default_timeout(15_000)
        desk.goto(hub.base + "/dashboard")
        desk.get_by_label("Username").fill("mosovo")
        desk.get_by_label("Password").fill(DEMO_PASSWORD)
        desk.get_by_role("button", name="Continue").click()
        desk.get_by_label("6-digit code").fill(_code(hub, "mosovo"))
        desk.get_by_role("button", name="Sign in").click()
        if desk.locator("h1").inner_text() == "Why are you using the hub?":
            desk.get_by_label("Why are you using the hub?").select_option(
                label="Managing the risk a person poses"
            )
            desk.get_by_role("button", name="Continue").click()
        if "/dashboard" not in desk.url:
            desk.goto(hub.base + "/dashboard")
        panel = desk.locator("#panel-concerns")
        assert panel.locator("h2").inner_text().startswith("Unacknowledged concerns")
        urgent = panel.locator("[data-panel-row]", has_text=REFERENCE).filter(has_text="Urgent")
        assert urgent.count() == 1
        tag = urgent.locator(".govuk-tag")
        assert "govuk-tag--red" in (tag.get_attribute("class") or "")
        assert CONCERN not in panel.inner_text()  # the words are behind the case link
        # The police contact opens the concern, acknowledges it and sends the outcome back
        # (scenario 4), then reads the volunteer's words on the case page, through the gate.
        urgent.locator("a").click()
        assert desk.locator("h1").inner_text() == "COSA concern"
        desk.get_by_role("button", name="Acknowledge the concern").click()
        assert "Concern acknowledged" in desk.locator(".govuk-notification-banner").inner_text()
        desk.get_by_role("button", name="Send the outcome").click()  # empty: the error summary
        assert desk.locator(".govuk-error-summary").is_visible()
        desk.get_by_label("Tell the coordinator the outcome").fill(OUTCOME)
        desk.get_by_role("button", name="Send the outcome").click()
        assert desk.get_by_test_id("outcome").inner_text() == OUTCOME
        desk.get_by_role("link", name="case page").click()
        assert "COSA concern (URGENT): POSSIBLE_BREACH" in desk.locator("main").inner_text()
    finally:
        police.close()
