"""The tasks and visit-plan pages, and the dashboard panels, through Flask's test client."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub import create_app
from hub.accounts import totp
from hub.accounts.policy import AccountPolicy
from hub.actor import hub_actor
from hub.casework.kinds import TaskKind, TaskStatus
from hub.casework.models import ReactiveManagement, Task, VisitPlan
from hub.casework.run import run
from hub.casework.tasks import TaskDraft, create_tasks
from hub.demo.agencies import DemoOrganisation
from hub.demo.sign_ins import DEMO_PASSWORD, create_demo_sign_ins
from hub.models import MappaCase
from hub.settings import Settings
from tests.accounts.conftest import Clock, csrf_from, post_form
from tests.casework.conftest import assess, police_on_case
from tests.helpers import TODAY, audit_documents, new_case, savepoint_sessions


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime.combine(TODAY, datetime.min.time(), tzinfo=UTC) + timedelta(hours=10))


@pytest.fixture
def policy() -> AccountPolicy:
    return AccountPolicy(hasher=PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


@pytest.fixture
def keys(session: Session, org: DemoOrganisation, policy: AccountPolicy) -> dict[str, str]:
    return {made.username: made.secret for made in create_demo_sign_ins(session, policy)}


@pytest.fixture
def app(session: Session, database_url: str, policy: AccountPolicy, clock: Clock) -> Flask:
    factory = savepoint_sessions(session)
    settings = Settings(database_url=database_url, mappa_area="Test Area", environment="test")
    app = create_app(settings, session_factory=factory)
    app.extensions["hub.accounts.policy"] = policy
    app.extensions["hub.clock"] = clock
    return app


def signed_in(app: Flask, keys: dict[str, str], clock: Clock, username: str) -> FlaskClient:
    client = app.test_client()
    post_form(client, "/sign-in", {"username": username, "password": DEMO_PASSWORD})
    done = post_form(client, "/sign-in/code", {"code": totp.code_at(keys[username], clock.now)})
    assert done.status_code == 303
    page = client.get("/purpose").get_data(as_text=True)
    chosen = client.post(
        "/purpose", data={"purpose": "RISK_MANAGEMENT", "csrf_token": csrf_from(page)}
    )
    assert chosen.status_code == 303
    return client


def a_task(session: Session, case: MappaCase, agency: object) -> Task:
    [task_id] = create_tasks(
        session,
        hub_actor(),
        [
            TaskDraft(
                case.id,
                case.person_id,
                TaskKind.CONSIDER_ORDER_RENEWAL,
                agency,  # type: ignore[arg-type]
                TODAY - timedelta(days=1),
                "R-41",
                "order:x",
                "SHPO ends soon: consider renewal or variation",
            )
        ],
    )
    return session.get_one(Task, task_id)


def test_my_agencys_tasks_are_listed_and_completed_with_an_outcome(
    app: Flask, session: Session, org: DemoOrganisation, keys: dict[str, str], clock: Clock
) -> None:
    case = new_case(session, org, category=2, level=2)
    task = a_task(session, case, org.agencies["DEMO-PRB"].id)
    client = signed_in(app, keys, clock, "coordinator")
    page = client.get("/tasks").get_data(as_text=True)
    assert f'data-task-id="{task.id}"' in page
    assert "Overdue" in page
    token = csrf_from(page)
    path = f"/tasks/{task.id}/complete"
    missing = client.post(path, data={"csrf_token": token, "version": "1", "outcome": ""})
    assert missing.status_code == 400
    body = missing.get_data(as_text=True)
    assert f'href="#outcome-{task.id}"' in body
    assert "<title>Error: " in body
    stale = client.post(path, data={"csrf_token": token, "version": "9", "outcome": "ACTIONED"})
    assert stale.status_code == 409
    assert "Nothing was saved" in stale.get_data(as_text=True)
    session.refresh(task)
    assert task.status is TaskStatus.OPEN
    assert client.post(path, data={"version": "1", "outcome": "ACTIONED"}).status_code == 400
    done = client.post(path, data={"csrf_token": token, "version": "1", "outcome": "ACTIONED"})
    assert done.status_code == 303
    session.refresh(task)
    assert task.status is TaskStatus.DONE
    assert f'data-task-id="{task.id}"' not in client.get("/tasks").get_data(as_text=True)
    assert f'data-task-id="{task.id}"' in client.get("/tasks?status=DONE").get_data(as_text=True)


def test_a_task_on_a_case_the_reader_cannot_see_is_a_404(
    app: Flask, session: Session, org: DemoOrganisation, keys: dict[str, str], clock: Clock
) -> None:
    case = new_case(session, org, category=2, level=2)
    task = a_task(session, case, org.agencies["DEMO-COSA"].id)
    client = signed_in(app, keys, clock, "cosa.volunteer")
    page = client.get("/tasks").get_data(as_text=True)
    assert str(task.id) not in page
    refused = client.post(
        f"/tasks/{task.id}/complete",
        data={"csrf_token": csrf_from(page), "version": "1", "outcome": "ACTIONED"},
    )
    assert refused.status_code == 404
    assert client.get(f"/cases/{case.id}/visit-plan").status_code == 404


def test_r46_visit_plan_override_error_summary_nothing_partial_stale_refused_then_saved(
    app: Flask, session: Session, org: DemoOrganisation, keys: dict[str, str], clock: Clock
) -> None:
    """R-46: the override needs a rationale; bad input shows the GOV.UK error summary and
    keeps what was typed; a stale edit is refused; a good one is saved and audited."""
    case = new_case(session, org, category=1)
    assess(session, org, case, "MEDIUM", TODAY - timedelta(days=3))
    run(session, Settings(environment="test"), TODAY, batch_size=100)
    client = signed_in(app, keys, clock, "coordinator")  # the lead agency's coordinator
    path = f"/cases/{case.id}/visit-plan"
    page = client.get(path).get_data(as_text=True)
    assert "Every 182 days" in page
    token = csrf_from(page)
    bad = client.post(
        path, data={"csrf_token": token, "version": "1", "days": "ten", "rationale": ""}
    )
    assert bad.status_code == 400
    body = bad.get_data(as_text=True)
    assert 'href="#days"' in body
    assert 'href="#rationale"' in body
    assert 'value="ten"' in body
    plan = session.scalars(select(VisitPlan).where(VisitPlan.case_id == case.id)).one()
    half = client.post(
        path, data={"csrf_token": token, "version": "1", "days": "60", "rationale": ""}
    )
    assert half.status_code == 400
    session.refresh(plan)
    assert plan.override_days is None  # nothing partial: valid days alone are not saved
    stale = client.post(
        path, data={"csrf_token": token, "version": "5", "days": "60", "rationale": "Shift work"}
    )
    assert stale.status_code == 409
    session.refresh(plan)
    assert plan.override_days is None
    saved = client.post(
        path,
        data={
            "csrf_token": token,
            "version": "1",
            "days": "60",
            "rationale": "Synthetic: works nights",
        },
    )
    assert saved.status_code == 303
    page = client.get(saved.headers["Location"]).get_data(as_text=True)
    assert "Every 60 days" in page
    assert "Synthetic: works nights" in page
    session.refresh(plan)
    assert plan.override_days == 60
    assert plan.next_due == TODAY + timedelta(days=60)
    [altered] = audit_documents(session, record_type="visit_plan", operation="ALTER")
    assert "override_rationale" in altered["fields_written"]
    assert altered["actor"]["user"] == str(org.staff["coordinator"].id)


def test_the_dashboard_shows_tasks_due_and_reactive_management_candidates(
    app: Flask, session: Session, org: DemoOrganisation, keys: dict[str, str], clock: Clock
) -> None:
    """R-45: eligible Category 1 cases appear as candidates for the police."""
    case = new_case(session, org, category=1)
    police_on_case(session, org, case)
    assess(session, org, case, "LOW", TODAY - timedelta(days=3 * 365 + 30))
    run(session, Settings(environment="test"), TODAY, batch_size=100)
    assert session.scalar(select(ReactiveManagement).where(ReactiveManagement.case_id == case.id))
    a_task(session, case, org.agencies["DEMO-POL"].id)
    client = signed_in(app, keys, clock, "chair.l3")  # police
    page = client.get("/dashboard").get_data(as_text=True)
    tasks = re.search(r'data-panel="tasks".*?</section>', page, re.S)
    assert tasks is not None
    assert "Consider renewal or variation" in tasks.group(0)
    reactive = re.search(r'data-panel="reactive-management".*?</section>', page, re.S)
    assert reactive is not None
    assert case.id.hex[:8].upper() in reactive.group(0)
    assert audit_documents(session, record_type="reactive_management", operation="CONSULT")
