"""Level 2/3 meetings in the chairs' workspace: schedule, agenda, register and MAPPA D (here);
minutes per case, approval and the PDF (minutes_pages.py); referrals (referral_pages.py).

Thin, like the workspace: every page reads through the gate (hub/meetings/reading.py) and
commits the audit entries before it renders; every write asks the policy, then a service,
in one transaction. A form with errors saves nothing and comes back with what was typed;
a stale save (someone else saved first) is refused and overwrites nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date
from typing import Any

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select

import hub.meetings.panel  # noqa: F401  (registers the "Overdue actions" dashboard panel)
from hub.accounts.web import login_required
from hub.app import db_session
from hub.errors import Conflict, HubError, InvalidInput, NotFound
from hub.gate import Reader, case_filter
from hub.meetings import agenda
from hub.meetings.common import ORGANISERS, STALE, NotPermitted, Problems
from hub.meetings.models import Meeting
from hub.meetings.reading import meeting_for
from hub.models import Agency, User
from hub.web import present
from hub.web.meeting_forms import date_parts, joined_date, typed
from hub.web.purpose import LABELS, stated_purpose
from hub.web.reading import gate, today, web_reader
from hub.web.workspace import purpose_required

meetings = Blueprint("meetings", __name__, template_folder="templates")


def _reader() -> Reader:
    chosen = stated_purpose()
    if chosen is None:  # purpose_required runs first
        raise PermissionError("no purpose of use")
    return web_reader(chosen)


@meetings.get("/meetings")
@login_required
@purpose_required
def index() -> ResponseReturnValue:
    session = db_session()
    reader = _reader()
    settings = current_app.config["HUB_SETTINGS"]
    listed = session.scalars(
        select(Meeting)
        .where(Meeting.mappa_area == settings.mappa_area)
        .order_by(Meeting.scheduled_for.desc())
        .limit(50)
    ).all()
    mine = [
        m
        for m in listed
        if any(a.agency_id == reader.actor.agency_id for a in m.attendees)
        or reader.actor.user_id == m.chair_user_id
    ]
    return _render(
        "meetings/index.html",
        meetings=mine,
        organiser=reader.actor.has_any_role(*ORGANISERS),
    )


@meetings.route("/meetings/new", methods=["GET", "POST"])
@login_required
@purpose_required
def new() -> ResponseReturnValue:
    values: dict[str, Any] = {
        "level": "2",
        "type": "REVIEW",
        **date_parts("scheduled_for", today()),
    }
    if request.method == "GET":
        return _render("meetings/new.html", values=values)
    values = typed(request.form)
    session = db_session()
    reader = _reader()
    problems: list[tuple[str, str]] = []
    when = joined_date(request.form, "scheduled_for")
    try:
        scheduled = date.fromisoformat(when)
    except ValueError:
        problems.append(("scheduled_for", "Enter the meeting date as a real date"))
    level = request.form.get("level", "")
    if problems:
        return _render("meetings/new.html", values=values, errors=problems), 400
    try:
        made = agenda.schedule_meeting(
            session,
            reader.actor,
            level=int(level) if level.isdigit() else level,
            meeting_type=request.form.get("type", ""),
            scheduled_for=scheduled,
            mappa_area=current_app.config["HUB_SETTINGS"].mappa_area,
            visible=case_filter(gate().policy, reader, "list", today()),
            today=today(),
        )
    except (InvalidInput, NotPermitted) as refused:
        session.rollback()
        return _render("meetings/new.html", values=values, errors=_errors(refused)), 400
    session.commit()
    return redirect(url_for("meetings.meeting", meeting_id=made.id), code=303)


@meetings.get("/meetings/<meeting_id>")
@login_required
@purpose_required
def meeting(meeting_id: str) -> ResponseReturnValue:
    return _meeting_page(meeting_id)


def _meeting_page(
    meeting_id: str, *, errors: list[tuple[str, str]] | None = None, status: int = 200
) -> ResponseReturnValue:
    wanted = _uuid(meeting_id)
    if wanted is None:
        return _not_found()
    session = db_session()
    reader = _reader()
    try:
        found, views = meeting_for(gate(), session, reader, wanted)
    except NotFound:
        session.commit()
        return _not_found()
    session.commit()
    mine = agenda.attendee_for(found, reader.actor)
    people = {
        u.id: u
        for u in session.scalars(
            select(User).where(
                User.id.in_(
                    [a.user_id for a in found.attendees if a.user_id] + [found.chair_user_id]
                )
            )
        )
    }
    return _render(
        "meetings/meeting.html",
        meeting=found,
        views=views,
        mine=mine,
        people=people,
        agencies=_agency_names(),
        organiser=reader.actor.has_any_role(*ORGANISERS),
        is_chair=reader.actor.user_id == found.chair_user_id,
        errors=errors or [],
        today=today(),
    ), status


@meetings.post("/meetings/<meeting_id>/attendance")
@login_required
@purpose_required
def attendance(meeting_id: str) -> ResponseReturnValue:
    statuses = {
        uuid.UUID(k.removeprefix("attendee-")): v
        for k, v in request.form.items()
        if k.startswith("attendee-") and _uuid(k.removeprefix("attendee-"))
    }
    return _meeting_write(
        meeting_id,
        lambda session, reader, m: agenda.record_attendance(
            session,
            reader.actor,
            meeting_id=m.id,
            statuses=dict(statuses),
            expected_version=_version(),
        ),
    )


@meetings.post("/meetings/<meeting_id>/acknowledge")
@login_required
@purpose_required
def acknowledge(meeting_id: str) -> ResponseReturnValue:
    return _meeting_write(
        meeting_id,
        lambda session, reader, m: agenda.acknowledge_statement(
            session, reader.actor, meeting_id=m.id
        ),
    )


@meetings.post("/meetings/<meeting_id>/open")
@login_required
@purpose_required
def open_meeting(meeting_id: str) -> ResponseReturnValue:
    return _meeting_write(
        meeting_id,
        lambda session, reader, m: agenda.open_meeting(
            session, reader.actor, meeting_id=m.id, expected_version=_version()
        ),
    )


def _meeting_write(meeting_id: str, write: Callable[..., object]) -> ResponseReturnValue:
    wanted = _uuid(meeting_id)
    if wanted is None:
        return _not_found()
    session = db_session()
    reader = _reader()
    try:
        found, _ = meeting_for(gate(), session, reader, wanted)
    except NotFound:
        session.commit()
        return _not_found()
    try:
        write(session, reader, found)
    except (InvalidInput, NotPermitted, Conflict) as refused:
        session.rollback()
        code = 409 if isinstance(refused, Conflict) else 400
        return _meeting_page(meeting_id, errors=_errors(refused, "meeting"), status=code)
    session.commit()
    return redirect(url_for("meetings.meeting", meeting_id=found.id), code=303)


# -- helpers ------------------------------------------------------------------------------


def _errors(refused: HubError, fallback: str = "form") -> list[tuple[str, str]]:
    if isinstance(refused, Problems):
        return [(_anchor(f), m) for f, m in refused.problems]
    if isinstance(refused, Conflict):
        return [(fallback, STALE)]
    if isinstance(refused, InvalidInput):
        return [(_anchor(refused.field), str(refused))]
    return [(fallback, str(refused))]


def _anchor(field: str) -> str:
    """The id of the input a message links to (GOV.UK error summary)."""
    field = field.replace(".", "-")
    return {
        "next_review_date": "next_review_date-day",
        "scheduled_for": "scheduled_for-day",
        "action_due_date": "action_due_date-day",
        "disclosed_on": "disclosed_on-day",
        "undertaking_signed_on": "undertaking_signed_on-day",
        "disclosures": "add-disclosure",
        "actions": "add-action",
    }.get(field, field)


def _version() -> int | None:
    given = request.form.get("version", "")
    return int(given) if given.isdigit() else -1  # a missing version is treated as stale


def _uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def _agency_names() -> dict[uuid.UUID, str]:
    return {a.id: a.name for a in db_session().scalars(select(Agency).order_by(Agency.name))}


def _not_found() -> ResponseReturnValue:
    return _render("workspace/not_found.html"), 404


def _render(template: str, **context: Any) -> str:
    context.setdefault("errors", [])
    return render_template(
        template, purpose=stated_purpose(), purposes=LABELS, present=present, **context
    )


from hub.web import (  # noqa: E402, F401  (more of this blueprint's routes)
    disclosure_pages,
    minutes_pages,
    referral_pages,
)
