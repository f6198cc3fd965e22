"""A chair holds a level 2 meeting in chromium, over real gunicorn and a demo-loaded database:
signs in with MFA, opens the dashboard and an overdue case, schedules the meeting (the agenda
builds itself), takes the register, acknowledges MAPPA D, opens the meeting, writes minutes
with every section R-09 needs, records a disclosure decision and an action, approves, and
downloads the minutes PDF. Each step is checked on the page; the main pages are saved as
screenshots (tests/browser/screens.py). The rules behind each step are tested in
tests/meetings/; this walks them as a chair would.

The demo's level 3 chair is used: with seed 2 the police lead a level 2 case whose review is
overdue, and that chair also holds the level 2 chair role.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.browser.axe import violations
from tests.browser.fixtures import Hub
from tests.browser.screens import save_screenshot
from tests.browser.test_workspace_browser import choose_purpose, sign_in

MINUTES = {
    "Information shared by each agency": "Police: two visits, both seen. Probation: none.",
    "Current risk of serious harm": "High to children; medium to the public.",
    "Victims and potential victims": "Children known to the family; no named victim in contact.",
    "Children": "No children in the household; a children's services check is not needed.",
    "Diversity": "No diversity needs affect the plan.",
    "Supervision": "Monthly MOSOVO visits, announced and unannounced.",
    "Monitoring and control": "Notification requirements; device checks under the SHPO.",
    "Interventions and treatment": "Referral to a community sex offender programme.",
    "Victim safety planning": "School liaison briefed through children's services.",
    "Contingency": "Arrest for breach of the SHPO; emergency review meeting within 2 days.",
    "Disclosure consideration": "Considered; no disclosure needed to any third party now.",
    "Reason for the level decision": "Active multi-agency management still adds value.",
}


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh profile that also lets axe-core in (tests/browser/axe.py): pages unchanged."""
    context = browser.new_context(bypass_csp=True, accept_downloads=True)
    opened = context.new_page()
    opened.set_default_timeout(15_000)
    yield opened
    context.close()


def checked(page: Any, name: str) -> None:
    """A main page: no serious or critical accessibility violation, and its screenshot."""
    assert violations(page) == [], name
    save_screenshot(page, name)


def test_a_chair_holds_a_level_two_meeting_and_writes_minutes(
    page: Any, hub: Hub, tmp_path: Path
) -> None:
    today = datetime.now(UTC).date()
    # 1. Sign in with MFA, choose the purpose, land on the dashboard.
    sign_in(page, hub, "chair.l3", start="/dashboard")
    choose_purpose(page)
    assert page.locator("h1").inner_text() == "Dashboard"
    assert page.locator("#panel-overdue-actions").count() == 1
    # 2. Open an overdue level 2 case from the overdue reviews.
    page.goto(hub.base + "/reviews/overdue")
    page.get_by_test_id("overdue-count").wait_for()
    rows = page.locator("[data-case-id]:has([data-testid=overdue])", has_text="Level 2")
    assert rows.count() >= 1, page.locator("main").inner_text()
    case_id = rows.first.get_attribute("data-case-id")
    rows.first.get_by_role("link").click()
    assert "overdue" in page.locator(".govuk-warning-text").inner_text()
    # 3. Schedule a level 2 meeting for today: the overdue case is on the agenda.
    page.goto(hub.base + "/meetings")
    checked(page, "meetings")
    page.get_by_role("button", name="Schedule a meeting").click()
    assert page.locator("h1").inner_text() == "Schedule a meeting"
    checked(page, "meeting-new")
    page.get_by_label("Level 2").check()
    page.get_by_label("Review").check()
    page.get_by_role("button", name="Schedule and build the agenda").click()
    assert page.locator("h1").inner_text().startswith("Level 2 review meeting")
    agenda_row = page.locator(f"[data-testid=agenda] [data-case-id='{case_id}']")
    assert agenda_row.get_by_test_id("agenda-reason").inner_text() == "Review overdue"
    checked(page, "meeting-agenda")
    # 4. The register and MAPPA D, then the meeting opens.
    page.get_by_role("button", name="I have read and accept the statement").click()
    assert "You acknowledged the statement" in page.get_by_test_id("acknowledged").inner_text()
    selects = page.locator("[data-testid=attendance] select")
    for index in range(selects.count()):
        selects.nth(index).select_option("PRESENT" if index == 0 else "APOLOGIES_REPORT_SENT")
    page.get_by_role("button", name="Save attendance").click()
    register = page.get_by_test_id("attendance").inner_text()
    assert "Apologies, report sent" in register or selects.count() == 1
    page.get_by_role("button", name="Open the meeting: statement read to all").click()
    assert page.get_by_test_id("meeting-status").inner_text() == "Meeting open"
    checked(page, "meeting-open")
    # 5. The case's minutes: a disclosure decision and an action first.
    agenda_row = page.locator(f"[data-testid=agenda] [data-case-id='{case_id}']")
    agenda_row.get_by_role("link").click()
    assert page.locator("h1").inner_text().startswith("Minutes (MAPPA B)")
    page.get_by_label("Decision", exact=True).select_option("DO_NOT_DISCLOSE")
    page.locator("#reason").fill("No third party at risk has been identified.")
    page.get_by_role("button", name="Record the decision").click()
    assert "Do not disclose" in page.get_by_test_id("disclosure-decisions").inner_text()
    page.get_by_label("What must be done").fill("Unannounced home visit with probation")
    page.get_by_label("Agency that owns it").select_option(label="Demoshire Police")
    page.get_by_label("Person who will do it").fill("MOSOVO Officer")
    due = today + timedelta(days=14)
    form = page.locator("#add-action")
    form.get_by_label("Day").fill(str(due.day))
    form.get_by_label("Month").fill(str(due.month))
    form.get_by_label("Year").fill(str(due.year))
    page.get_by_role("button", name="Add the action").click()
    assert "Unannounced home visit" in page.get_by_test_id("actions").inner_text()
    # 6. Approving with sections missing shows the error summary and keeps what was typed.
    page.get_by_label("Victims and potential victims").fill("Typed before the error")
    page.get_by_role("button", name="Save and approve the minutes").click()
    summary = page.locator(".govuk-error-summary")
    assert "There is a problem" in summary.inner_text()
    assert summary.locator("a[href='#children']").count() == 1
    assert page.get_by_label("Victims and potential victims").input_value() == (
        "Typed before the error"
    )
    checked(page, "meeting-minutes-errors")
    # 7. Every required section, then approval.
    category = page.locator("[data-testid=case-summary] dd").first.inner_text().strip()
    page.get_by_label("Category", exact=True).select_option(category)
    page.get_by_label("Level decided", exact=True).select_option("2")
    page.get_by_label("Lead agency", exact=True).select_option(label="Demoshire Police")
    for label, text in MINUTES.items():
        page.get_by_label(label, exact=True).fill(text)
    review = today + timedelta(weeks=10)
    minutes_form = page.locator("#minutes")
    minutes_form.get_by_label("Day").fill(str(review.day))
    minutes_form.get_by_label("Month").fill(str(review.month))
    minutes_form.get_by_label("Year").fill(str(review.year))
    checked(page, "meeting-minutes-form")
    page.get_by_role("button", name="Save and approve the minutes").click()
    assert page.locator(".govuk-error-summary").count() == 0, page.locator("main").inner_text()[
        :800
    ]
    assert page.get_by_test_id("minutes-status").inner_text() == "Approved by the chair"
    approved = page.get_by_test_id("approved-minutes").inner_text()
    assert MINUTES["Contingency"] in approved
    assert f"{review.day} {review:%B %Y}" in page.get_by_test_id("review-due").inner_text()
    checked(page, "meeting-minutes-approved")
    # 8. The minutes PDF, watermarked for this chair.
    page.get_by_label("Why do you need a copy?").fill("Copy for the police MAPPA file, restricted.")
    with page.expect_download() as downloading:
        page.get_by_role("button", name="Download minutes (PDF)").click()
    saved = tmp_path / "minutes.pdf"
    downloading.value.save_as(saved)
    assert saved.read_bytes().startswith(b"%PDF")
    # 9. The case is no longer overdue.
    page.goto(f"{hub.base}/cases/{case_id}")
    assert page.locator(".govuk-warning-text").filter(has_text=re.compile("overdue")).count() == 0
