"""A chair, a coordinator, a COSA volunteer and an offender manager use the workspace in
chromium, over real gunicorn and a demo-loaded database, signing in with a real TOTP code.

Each person signs in once per run: a code is accepted only once (docs/accounts.md).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from hub.accounts import totp
from hub.db import make_engine
from hub.demo.sign_ins import DEMO_PASSWORD
from hub.models import MappaCase
from tests.browser.fixtures import Hub

MISSING = "00000000-0000-4000-8000-000000000000"
PURPOSE = "Preparing for or holding a MAPPA meeting"


def sign_in(page: Any, hub: Hub, username: str, start: str = "/cases") -> None:
    """As a person does it: the page asks for the password, then the app's code."""
    page.goto(hub.base + start)
    assert page.locator("h1").inner_text() == "Sign in to MAPPA Hub"
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("6-digit code").fill(totp.code_at(hub.keys[username], datetime.now(UTC)))
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_test_id("signed-in-user").is_visible()


def choose_purpose(page: Any, label: str = PURPOSE) -> None:
    assert page.locator("h1").inner_text() == "Why are you using the hub?"
    page.get_by_label("Why are you using the hub?").select_option(label=label)
    page.get_by_role("button", name="Continue").click()


def listed_ids(page: Any) -> list[str]:
    rows = page.locator("[data-case-id]")
    return [rows.nth(i).get_attribute("data-case-id") for i in range(rows.count())]


def all_case_ids(hub: Hub) -> set[str]:
    engine = make_engine(hub.database_url)
    try:
        with engine.connect() as connection:
            return {str(i) for i in connection.scalars(select(MappaCase.id))}
    finally:
        engine.dispose()


def test_a_chair_sees_only_their_cases_an_overdue_review_and_a_withheld_reason(
    page: Any, hub: Hub
) -> None:
    sign_in(page, hub, "chair.l2")
    # No purpose, no data: the hub asks before the list, then returns to it.
    choose_purpose(page)
    assert page.locator("h1").inner_text() == "Cases"
    # GOV.UK Frontend's stylesheet applied: the header is its black bar.
    header = page.locator(".govuk-header")
    assert header.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(11, 12, 12)"
    assert PURPOSE in page.get_by_test_id("purpose").inner_text()
    shown = listed_ids(page)
    everything = all_case_ids(hub)
    assert 0 < len(shown) < len(everything)  # some cases are not this chair's to see
    count = page.get_by_test_id("case-count").inner_text()
    assert count.startswith(f"{len(shown)} cases you may see")
    # R-06 / scenario 3: the reviews already past are flagged red, and only those.
    flagged = page.locator("[data-case-id]:has([data-testid=overdue])")
    assert flagged.count() >= 1
    assert "govuk-tag--red" in (flagged.first.locator(".govuk-tag").get_attribute("class") or "")
    for review in flagged.locator("td:nth-child(5)").all_inner_texts():
        shown_date = review.replace("Overdue", "").strip()
        due = datetime.strptime(shown_date, "%d %B %Y").replace(tzinfo=UTC).date()
        assert due < datetime.now(UTC).date()
    # Open the overdue case: the warning, and the person's withheld identity documents.
    flagged.first.get_by_role("link").click()
    assert "The review of this case is overdue" in page.locator(".govuk-warning-text").inner_text()
    withheld = page.locator("[data-record=person] [data-field=identity_documents] dd")
    assert withheld.get_attribute("data-withheld") == "true"
    assert "Withheld" in withheld.inner_text()
    assert "Identity documents" in withheld.get_by_test_id("withheld-reason").inner_text()
    categories = page.get_by_test_id("item-category").all_inner_texts()
    assert "Conviction" in categories
    # A case the chair may not see is the 404 page, word for word the same as a missing one.
    hidden = sorted(everything - set(shown))[0]
    refused = page.goto(f"{hub.base}/cases/{hidden}")
    assert refused is not None
    assert refused.status == 404
    hidden_text = page.locator("main").inner_text()
    missing = page.goto(f"{hub.base}/cases/{MISSING}")
    assert missing is not None
    assert missing.status == 404
    assert page.locator("main").inner_text() == hidden_text
    assert page.locator("h1").inner_text() == "Page not found"


def test_the_coordinator_dashboard_lists_the_overdue_reviews(page: Any, hub: Hub) -> None:
    sign_in(page, hub, "coordinator", start="/reviews/overdue")
    choose_purpose(page, "Managing the risk a person poses")
    assert page.locator("h1").inner_text() == "Overdue reviews"
    overdue = listed_ids(page)
    assert overdue
    assert page.locator("[data-case-id] [data-testid=overdue]").count() == len(overdue)
    # The same cases the full list flags: nothing overdue is missing from the dashboard.
    page.get_by_role("link", name="Cases", exact=True).click()
    flagged = page.locator("[data-case-id]:has([data-testid=overdue])")
    assert sorted(flagged.evaluate_all("rows => rows.map(r => r.dataset.caseId)")) == sorted(
        overdue
    )
    # The purpose can be changed, and the page says which is in force.
    page.get_by_role("link", name=re.compile("^Change")).first.click()
    choose_purpose(page, PURPOSE)
    assert PURPOSE in page.get_by_test_id("purpose").inner_text()


def test_a_cosa_volunteer_sees_no_case_and_a_case_url_is_not_found(page: Any, hub: Hub) -> None:
    sign_in(page, hub, "cosa.volunteer")
    choose_purpose(page, "Supporting a Circle of Support and Accountability")
    assert listed_ids(page) == []
    assert "There are no cases you may see" in page.locator("main").inner_text()
    someone = sorted(all_case_ids(hub))[0]
    response = page.goto(f"{hub.base}/cases/{someone}")
    assert response is not None
    assert response.status == 404
    assert page.locator("h1").inner_text() == "Page not found"


def test_sign_out_ends_the_session(page: Any, hub: Hub) -> None:
    sign_in(page, hub, "offender.manager", start="/purpose")
    page.get_by_role("button", name="Sign out").click()
    assert page.locator("h1").inner_text() == "Sign in to MAPPA Hub"
    page.goto(hub.base + "/cases")
    assert page.locator("h1").inner_text() == "Sign in to MAPPA Hub"  # asked to sign in again
    assert page.get_by_test_id("signed-in-user").count() == 0
