"""An axe-core scan of every workspace page in chromium finds no serious or critical
violation; the main pages are photographed for people to review (tests/browser/screens.py).

Signed out: the landing page and both sign-in steps. Signed in as the demo coordinator (who
may use "view as"): purpose, dashboard, case list (plain, filtered, and with the error
summary), overdue reviews, a case page and each of its tabs (who accessed, view as with its
banner, the pack form and its error summary), and the 404 page. Near the end, every other
page the app serves without parameters (meetings, portal, ...) is scanned as well, so pages
added later are covered without editing this test.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from hub.accounts import totp
from hub.db import make_engine
from hub.demo.sign_ins import DEMO_PASSWORD
from hub.models import Agency
from tests.browser.axe import AXE, violations
from tests.browser.fixtures import Hub, _missing
from tests.browser.screens import save_screenshot

MISSING = "00000000-0000-4000-8000-000000000000"
# Served pages that are not the workspace's (JSON, files, endpoints for machines).
NOT_PAGES = (
    "/api",
    "/oauth",
    "/.well-known",
    "/static",
    "/assets",
    "/healthz",
    "/readyz",
    "/metrics",
    "/sign-out",
    "/favicon",
)


@pytest.fixture
def scanned(browser: Any) -> Iterator[Any]:
    if not AXE.exists():
        _missing(f"{AXE} is missing: run npm ci")
    context = browser.new_context(bypass_csp=True)  # to inject axe; the pages are unchanged
    opened = context.new_page()
    opened.set_default_timeout(15_000)
    yield opened
    context.close()


def check(page: Any, name: str, *, shot: bool = False) -> None:
    found = violations(page)
    assert found == [], f"{name}: {found}"
    if shot:
        save_screenshot(page, name)


def agencies(hub: Hub) -> dict[str, str]:
    engine = make_engine(hub.database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(select(Agency.code, Agency.id))
            return {code: str(agency_id) for code, agency_id in rows}
    finally:
        engine.dispose()


def served_pages(hub: Hub) -> list[str]:
    """Every GET route without parameters the hub serves, bar machine endpoints."""
    from hub import create_app
    from hub.settings import Settings

    app = create_app(Settings(database_url=hub.database_url, environment="test"))
    try:
        rules = [
            r.rule
            for r in app.url_map.iter_rules()
            if "GET" in (r.methods or ()) and not r.arguments
        ]
    finally:
        engine = app.extensions.get("hub.engine")
        if engine is not None:
            engine.dispose()
    return sorted({r for r in rules if not r.startswith(NOT_PAGES)})


def test_every_workspace_page_has_no_serious_or_critical_violation(scanned: Any, hub: Hub) -> None:
    page = scanned
    page.goto(hub.base + "/")
    check(page, "landing", shot=True)
    page.goto(hub.base + "/sign-in")
    check(page, "sign-in", shot=True)
    page.get_by_role("button", name="Continue").click()  # nothing typed: the error summary
    check(page, "sign-in-error")
    page.get_by_label("Username").fill("coordinator")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Continue").click()
    check(page, "sign-in-code", shot=True)
    page.get_by_label("6-digit code").fill(totp.code_at(hub.keys["coordinator"], datetime.now(UTC)))
    page.get_by_role("button", name="Sign in").click()

    # Signed in: the home is the dashboard, which asks for a purpose first.
    assert page.locator("h1").inner_text() == "Why are you using the hub?"
    check(page, "purpose", shot=True)
    page.get_by_label("Why are you using the hub?").select_option(
        label="Managing the risk a person poses"
    )
    page.get_by_role("button", name="Continue").click()
    assert page.locator("h1").inner_text() == "Dashboard"
    check(page, "dashboard", shot=True)

    page.goto(hub.base + "/cases")
    check(page, "cases", shot=True)
    page.goto(hub.base + "/cases?level=2&overdue=yes")
    check(page, "cases-filtered")
    page.goto(hub.base + "/cases?level=9")
    assert page.locator(".govuk-error-summary").is_visible()
    check(page, "cases-error", shot=True)
    page.goto(hub.base + "/reviews/overdue")
    check(page, "overdue-reviews", shot=True)

    page.locator("[data-case-id] a").first.click()
    check(page, "case", shot=True)
    case_url = page.url
    page.get_by_role("link", name="History").click()
    assert page.locator("h1").inner_text() == "History"
    check(page, "case-history")
    page.get_by_role("link", name="Who accessed this case").click()
    assert page.locator("h1").inner_text() == "Who accessed this case"
    check(page, "case-access", shot=True)
    page.get_by_role("link", name="View as another agency").click()
    check(page, "case-view-as-form")
    codes = agencies(hub)
    page.goto(f"{case_url}/view-as?agency={codes['DEMO-HSG']}&role=DTC_REP")
    assert page.get_by_test_id("view-as-banner").is_visible()
    check(page, "case-view-as", shot=True)
    page.goto(f"{case_url}/view-as?agency={codes['DEMO-HSG']}&role=MOSOVO_OFFICER")
    check(page, "case-view-as-error")
    page.goto(f"{case_url}/pack")
    check(page, "case-pack", shot=True)
    page.get_by_role("button", name="Make the PDF").click()
    assert page.locator(".govuk-error-summary").is_visible()
    check(page, "case-pack-error")

    page.goto(f"{hub.base}/cases/{MISSING}")
    check(page, "not-found")

    # Pages from the rest of the hub (meetings, portal, ...), whatever exists by now.
    for path in served_pages(hub):
        response = page.goto(hub.base + path)
        assert response is not None
        if response.status >= 500:
            pytest.fail(f"{path} answered {response.status}")
        if "text/html" not in (response.headers.get("content-type") or ""):
            continue
        check(page, "page" + path.replace("/", "-").rstrip("-"))
