"""Disclosure pages: an urgent disclosure outside a meeting (R-27), and completing a decision
to disclose (R-26). Routes of the meetings blueprint.

Both read the case through the gate first (a hidden case is the missing 404) and need the
policy's `disclose` on the case record: purpose "deciding whether to disclose", the lead
agency or the chair, and a justification (the urgent reason, or the one given here).
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from typing import Any

from flask import redirect, request, url_for
from flask.typing import ResponseReturnValue

from hub.accounts.web import login_required
from hub.app import db_session
from hub.errors import Conflict, InvalidInput, NotFound
from hub.gate import Reader
from hub.gate.writes import WriteRefused
from hub.meetings import disclosures
from hub.meetings.models import DisclosureChoice, DisclosureDecision
from hub.meetings.reading import authorise_disclosure
from hub.models import MappaCase
from hub.vocabulary import Purpose
from hub.web.meeting_forms import joined_date, typed
from hub.web.meetings import _errors, _not_found, _reader, _render, _uuid, _version, meetings
from hub.web.reading import gate
from hub.web.workspace import purpose_required


def _justified(reader: Reader, why: str) -> Reader:
    """The reader as discloser: the act's purpose is the disclosure decision (whatever they
    chose to read the case for), with their justification; both go in its audit entries."""
    actor = replace(
        reader.actor, purpose=Purpose.DISCLOSURE_DECISION.value, justification=why.strip()
    )
    return Reader(actor, reader.agency_type)


@meetings.route("/cases/<case_id>/urgent-disclosure", methods=["GET", "POST"])
@login_required
@purpose_required
def urgent(case_id: str) -> ResponseReturnValue:
    wanted = _uuid(case_id)
    if wanted is None:
        return _not_found()
    session = db_session()
    reader = _reader()
    try:
        gate().read_case(session, reader, wanted)
    except NotFound:
        session.commit()
        return _not_found()
    session.commit()
    if request.method == "GET":
        return _render("meetings/urgent.html", case_id=wanted, values={})
    values = typed(request.form)
    why = values.get("urgent_reason", "")
    try:
        authorise_disclosure(
            gate(), session, _justified(reader, why), session.get_one(MappaCase, wanted)
        )
        made = disclosures.record_disclosure(
            session,
            _justified(reader, why).actor,
            case_id=wanted,
            decision=DisclosureChoice.DISCLOSE.value,
            route=values.get("route", ""),
            urgent_reason=why,
        )
    except WriteRefused as refused:
        session.commit()
        return _render("meetings/refused.html", reason=refused.reason), 403
    except InvalidInput as refused:
        session.rollback()
        return _render(
            "meetings/urgent.html", case_id=wanted, values=values, errors=_errors(refused)
        ), 400
    session.commit()
    return redirect(url_for("meetings.disclosure", decision_id=made.id), code=303)


@meetings.route("/disclosures/<decision_id>", methods=["GET", "POST"])
@login_required
@purpose_required
def disclosure(decision_id: str) -> ResponseReturnValue:
    wanted = _uuid(decision_id)
    if wanted is None:
        return _not_found()
    session = db_session()
    reader = _reader()
    found = session.get(DisclosureDecision, wanted)
    try:
        if found is None:
            gate()._deny_missing(session, reader, "disclosure_decision", wanted)
            raise NotFound("disclosure")
        gate().read_case(session, reader, found.case_id)
    except NotFound:
        session.commit()
        return _not_found()
    if request.method == "GET":
        session.commit()
        return _page(found, {}, [])
    values: dict[str, Any] = {
        **typed(request.form),
        "disclosed_on": joined_date(request.form, "disclosed_on"),
        "undertaking_signed_on": joined_date(request.form, "undertaking_signed_on"),
    }
    justified = _justified(reader, values.get("justification", ""))
    try:
        authorise_disclosure(gate(), session, justified, session.get_one(MappaCase, found.case_id))
        disclosures.complete_disclosure(
            session,
            justified.actor,
            decision_id=found.id,
            values=values,
            expected_version=_version(),
        )
    except WriteRefused as refused:
        session.commit()
        return _render("meetings/refused.html", reason=refused.reason), 403
    except (InvalidInput, Conflict) as refused:
        session.rollback()
        found = session.get_one(DisclosureDecision, wanted)
        gate().read_case(session, reader, found.case_id)
        session.commit()
        code = 409 if isinstance(refused, Conflict) else 400
        return _page(found, typed(request.form), _errors(refused, "complete")), code
    session.commit()
    return redirect(url_for("meetings.disclosure", decision_id=wanted), code=303)


def _page(found: DisclosureDecision, values: dict[str, Any], errors: list[tuple[str, str]]) -> str:
    return _render("meetings/disclosure.html", decision=found, values=values, errors=errors)


__all__ = ["disclosure", "urgent", "uuid"]
