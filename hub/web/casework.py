"""Case-management pages: my agency's tasks, a case's visit plan; and the dashboard's panels.

Thin, like the workspace: each page reads through the gate (or the gate's list filter) and
commits the audit entries before it renders. A task or plan on a case the reader may not see
is the same 404 as one that does not exist. Forms carry the CSRF token (login_required checks
it), show the GOV.UK error summary on bad input, save nothing partial, and refuse a stale
edit (someone else saved first) without overwriting it.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import and_, func, select

from hub.accounts.web import login_required
from hub.app import db_session
from hub.audit import AuditEntry, record_many
from hub.casework import tasks as task_service
from hub.casework import visits
from hub.casework.kinds import OUTCOME_LABELS, TASK_TITLES, TaskStatus
from hub.casework.models import ReactiveManagement
from hub.errors import Conflict, InvalidInput, NotFound
from hub.gate import case_filter
from hub.models import MappaCase
from hub.vocabulary import AgencyType, AuditOperation, Purpose, Role
from hub.web import present
from hub.web.panels import Panel, PanelContext, PanelRow, dashboard_panel
from hub.web.purpose import LABELS, stated_purpose
from hub.web.reading import gate, today, web_reader
from hub.web.workspace import purpose_required

casework = Blueprint("casework", __name__, template_folder="templates")
PER_PAGE = 50
STATUS_CHOICES = {"OPEN": "Open", "DONE": "Done", "CANCELLED": "Cancelled", "ALL": "All"}
STALE = (
    "Someone else changed this since you opened the page. Nothing was saved: "
    "check it and try again."
)


@casework.get("/tasks")
@login_required
@purpose_required
def tasks() -> ResponseReturnValue:
    return _tasks_page()


@casework.post("/tasks/<task_id>/complete")
@login_required
@purpose_required
def complete(task_id: str) -> ResponseReturnValue:
    wanted = _uuid(task_id)
    if wanted is None:
        return _not_found()
    session = db_session()
    reader = web_reader(_purpose())
    version = request.form.get("version", "")
    try:
        if not version.isdigit():
            raise InvalidInput("version", "the form is incomplete; reload the page")
        task_service.complete_task(
            session,
            gate().policy,
            reader,
            wanted,
            outcome=request.form.get("outcome", ""),
            expected_version=int(version),
            today=today(),
        )
    except NotFound:
        session.rollback()
        return _not_found()
    except Conflict:
        session.rollback()
        return _tasks_page(errors=[(f"outcome-{wanted}", STALE)], status_code=409)
    except InvalidInput as exc:
        session.rollback()
        message = (
            "Select how the task was closed"
            if exc.field == "outcome" and "must be one of" in exc.problem
            else exc.problem[:1].upper() + exc.problem[1:]
        )
        return _tasks_page(errors=[(f"outcome-{wanted}", message)], status_code=400)
    session.commit()
    return redirect(url_for("casework.tasks", done=1), code=303)


def _tasks_page(
    errors: list[tuple[str, str]] | None = None, status_code: int = 200
) -> ResponseReturnValue:
    chosen = request.args.get("status", "OPEN").upper()
    if chosen not in STATUS_CHOICES:
        chosen = "OPEN"
    number = _page_number()
    session = db_session()
    page = task_service.agency_tasks(
        session,
        gate().policy,
        web_reader(_purpose()),
        today=today(),
        status=None if chosen == "ALL" else TaskStatus(chosen),
        page=number,
        per_page=PER_PAGE,
    )
    session.commit()  # the CONSULT entries first, then the page
    return (
        _render(
            "casework/tasks.html",
            page=page,
            chosen=chosen,
            statuses=STATUS_CHOICES,
            titles=TASK_TITLES,
            outcomes=OUTCOME_LABELS,
            today=today(),
            done=request.args.get("done") == "1",
            errors=errors or [],
            more=page.total > number * PER_PAGE,
        ),
        status_code,
    )


@casework.route("/cases/<case_id>/visit-plan", methods=["GET", "POST"])
@login_required
@purpose_required
def visit_plan(case_id: str) -> ResponseReturnValue:
    wanted = _uuid(case_id)
    if wanted is None:
        return _not_found()
    session = db_session()
    reader = web_reader(_purpose())
    try:
        view = gate().read_case(session, reader, wanted)
    except NotFound:
        session.commit()  # the DENY entry stays: probing shows in the trail
        return _not_found()
    session.commit()
    plan = visits.plan_for(session, wanted)
    case = view.case
    errors: list[tuple[str, str]] = []
    form: dict[str, str] = {}
    status_code = 200
    if request.method == "POST" and plan is not None:
        form = {k: request.form.get(k, "") for k in ("days", "rationale", "version")}
        _, problems = visits.check_override(form["days"], form["rationale"])
        errors = [(p.field, p.problem) for p in problems]
        if not errors:
            try:
                if not form["version"].isdigit():
                    raise Conflict(STALE)
                visits.override_plan(
                    session,
                    gate().policy,
                    reader,
                    wanted,
                    days=form["days"],
                    rationale=form["rationale"],
                    expected_version=int(form["version"]),
                    today=today(),
                )
                session.commit()
                return redirect(url_for("casework.visit_plan", case_id=wanted, saved=1), code=303)
            except Conflict:
                session.rollback()
                errors, status_code = [("days", STALE)], 409
            except visits.NotPermitted as exc:
                session.rollback()
                errors, status_code = [("days", str(exc).capitalize())], 403
            except NotFound:
                session.rollback()
                return _not_found()
        else:
            status_code = 400
        plan = visits.plan_for(session, wanted)  # as stored: nothing partial was kept
    reactive = session.scalar(
        select(ReactiveManagement).where(ReactiveManagement.case_id == wanted)
    )
    return (
        _render(
            "casework/visit_plan.html",
            view=view,
            case=case,
            case_id=wanted,
            plan=plan,
            reactive=reactive,
            overdue=plan is not None and visits.visit_overdue(plan, today()),
            may_change=visits.may_change_plan(session, reader, session.get_one(MappaCase, wanted)),
            form=form,
            errors=errors,
            saved=request.args.get("saved") == "1",
        ),
        status_code,
    )


def _purpose() -> Purpose:
    chosen = stated_purpose()
    if chosen is None:  # purpose_required runs first; this keeps the types honest
        raise PermissionError("no purpose of use")
    return chosen


def _uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None  # not even an id: the same page as a hidden record


def _page_number() -> int:
    given = request.args.get("page", "1")
    return int(given) if given.isdigit() and 0 < int(given) <= 10_000 else 1


def _not_found() -> ResponseReturnValue:
    return _render("workspace/not_found.html"), 404


def _render(template: str, **context: Any) -> str:
    context.setdefault("errors", [])
    return render_template(
        template, purpose=stated_purpose(), purposes=LABELS, present=present, **context
    )


# -- dashboard panels (hub/web/panels.py) ----------------------------------------------------

SHOWN = 5
DUE_SOON_DAYS = 14
NO_CASEWORK = frozenset({Role.COSA_VOLUNTEER, Role.LAY_ADVISER})
REACTIVE_DECIDERS = frozenset(
    {Role.MOSOVO_OFFICER, Role.MAPPA_COORDINATOR, Role.MAPPA_CHAIR_L2, Role.MAPPA_CHAIR_L3}
)


@dashboard_panel("tasks", order=40)
def tasks_due(context: PanelContext) -> Panel | None:
    """The reader's agency's open tasks, soonest due first, on cases the reader may see."""
    reader = context.reader
    if reader.actor.roles and reader.actor.roles <= NO_CASEWORK:
        return None
    page = task_service.agency_tasks(
        context.session,
        context.gate.policy,
        reader,
        today=context.today,
        status=TaskStatus.OPEN,
        per_page=SHOWN,
    )
    rows = []
    for listed in page.tasks:
        task = listed.task
        overdue = task.due_date < context.today
        soon = task.due_date <= context.today + timedelta(days=DUE_SOON_DAYS)
        rows.append(
            PanelRow(
                text=TASK_TITLES[task.kind],
                href=f"/cases/{task.case_id}",
                tag="Overdue" if overdue else ("Due soon" if soon else None),
                tag_colour="red" if overdue else ("yellow" if soon else None),
                detail=f"Due {task.due_date:%d %B %Y} ({task.rule_id})",
            )
        )
    return Panel(
        key="tasks",
        title="Tasks due",
        rows=rows,
        empty_text="Your agency has no open tasks on cases you may see.",
        more_href="/tasks",
        total=page.total if page.total > len(rows) else None,
    )


@dashboard_panel("reactive-management", order=50)
def reactive_candidates(context: PanelContext) -> Panel | None:
    """R-45: Category 1 cases eligible for reactive management and not yet under it."""
    reader = context.reader
    if reader.agency_type is not AgencyType.RA_POLICE and not reader.actor.has_any_role(
        *REACTIVE_DECIDERS
    ):
        return None
    where = and_(
        ReactiveManagement.eligible_since.is_not(None),
        ReactiveManagement.active.is_(False),
        MappaCase.category == 1,
        case_filter(context.gate.policy, reader, "list", context.today),
    )
    joined = select(ReactiveManagement, MappaCase.person_id).join(
        MappaCase, MappaCase.id == ReactiveManagement.case_id
    )
    found = context.session.execute(
        joined.where(where)
        .order_by(ReactiveManagement.eligible_since, ReactiveManagement.id)
        .limit(SHOWN)
    ).all()
    total = (
        context.session.scalar(
            select(func.count())
            .select_from(ReactiveManagement)
            .join(MappaCase, MappaCase.id == ReactiveManagement.case_id)
            .where(where)
        )
        or 0
    )
    record_many(
        context.session,
        [
            AuditEntry(
                operation=AuditOperation.CONSULT,
                actor=reader.actor,
                record_type="reactive_management",
                record_ids=(str(record.id),),
                subject_person_id=person_id,
                case_id=record.case_id,
                fields_returned=("case_id", "eligible_since"),
                extra={"action": "list"},
            )
            for record, person_id in found
        ],
    )
    rows = [
        PanelRow(
            text=f"Case {record.case_id.hex[:8].upper()}",
            href=f"/cases/{record.case_id}/visit-plan",
            detail=f"Eligible since {record.eligible_since:%d %B %Y}",
        )
        for record, _ in found
    ]
    return Panel(
        key="reactive-management",
        title="Reactive-management candidates",
        rows=rows,
        empty_text="No case you may see is eligible for reactive management.",
        total=total if total > len(rows) else None,
    )
