"""The coordinator's pages: their circles, one circle, and the forms that change it.

Thin: each page reads or writes through hub.cosa, commits, then renders. A circle id that is
not a UUID, not a circle, or another coordinator's circle gets the same 404 page, and the
attempt is audited (probing shows in the trail). A refused form is rolled back whole.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from flask import redirect, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import update

from hub.app import db_session, policies
from hub.audit import AuditEntry, record
from hub.cosa import circles, concerns, meetings, notices
from hub.cosa.models import Circle, CosaNotice
from hub.cosa.profile import LABELS as PROFILE_LABELS
from hub.cosa.profile import SHARED_PROFILE, available, read_profile
from hub.cosa.vocabulary import CircleStatus, ConcernCategory, Severity
from hub.errors import InvalidInput, NotFound
from hub.portal.blueprint import (
    coordinator_actor,
    coordinator_required,
    not_found,
    now,
    page,
    parse_id,
    portal,
    rules,
)
from hub.portal.forms import FormProblem, date_field, date_values, number_field, service_problem
from hub.vocabulary import AuditOperation

CONCERN_FIELDS = {
    "severity": "Severity",
    "category": "What the concern is about",
    "description": "What happened",
    "volunteer": "Who reported it",
    "circle": "The circle",
}
MEETING_FIELDS = {
    "held_on": "Date of the meeting",
    "attendees": "Number of people at the meeting",
    "summary": "Summary",
    "goals_progress": "Progress on goals",
    "status": "The circle",
}
VOLUNTEER_FIELDS = {
    "name": "Name",
    "dbs_check_date": "Date of the DBS check",
    "trained_on": "Date training was completed",
}
AGREEMENT_FIELDS = {
    "consent_signed_on": "Date the core member signed the consent",
    "contract_signed_on": "Date the circle contract was signed",
}


@portal.get("/")
@coordinator_required
def home() -> ResponseReturnValue:
    actor = coordinator_actor()
    session = db_session()
    mine = circles.circles_of(session, actor)
    assert actor.user_id is not None
    unread = notices.unread(session, actor.user_id)
    session.commit()
    return page(
        "portal/home.html",
        circles=mine,
        notices=unread,
        notice_labels=notices.LABELS,
        references={c.id: c.reference for c in mine},
    )


@portal.post("/notices/read")
@coordinator_required
def notices_read() -> ResponseReturnValue:
    actor = coordinator_actor()
    db_session().execute(
        update(CosaNotice)
        .where(CosaNotice.user_id == actor.user_id, CosaNotice.read_at.is_(None))
        .values(read_at=now())
    )
    db_session().commit()
    return redirect(url_for("portal.home"), code=303)


@portal.get("/circles/<circle_id>")
@coordinator_required
def circle(circle_id: str) -> ResponseReturnValue:
    # The policy set first: the store may record it in its own transaction, which on SQLite
    # must not wait behind this request's.
    in_force = policies().in_force()
    found = _circle(circle_id)
    if found is None:
        return not_found()
    session = db_session()
    actor = coordinator_actor()
    profile = read_profile(session, in_force, actor, found, now())
    session.commit()  # the CONSULT (or DENY) entry before the page
    roster = circles.roster(session, found)
    problems = (
        circles.start_problems(session, found, rules(), now().date())
        if found.status is CircleStatus.PROPOSED
        else []
    )
    return page(
        "portal/circle.html",
        circle=found,
        profile=profile,
        profile_open=available(found),
        profile_order=[name for name, _ in SHARED_PROFILE],
        profile_labels=PROFILE_LABELS,
        roster=roster,
        volunteer_names={v.id: v.name for v in roster},
        meetings=meetings.meetings_of(session, found),
        concerns=concerns.concerns_of(session, found),
        problems=problems,
        now=now(),
        done=request.args.get("done"),
    )


@portal.route("/circles/<circle_id>/concerns/new", methods=["GET", "POST"])
@coordinator_required
def new_concern(circle_id: str) -> ResponseReturnValue:
    found = _circle(circle_id)
    if found is None:
        return not_found()
    context: dict[str, Any] = {
        "circle": found,
        "roster": circles.roster(db_session(), found),
        "severities": list(Severity),
        "categories": list(ConcernCategory),
        "form": request.form,
    }
    if request.method == "GET":
        return page("portal/concern_form.html", **context)

    def write() -> None:
        volunteer = request.form.get("volunteer", "")
        reporter = parse_id(volunteer) if volunteer else None
        if volunteer and reporter is None:
            raise FormProblem("volunteer", "Choose who reported the concern")
        description = request.form.get("description", "")
        errors = []
        if not request.form.get("severity"):
            errors.append(("severity", "Select how serious the concern is"))
        if not request.form.get("category"):
            errors.append(("category", "Select what the concern is about"))
        if not description.strip():
            errors.append(("description", "Enter what happened"))
        if errors:
            raise _Many(errors)
        concerns.raise_concern(
            db_session(),
            coordinator_actor(),
            found.id,
            category=request.form.get("category"),
            severity=request.form.get("severity"),
            description=description,
            reported_by_volunteer_id=reporter,
            rules=rules(),
            now=now(),
        )

    return _submit(write, "portal/concern_form.html", CONCERN_FIELDS, found, "concern", context)


@portal.route("/circles/<circle_id>/meetings/new", methods=["GET", "POST"])
@coordinator_required
def new_meeting(circle_id: str) -> ResponseReturnValue:
    found = _circle(circle_id)
    if found is None:
        return not_found()
    context: dict[str, Any] = {
        "circle": found,
        "form": request.form,
        "held_on": date_values("held_on"),
    }
    if request.method == "GET":
        return page("portal/meeting_form.html", **context)

    def write() -> None:
        meetings.record_meeting(
            db_session(),
            coordinator_actor(),
            found.id,
            held_on=date_field("held_on", "the date of the meeting", required=True),
            attendees=number_field("attendees", "the number of people at the meeting", 1, 20),
            summary=_required("summary", "Enter a summary of the meeting"),
            goals_progress=request.form.get("goals_progress"),
            rules=rules(),
            now=now(),
        )

    return _submit(write, "portal/meeting_form.html", MEETING_FIELDS, found, "meeting", context)


@portal.post("/circles/<circle_id>/meetings/<meeting_id>/send")
@coordinator_required
def send_minutes(circle_id: str, meeting_id: str) -> ResponseReturnValue:
    found = _circle(circle_id)
    wanted = parse_id(meeting_id)
    if found is None or wanted is None:
        return not_found()
    try:
        meetings.send_minutes(db_session(), coordinator_actor(), found.id, wanted, now=now())
    except NotFound:
        db_session().rollback()
        return not_found()
    except InvalidInput:
        db_session().rollback()  # already sent: say nothing new, show the circle
        return redirect(url_for("portal.circle", circle_id=found.id), code=303)
    db_session().commit()
    return redirect(url_for("portal.circle", circle_id=found.id, done="minutes"), code=303)


@portal.route("/circles/<circle_id>/volunteers/new", methods=["GET", "POST"])
@coordinator_required
def new_volunteer(circle_id: str) -> ResponseReturnValue:
    found = _circle(circle_id)
    if found is None:
        return not_found()
    context: dict[str, Any] = {
        "circle": found,
        "form": request.form,
        "dbs": date_values("dbs_check_date"),
        "trained": date_values("trained_on"),
    }
    if request.method == "GET":
        return page("portal/volunteer_form.html", **context)

    def write() -> None:
        circles.add_volunteer(
            db_session(),
            coordinator_actor(),
            found.id,
            name=_required("name", "Enter the volunteer's name"),
            dbs_check_date=date_field("dbs_check_date", "the date of the DBS check", required=True),
            trained_on=date_field("trained_on", "the date training was completed", required=False),
            vetted=request.form.get("vetted") == "yes",
            today=now().date(),
        )

    return _submit(
        write, "portal/volunteer_form.html", VOLUNTEER_FIELDS, found, "volunteer", context
    )


@portal.route("/circles/<circle_id>/agreements", methods=["GET", "POST"])
@coordinator_required
def agreements(circle_id: str) -> ResponseReturnValue:
    found = _circle(circle_id)
    if found is None:
        return not_found()
    context: dict[str, Any] = {
        "circle": found,
        "consent": date_values("consent_signed_on"),
        "contract": date_values("contract_signed_on"),
    }
    if request.method == "GET":
        return page("portal/agreements_form.html", **context)

    def write() -> None:
        circles.record_agreements(
            db_session(),
            coordinator_actor(),
            found.id,
            consent_signed_on=date_field(
                "consent_signed_on", "the date the consent was signed", required=False
            ),
            contract_signed_on=date_field(
                "contract_signed_on", "the date the contract was signed", required=False
            ),
            today=now().date(),
        )

    return _submit(
        write, "portal/agreements_form.html", AGREEMENT_FIELDS, found, "agreements", context
    )


@portal.post("/circles/<circle_id>/start")
@coordinator_required
def start(circle_id: str) -> ResponseReturnValue:
    found = _circle(circle_id)
    if found is None:
        return not_found()
    try:
        circles.start_circle(db_session(), coordinator_actor(), found.id, rules=rules(), now=now())
    except InvalidInput:
        db_session().rollback()  # the circle page lists what R-50 still needs
        return redirect(url_for("portal.circle", circle_id=found.id), code=303)
    db_session().commit()
    return redirect(url_for("portal.circle", circle_id=found.id, done="started"), code=303)


@portal.route("/circles/<circle_id>/consent-withdrawn", methods=["GET", "POST"])
@coordinator_required
def consent_withdrawn(circle_id: str) -> ResponseReturnValue:
    found = _circle(circle_id)
    if found is None:
        return not_found()
    if request.method == "GET":
        return page("portal/withdraw.html", circle=found)
    if request.form.get("confirm") != "yes":
        errors = [("confirm", "Confirm that the core member has withdrawn consent")]
        return page("portal/withdraw.html", circle=found, errors=errors), 400
    try:
        circles.withdraw_consent(db_session(), coordinator_actor(), found.id, now=now())
    except InvalidInput:
        db_session().rollback()
        return redirect(url_for("portal.circle", circle_id=found.id), code=303)
    db_session().commit()
    return redirect(url_for("portal.circle", circle_id=found.id, done="suspended"), code=303)


@portal.route("/<path:anything>", methods=["GET", "POST"])
@coordinator_required
def anything_else(anything: str) -> ResponseReturnValue:
    """Any other address under /portal: the portal's own 404, the same as a hidden circle."""
    return not_found()


class _Many(Exception):
    def __init__(self, errors: list[tuple[str, str]]) -> None:
        super().__init__(errors[0][1])
        self.errors = errors


def _submit(
    write: Callable[[], None],
    template: str,
    labels: dict[str, str],
    found: Circle,
    done: str,
    context: dict[str, Any],
) -> ResponseReturnValue:
    """Run the write; on any refusal roll it all back and show the form with its errors."""
    try:
        write()
    except _Many as many:
        errors = many.errors
    except FormProblem as problem:
        errors = [(problem.field, problem.message)]
    except InvalidInput as error:
        errors = [service_problem(error, labels)]
    else:
        db_session().commit()
        return redirect(url_for("portal.circle", circle_id=found.id, done=done), code=303)
    db_session().rollback()
    return page(template, errors=errors, **context), 400


def _required(name: str, message: str) -> str:
    value = request.form.get(name, "")
    if not value.strip():
        raise FormProblem(name, message)
    return value


def _circle(circle_id: str) -> Circle | None:
    """The coordinator's own circle, or None (then the caller answers 404)."""
    session = db_session()
    actor = coordinator_actor()
    wanted = parse_id(circle_id)
    try:
        if wanted is None:
            raise NotFound("circle")
        return circles.coordinated_circle(session, actor, wanted)
    except NotFound:
        record(
            session,
            AuditEntry(
                operation=AuditOperation.DENY,
                actor=actor,
                record_type="circle",
                record_ids=(str(wanted or uuid.UUID(int=0)),),
                outcome="NOT_THIS_COORDINATORS_CIRCLE",
            ),
        )
        session.commit()
        return None
