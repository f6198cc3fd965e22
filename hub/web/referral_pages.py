"""Referral pages (MAPPA A): draft and submit (R-10), the coordinator's screening (R-10, R-08).

Routes of the meetings blueprint. A referral is case data: the page first reads its case
through the gate, so a referral of a case the person may not see is the missing 404.
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import current_app, redirect, request, url_for
from flask.typing import ResponseReturnValue

from hub.accounts.web import login_required
from hub.app import db_session
from hub.errors import Conflict, InvalidInput, NotFound
from hub.meetings import referrals
from hub.meetings.common import NotPermitted
from hub.meetings.models import Referral, ReferralStatus
from hub.vocabulary import Role
from hub.web.meeting_forms import typed
from hub.web.meetings import _errors, _not_found, _reader, _render, _uuid, _version, meetings
from hub.web.reading import gate, today
from hub.web.workspace import purpose_required


@meetings.route("/cases/<case_id>/referral", methods=["GET", "POST"])
@login_required
@purpose_required
def refer(case_id: str) -> ResponseReturnValue:
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
    values: dict[str, Any] = {"level_requested": "2"}
    if request.method == "GET":
        return _form(wanted, values, [])
    values = typed(request.form)
    sections = {
        k.removeprefix("sections-"): v for k, v in values.items() if k.startswith("sections-")
    }
    level = values.get("level_requested", "")
    try:
        made = referrals.draft_referral(
            session,
            reader.actor,
            case_id=wanted,
            level_requested=int(level) if level in ("2", "3") else level,
            sections=sections,
        )
        if values.get("action") == "submit":
            referrals.submit_referral(session, reader.actor, referral_id=made.id)
    except InvalidInput as refused:
        session.rollback()
        return _form(wanted, values, _errors(refused)), 400
    session.commit()
    return redirect(url_for("meetings.referral", referral_id=made.id), code=303)


def _form(case_id: uuid.UUID, values: dict[str, Any], errors: list[tuple[str, str]]) -> str:
    level = 3 if values.get("level_requested") == "3" else 2
    return _render(
        "meetings/referral_form.html",
        case_id=case_id,
        values=values,
        errors=errors,
        labels=referrals.section_labels(level) | referrals.section_labels(3),
        required=set(referrals.REQUIRED_SECTIONS),
    )


@meetings.route("/referrals/<referral_id>", methods=["GET", "POST"])
@login_required
@purpose_required
def referral(referral_id: str) -> ResponseReturnValue:
    wanted = _uuid(referral_id)
    if wanted is None:
        return _not_found()
    session = db_session()
    reader = _reader()
    found = session.get(Referral, wanted)
    try:
        if found is None:
            gate()._deny_missing(session, reader, "referral", wanted)
            raise NotFound("referral")
        gate().read_case(session, reader, found.case_id)
    except NotFound:
        session.commit()
        return _not_found()
    errors: list[tuple[str, str]] = []
    status = 200
    if request.method == "POST":
        try:
            _act(session, reader.actor, found)
        except (InvalidInput, NotPermitted, Conflict) as refused:
            session.rollback()
            errors, status = (
                _errors(refused, "screening"),
                409 if isinstance(refused, Conflict) else 400,
            )
            found = session.get_one(Referral, wanted)
            gate().read_case(session, reader, found.case_id)
        else:
            session.commit()
            return redirect(url_for("meetings.referral", referral_id=wanted), code=303)
    session.commit()
    return _render(
        "meetings/referral.html",
        referral=found,
        labels=referrals.section_labels(found.level_requested),
        late=referrals.initial_meeting_late(session, found, today()),
        screener=reader.actor.has_any_role(Role.MAPPA_COORDINATOR),
        values=typed(request.form) if errors else {},
        errors=errors,
    ), status


def _act(session: Any, actor: Any, found: Referral) -> None:
    if request.form.get("action") == "submit":
        referrals.submit_referral(session, actor, referral_id=found.id, expected_version=_version())
        return
    referrals.screen_referral(
        session,
        actor,
        referral_id=found.id,
        outcome=request.form.get("outcome", ""),
        reason=request.form.get("reason", ""),
        today=today(),
        settings=current_app.config["HUB_SETTINGS"],
        expected_version=_version(),
    )


__all__ = ["ReferralStatus", "refer", "referral"]
