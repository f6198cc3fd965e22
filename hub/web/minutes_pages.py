"""Minutes pages (MAPPA B): one case's minutes at a meeting, its disclosure decisions, actions
and agency contributions, the chair's approval, and the minutes PDF.

Routes of the meetings blueprint (hub/web/meetings.py), read and written the same way: the
gate first (hub/meetings/reading.py), then the policy's `edit` on the minutes, then a service,
in one transaction that a refusal rolls back whole.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Response, current_app, redirect, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from hub.accounts.web import current_user, login_required
from hub.app import db_session
from hub.errors import Conflict, HubError, InvalidInput, NotFound
from hub.gate.writes import WriteRefused
from hub.meetings import actions, agenda, disclosures, minutes
from hub.meetings.common import NotPermitted
from hub.meetings.models import DisclosureDecision, MeetingCaseItem, MeetingStatus, MinutesStatus
from hub.meetings.reading import authorise_minutes, minutes_for
from hub.web.meeting_forms import date_parts, joined_date, typed
from hub.web.meetings import (
    _agency_names,
    _errors,
    _not_found,
    _reader,
    _render,
    _uuid,
    _version,
    meetings,
)
from hub.web.minutes_pdf import minutes_document
from hub.web.reading import gate, today
from hub.web.workspace import purpose_required


@meetings.get("/meetings/<meeting_id>/cases/<item_id>")
@login_required
@purpose_required
def minutes_page(meeting_id: str, item_id: str) -> ResponseReturnValue:
    return _minutes_page(meeting_id, item_id)


def _minutes_page(
    meeting_id: str,
    item_id: str,
    *,
    errors: list[tuple[str, str]] | None = None,
    values: dict[str, Any] | None = None,
    extra: dict[str, Any] | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    ids = _uuid(meeting_id), _uuid(item_id)
    if ids[0] is None or ids[1] is None:
        return _not_found()
    session = db_session()
    reader = _reader()
    g = gate()
    try:
        access = minutes_for(g, session, reader, ids[0], ids[1])
    except NotFound:
        session.commit()
        return _not_found()
    session.commit()
    item = access.item
    shown = values if values is not None else _stored_values(item)
    shown = {**shown, **(extra or {})}
    decisions = sorted(
        session.scalars(select(DisclosureDecision).where(DisclosureDecision.item_id == item.id)),
        key=lambda d: d.created_at,
    )
    return _render(
        "meetings/minutes.html",
        access=access,
        item=item,
        meeting=access.meeting,
        view=access.view,
        values=shown,
        decisions=decisions,
        sections=minutes.SECTIONS,
        rmp=minutes.RMP,
        agencies=_agency_names(),
        is_chair=reader.actor.user_id == access.meeting.chair_user_id,
        approved=item.status is MinutesStatus.CHAIR_APPROVED,
        held=access.meeting.status is MeetingStatus.HELD,
        own_agency=reader.actor.agency_id,
        errors=errors or [],
        today=today(),
    ), status


def _stored_values(item: MeetingCaseItem) -> dict[str, Any]:
    values: dict[str, Any] = {k: v for k, v in item.sections.items() if isinstance(v, str)}
    values["victims_none_identified"] = (
        "yes" if item.sections.get("victims_none_identified") else ""
    )
    values.update(
        category=str(item.category or ""),
        level_decided=str(item.level_decided or ""),
        lead_agency_id=str(item.lead_agency_id or ""),
        review_override_reason=item.review_override_reason or "",
        child_check_override_reason=item.child_check_override_reason or "",
        no_actions="yes" if item.no_actions else "",
        version=str(item.version),
        **date_parts("next_review_date", item.next_review_date),
    )
    return values


@meetings.post("/meetings/<meeting_id>/cases/<item_id>")
@login_required
@purpose_required
def save(meeting_id: str, item_id: str) -> ResponseReturnValue:
    values = {
        **typed(request.form),
        "next_review_date": joined_date(request.form, "next_review_date"),
    }
    approving = request.form.get("action") == "approve"
    settings = current_app.config["HUB_SETTINGS"]

    def write(session: Any, reader: Any, item: Any) -> None:
        authorise_minutes(gate(), session, reader, item, "edit")
        minutes.save_minutes(
            session, reader.actor, item_id=item.id, values=values, expected_version=_version()
        )
        if approving:
            minutes.approve_minutes(session, reader.actor, item_id=item.id, settings=settings)

    return _minutes_write(meeting_id, item_id, write, form="minutes")


@meetings.post("/meetings/<meeting_id>/cases/<item_id>/actions")
@login_required
@purpose_required
def add_action(meeting_id: str, item_id: str) -> ResponseReturnValue:
    form = request.form

    def write(session: Any, reader: Any, item: Any) -> None:
        authorise_minutes(gate(), session, reader, item, "edit")
        actions.add_action(
            session,
            reader.actor,
            item_id=item.id,
            description=form.get("action_description"),
            owner_agency_id=form.get("action_owner_agency"),
            owner_name=form.get("action_owner_name"),
            due_date=joined_date(form, "action_due_date"),
            rmp_pillar=form.get("action_pillar") or None,
            today=today(),
        )

    return _minutes_write(meeting_id, item_id, write, form="add-action")


@meetings.post("/meetings/<meeting_id>/cases/<item_id>/disclosures")
@login_required
@purpose_required
def add_disclosure(meeting_id: str, item_id: str) -> ResponseReturnValue:
    form = request.form

    def write(session: Any, reader: Any, item: Any) -> None:
        authorise_minutes(gate(), session, reader, item, "edit")
        disclosures.record_disclosure(
            session,
            reader.actor,
            case_id=item.case_id,
            item_id=item.id,
            decision=form.get("decision", ""),
            route=form.get("route", ""),
            reason=form.get("reason", ""),
        )

    return _minutes_write(meeting_id, item_id, write, form="add-disclosure")


@meetings.post("/meetings/<meeting_id>/cases/<item_id>/contributions")
@login_required
@purpose_required
def contribute(meeting_id: str, item_id: str) -> ResponseReturnValue:
    def write(session: Any, reader: Any, item: Any) -> None:
        agenda.submit_contribution(
            session, reader.actor, item_id=item.id, summary=request.form.get("summary", "")
        )

    return _minutes_write(meeting_id, item_id, write, form="contribution")


def _minutes_write(
    meeting_id: str, item_id: str, write: Callable[..., None], *, form: str
) -> ResponseReturnValue:
    ids = _uuid(meeting_id), _uuid(item_id)
    if ids[0] is None or ids[1] is None:
        return _not_found()
    session = db_session()
    reader = _reader()
    try:
        access = minutes_for(gate(), session, reader, ids[0], ids[1])
    except NotFound:
        session.commit()
        return _not_found()
    if not access.acknowledged:
        session.rollback()
        return _minutes_page(
            meeting_id, item_id, errors=[("acknowledge", _ACKNOWLEDGE_FIRST)], status=400
        )
    try:
        write(session, reader, access.item)
    except WriteRefused as refused:
        session.commit()  # the DENY is evidence
        return _render("meetings/refused.html", reason=refused.reason), 403
    except (InvalidInput, NotPermitted, Conflict) as refused:
        session.rollback()
        code = 409 if isinstance(refused, Conflict) else 400
        kept = typed(request.form)
        return _minutes_page(
            meeting_id,
            item_id,
            errors=_errors(refused, form),
            values=kept if form == "minutes" else None,
            extra=None if form == "minutes" else kept,
            status=code,
        )
    session.commit()
    return redirect(
        url_for("meetings.minutes_page", meeting_id=meeting_id, item_id=item_id) + f"#{form}",
        code=303,
    )


_ACKNOWLEDGE_FIRST = "Acknowledge the confidentiality statement on the meeting page first"


@meetings.post("/meetings/<meeting_id>/cases/<item_id>/minutes.pdf")
@login_required
@purpose_required
def minutes_pdf(meeting_id: str, item_id: str) -> ResponseReturnValue:
    """R-11: a copy for someone on the meeting's list, with a justification, audited as
    DISCLOSE naming the recipient before the PDF leaves."""
    ids = _uuid(meeting_id), _uuid(item_id)
    if ids[0] is None or ids[1] is None:
        return _not_found()
    session = db_session()
    reader = _reader()
    user = current_user()
    try:
        access = minutes_for(gate(), session, reader, ids[0], ids[1])
    except NotFound:
        session.commit()
        return _not_found()
    try:
        pdf = minutes_document(
            gate(), session, reader, access, user, request.form.get("justification", "")
        )
    except (InvalidInput, HubError) as refused:
        session.rollback()
        return _minutes_page(
            meeting_id, item_id, errors=_errors(refused, "justification"), status=400
        )
    session.commit()  # the DISCLOSE entry first, then the paper
    name = f"minutes-{access.case.id.hex[:8]}.pdf"
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
