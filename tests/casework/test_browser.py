"""A coordinator works their tasks and overrides a visit plan in chromium, over real gunicorn
and a demo-loaded database, after the case-management rules ran over it.

One sign-in for the whole walk: a TOTP code is accepted only once (docs/accounts.md).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from hub.casework.models import Task, VisitPlan
from hub.casework.run import run
from hub.db import make_engine, make_sessionmaker
from hub.models import Agency, MappaCase
from hub.settings import Settings
from tests.browser.axe import AXE, violations
from tests.browser.fixtures import Hub
from tests.browser.test_workspace_browser import choose_purpose, sign_in


def test_a_coordinator_completes_a_task_and_overrides_a_visit_plan(browser: Any, hub: Hub) -> None:
    """R-06, R-46: the rules' tasks on the tasks page; the visit plan's error summary, then a
    saved override with its rationale. Each page is also scanned with axe-core."""
    engine = make_engine(hub.database_url)
    try:
        session = make_sessionmaker(engine)()
        with session:
            report = run(session, Settings(environment="test"), datetime.now(UTC).date())
            session.commit()
            probation = session.scalars(select(Agency).where(Agency.code == "DEMO-PRB")).one()
            mine = session.scalars(select(Task).where(Task.owning_agency_id == probation.id)).all()
            planned = set(
                session.scalars(
                    select(VisitPlan.case_id)
                    .join(MappaCase, MappaCase.id == VisitPlan.case_id)
                    .where(MappaCase.lead_agency_id == probation.id)
                )
            )
    finally:
        engine.dispose()
    assert report.visit_plans_created > 0
    assert mine, "the demo area's overdue reviews give probation tasks"

    context = browser.new_context(bypass_csp=True)  # to inject axe; the pages are unchanged
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        walk(page, hub, planned)
    finally:
        context.close()


def walk(page: Any, hub: Hub, planned: set[Any]) -> None:
    sign_in(page, hub, "coordinator", start="/tasks")
    choose_purpose(page)
    assert page.locator("h1").inner_text() == "Your agency's tasks"
    cards = page.locator("[data-task-id]")
    assert cards.count() >= 1
    first = cards.first
    task_id = first.get_attribute("data-task-id")
    submit(page, first.get_by_role("button"))  # no outcome chosen
    summary = page.locator(".govuk-error-summary")
    assert "Select how the task was closed" in summary.inner_text()
    assert summary.get_by_role("link").get_attribute("href") == f"#outcome-{task_id}"
    card = page.locator(f'[data-task-id="{task_id}"]')
    card.get_by_label("How was it closed?").select_option(label="Done as asked")
    submit(page, card.get_by_role("button"))
    assert page.get_by_test_id("task-done").inner_text() == "Task completed."
    assert page.locator(f'[data-task-id="{task_id}"]').count() == 0
    if AXE.exists():
        assert violations(page) == []

    # A Category 1 case the coordinator's agency leads, seen through the case list.
    page.goto(hub.base + "/cases")
    listed = {
        page.locator("[data-case-id]").nth(i).get_attribute("data-case-id")
        for i in range(page.locator("[data-case-id]").count())
    }
    case_id = sorted(str(c) for c in planned if str(c) in listed)[0]
    page.goto(f"{hub.base}/cases/{case_id}/visit-plan")
    assert page.locator("h1").inner_text() == "Visit plan"
    page.get_by_label("Visit every (days)").fill("0")
    submit(page, page.get_by_role("button", name="Save visit frequency"))
    summary = page.locator(".govuk-error-summary")
    links = summary.get_by_role("link")
    assert [links.nth(i).get_attribute("href") for i in range(links.count())] == [
        "#days",
        "#rationale",
    ]
    assert page.get_by_label("Visit every (days)").input_value() == "0"  # what was typed
    page.get_by_label("Visit every (days)").fill("45")
    page.get_by_label("Why the frequency differs from the default").fill(
        "Synthetic: works shifts, visits by appointment"
    )
    submit(page, page.get_by_role("button", name="Save visit frequency"))
    assert page.get_by_test_id("plan-saved").is_visible()
    assert page.get_by_test_id("frequency").inner_text().startswith("Every 45 days")
    assert "works shifts" in page.get_by_test_id("rationale").inner_text()
    if AXE.exists():
        assert violations(page) == []


def submit(page: Any, button: Any) -> None:
    """Click a form's button and wait for the page the server answers with."""
    with page.expect_navigation():
        button.click()
    page.wait_for_load_state()
