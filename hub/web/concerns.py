"""The outer circle's side of a COSA concern (R-52, scenario 4), in the workspace.

Police and probation members of a circle's outer circle see a concern the dashboard lists,
acknowledge it (which stops its escalation to the provider's manager), and send the
coordinator the outcome: what was done, never the intelligence behind it. The concern's own
words are a RISK item on the case, read on the case page through the gate; this page shows
only what the panel shows, plus where the concern stands. Anyone outside the outer circle
gets the same 404 as for a concern that does not exist.
"""

from __future__ import annotations

import uuid

from flask import Blueprint, redirect, request, url_for
from flask.typing import ResponseReturnValue

from hub.accounts.web import login_required
from hub.app import db_session
from hub.audit import AuditEntry, record
from hub.cosa.concerns import acknowledge, for_outer_circle, record_outcome
from hub.cosa.models import Circle, Concern
from hub.db import utcnow
from hub.errors import InvalidInput, NotFound
from hub.vocabulary import AuditOperation
from hub.web.reading import web_reader
from hub.web.workspace import (
    case_id_from,
    chosen_purpose,
    not_found_page,
    purpose_required,
    render_page,
)

concerns = Blueprint("concerns", __name__, template_folder="templates")
SHOWN_FIELDS = ("category", "severity", "raised_at", "circle", "acknowledged_at", "outcome")


@concerns.get("/concerns/<concern_id>")
@login_required
@purpose_required
def concern(concern_id: str) -> ResponseReturnValue:
    found = _found(concern_id)
    if found is None:
        return not_found_page()
    return _page(*found)


@concerns.post("/concerns/<concern_id>/acknowledge")
@login_required
@purpose_required
def acknowledge_concern(concern_id: str) -> ResponseReturnValue:
    wanted = case_id_from(concern_id)
    if wanted is None:
        return not_found_page()
    session = db_session()
    try:
        acknowledge(session, web_reader(chosen_purpose()).actor, wanted, now=utcnow())
    except NotFound:
        return not_found_page()
    except InvalidInput:
        pass  # already acknowledged, by someone else a moment ago: nothing to do
    session.commit()
    return redirect(url_for("concerns.concern", concern_id=wanted, done="acknowledged"), 303)


@concerns.post("/concerns/<concern_id>/outcome")
@login_required
@purpose_required
def outcome(concern_id: str) -> ResponseReturnValue:
    wanted = case_id_from(concern_id)
    if wanted is None:
        return not_found_page()
    session = db_session()
    text = request.form.get("outcome", "")
    try:
        record_outcome(
            session, web_reader(chosen_purpose()).actor, wanted, outcome=text, now=utcnow()
        )
    except NotFound:
        return not_found_page()
    except InvalidInput as error:
        session.rollback()  # nothing half-written
        found = _found(concern_id)
        if found is None:
            return not_found_page()
        message = "Enter what the coordinator should be told"
        if "characters" in error.problem:
            message = "The outcome must be 2,000 characters or fewer"
        return _page(*found, errors=[("outcome", message)], typed=text), 400
    session.commit()
    return redirect(url_for("concerns.concern", concern_id=wanted, done="outcome"), 303)


def _found(concern_id: str) -> tuple[Concern, Circle] | None:
    wanted = case_id_from(concern_id)
    if wanted is None:
        return None
    session = db_session()
    reader = web_reader(chosen_purpose())
    try:
        found = for_outer_circle(session, reader.actor, wanted)
    except NotFound:
        return None
    concern, circle = found
    record(
        session,
        AuditEntry(
            operation=AuditOperation.CONSULT,
            actor=reader.actor,
            record_type="concern",
            record_ids=(str(concern.id),),
            subject_person_id=circle.person_id,
            case_id=concern.case_id,
            fields_returned=SHOWN_FIELDS,
        ),
    )
    session.commit()
    return found


def _page(
    concern: Concern,
    circle: Circle,
    *,
    errors: list[tuple[str, str]] | None = None,
    typed: str | None = None,
) -> str:
    return render_page(
        "concerns/concern.html",
        concern=concern,
        circle=circle,
        done=request.args.get("done"),
        errors=errors or [],
        typed=typed if typed is not None else "",
        case_id=uuid.UUID(str(concern.case_id)),
    )
