"""A case's other pages: who accessed it, "view as" another agency, its disclosure pack.

Each first reads the case through the gate as the signed-in person (their CONSULT entries),
so a case they may not see is the same 404 as a missing one, and only then does its own work.

* Who accessed this case (R-22, DPA 2018 s.62): each agency sees its own staff's and
  systems' entries about the case; an AUDITOR reading for audit oversight (the policy's
  `audit_log` read rule) sees every entry. Opening the tab is itself a CONSULT of the
  `audit_log`, naming the entries shown.
* View as (chairs and coordinators only): what a reader of another agency, in a role its
  staff can hold, would be shown of this case, decided by the same gate
  (`Gate.explain_case`). Values appear only where the chair may see them too; records the
  chair cannot see are not mentioned at all. Audited as a CONSULT of the case with
  `extra.view_as_agency` and `extra.view_as_role`.
* Disclosure pack: a PDF for a partner agency or, for outside requests, the executive
  summary (hub/packs/disclosure.py), audited as DISCLOSE with its recipient.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from typing import Any

from flask import Blueprint, Response, request
from flask.typing import ResponseReturnValue
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.accounts.web import login_required
from hub.app import db_session
from hub.audit import AuditEntry, record
from hub.audit.reports import accesses_to_subject
from hub.errors import NotFound
from hub.gate import CaseView, Reader
from hub.gate.gate import RecordExplanation
from hub.gate.subject import read_case_changes
from hub.models import Agency, MappaCase, User
from hub.packs.disclosure import PackRefused, executive_summary, partner_pack
from hub.vocabulary import ROLE_AGENCY_TYPES, AuditOperation, Role
from hub.web import present
from hub.web.reading import web_reader
from hub.web.workspace import (
    case_id_from,
    chosen_purpose,
    not_found_page,
    purpose_required,
    render_page,
    request_gate,
)

case_tabs = Blueprint("case_tabs", __name__, template_folder="templates")

VIEWERS = frozenset({Role.MAPPA_CHAIR_L2, Role.MAPPA_CHAIR_L3, Role.MAPPA_COORDINATOR})
# Roles a synthetic reader may take: people's roles, not systems' or governance roles.
VIEW_AS_ROLES = (
    Role.MAPPA_CHAIR_L2,
    Role.MAPPA_CHAIR_L3,
    Role.MAPPA_COORDINATOR,
    Role.OFFENDER_MANAGER,
    Role.MOSOVO_OFFICER,
    Role.DTC_REP,
    Role.HEALTH_DISCLOSER,
    Role.COSA_COORDINATOR,
    Role.COSA_VOLUNTEER,
)
MIN_JUSTIFICATION = 20


def may_view_as(reader: Reader) -> bool:
    return reader.actor.has_any_role(*VIEWERS)


def _read(session: Session, reader: Reader, case_id: str) -> CaseView | None:
    wanted = case_id_from(case_id)
    if wanted is None:
        return None
    try:
        view = request_gate().read_case(session, reader, wanted)
    except NotFound:
        session.commit()  # the DENY entry stays
        return None
    return view


# -- the case's history: level, category, status and lead changes ----------------------

HISTORY_LIMIT = 500  # a case changes level a handful of times a year; more is a data problem


@case_tabs.get("/cases/<case_id>/history")
@login_required
@purpose_required
def history(case_id: str) -> ResponseReturnValue:
    """Each change with its reason and the meeting that made it, oldest first, through the
    gate: a reader who may not read the case gets the same 404 as for a missing one."""
    wanted = case_id_from(case_id)
    if wanted is None:
        return not_found_page()
    session = db_session()
    reader = web_reader(chosen_purpose())
    try:
        changes, more = read_case_changes(
            request_gate(), session, reader, wanted, limit=HISTORY_LIMIT
        )
    except NotFound:
        session.commit()  # the DENY entry stays
        return not_found_page()
    session.commit()
    return render_page(
        "workspace/history.html",
        case_id=wanted,
        changes=changes,
        more=more is not None,
        tab="history",
        can_view_as=may_view_as(reader),
    )


# -- who accessed this case -------------------------------------------------------------


@case_tabs.get("/cases/<case_id>/access")
@login_required
@purpose_required
def access(case_id: str) -> ResponseReturnValue:
    session = db_session()
    reader = web_reader(chosen_purpose())
    everyone = _audits_all(reader)
    if everyone:
        # The auditor reads the whole log, which names every case: no case data is shown
        # here, so the case need only exist (the auditor may not read the case itself).
        wanted = case_id_from(case_id)
        found = None if wanted is None else session.get(MappaCase, wanted)
        if found is None:
            return not_found_page()
        shown_case: uuid.UUID = found.id
        person: uuid.UUID | None = found.person_id
    else:
        view = _read(session, reader, case_id)
        if view is None:
            return not_found_page()
        shown_case = view.case.id
        person = _person_of(session, view.case.id)
    rows = [
        row
        for row in accesses_to_subject(session, case_id=shown_case)
        if everyone or row.actor_agency_id == reader.actor.agency_id
    ]
    record(
        session,
        AuditEntry(
            operation=AuditOperation.CONSULT,
            actor=reader.actor,
            record_type="audit_log",
            record_ids=tuple(str(row.seq) for row in rows),
            case_id=shown_case,
            subject_person_id=person,
            extra={"view": "case_access", "scope": "all" if everyone else "own_agency"},
        ),
    )
    session.commit()
    names = _people(session, {row.actor_user_id for row in rows if row.actor_user_id})
    agencies = {
        str(i): n
        for i, n in session.execute(
            select(Agency.id, Agency.name).where(
                Agency.id.in_({row.actor_agency_id for row in rows})
            )
        )
    }
    return render_page(
        "workspace/access.html",
        case_id=shown_case,
        rows=list(reversed(rows)),
        everyone=everyone,
        people=names,
        agency_names=agencies,
        tab="access",
        can_view_as=may_view_as(reader),
    )


def _audits_all(reader: Reader) -> bool:
    """R-22: the AUDITOR, for audit oversight, as the policy's audit_log rule says."""
    decision = request_gate().policy.decide(
        {**reader.attributes(), "action": "read", "resource.type": "audit_log"}
    )
    return decision.permitted


def _people(session: Session, ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not ids:
        return {}
    found = session.execute(select(User.id, User.display_name).where(User.id.in_(ids)))
    return {row.id: row.display_name for row in found}


# -- view as ----------------------------------------------------------------------------


@case_tabs.get("/cases/<case_id>/view-as")
@login_required
@purpose_required
def view_as(case_id: str) -> ResponseReturnValue:
    session = db_session()
    reader = web_reader(chosen_purpose())
    if not may_view_as(reader):
        return render_page("workspace/not_allowed.html"), 403
    view = _read(session, reader, case_id)
    if view is None:
        return not_found_page()
    agencies = session.scalars(select(Agency).order_by(Agency.name)).all()
    context: dict[str, Any] = {
        "case_id": view.case.id,
        "choices": agencies,
        "roles": VIEW_AS_ROLES,
        "given": request.args,
        "tab": "view_as",
        "can_view_as": True,
    }
    if not request.args:
        session.commit()
        return render_page("workspace/view_as.html", **context)
    chosen, role, errors = _viewed_as(session, request.args)
    if errors or chosen is None or role is None:
        session.commit()
        return render_page("workspace/view_as.html", errors=errors, **context), 400
    other = Reader(
        replace(
            reader.actor,
            agency_id=chosen.id,
            user_id=None,
            roles=frozenset({role}),
            client_id="hub-view-as",
            justification=None,
        ),
        chosen.type,
    )
    explained = request_gate().explain_case(session, other, view.case.id)
    theirs = {e.id: e for e in explained}
    record(
        session,
        AuditEntry(
            operation=AuditOperation.CONSULT,
            actor=reader.actor,
            record_type="mappa_case",
            record_ids=(str(view.case.id),),
            case_id=view.case.id,
            subject_person_id=_person_of(session, view.case.id),
            fields_returned=tuple(theirs[view.case.id].returned) if view.case.id in theirs else (),
            policy_decision_id=view.case.decision_id,
            extra={
                "view": "view_as",
                "view_as_agency": str(chosen.id),
                "view_as_agency_type": chosen.type.value,
                "view_as_role": role.value,
            },
        ),
    )
    session.commit()
    names = present.agency_names(session, [view.case, *view.items])
    records = [r for r in (view.case, view.person, *view.items) if r is not None]
    return render_page(
        "workspace/view_as.html",
        viewed=[_compare(r, theirs.get(r.id), names) for r in records],
        chosen=chosen,
        role=role,
        **context,
    )


def _viewed_as(
    session: Session, given: Any
) -> tuple[Agency | None, Role | None, list[tuple[str, str]]]:
    errors: list[tuple[str, str]] = []
    agency = None
    try:
        agency = session.get(Agency, uuid.UUID(given.get("agency", "")))
    except ValueError:
        agency = None
    if agency is None:
        errors.append(("agency", "Select the agency to view the case as"))
    role = Role.__members__.get(given.get("role", ""))
    if role is None or role not in VIEW_AS_ROLES:
        errors.append(("role", "Select the role to view the case as"))
        role = None
    elif agency is not None:
        allowed = ROLE_AGENCY_TYPES.get(role)
        if allowed is not None and agency.type not in allowed:
            errors.append(("role", f"Select a role that {agency.name} staff can hold"))
    return agency, role, errors


def _compare(
    mine: Any, theirs: RecordExplanation | None, agencies: dict[str, str]
) -> dict[str, Any]:
    """One record as the other reader would get it, in the chair's words."""
    heading = {"case": "The case", "person": "The person"}.get(mine.type)
    if heading is None:
        section = present.SECTION_HEADINGS.get(mine.category or "OTHER", "Other information")
        heading = f"{section}: item"
    labels = {
        "case": present.CASE_FIELDS,
        "person": present.PERSON_FIELDS,
    }.get(mine.type, present.ITEM_FIELDS)
    shown = theirs is not None and theirs.decision.permitted
    rows: list[tuple[str, str, str | None, str | None]] = []
    if shown and theirs is not None:
        for name in [*theirs.returned, *theirs.withheld]:
            label = labels.get(name, name.replace("_", " ").capitalize())
            if name in theirs.withheld:
                rows.append((name, label, None, theirs.withheld[name]))
            elif name in mine.fields:
                rows.append((name, label, present.words(name, mine.fields[name], agencies), None))
            else:
                rows.append((name, label, "", None))  # theirs to see, not yours
    reason = ""
    if theirs is not None and not shown:
        reason = " ".join(theirs.decision.forbidden_by) or "no rule lets them see it"
    return {
        "type": mine.type,
        "id": mine.id,
        "heading": heading,
        "category": mine.category,
        "shown": shown,
        "rows": rows,
        "reason": reason,
    }


def _person_of(session: Session, case_id: uuid.UUID) -> uuid.UUID | None:
    case = session.get(MappaCase, case_id)
    return None if case is None else case.person_id


# -- disclosure pack --------------------------------------------------------------------


@case_tabs.route("/cases/<case_id>/pack", methods=["GET", "POST"])
@login_required
@purpose_required
def pack(case_id: str) -> ResponseReturnValue:
    session = db_session()
    reader = web_reader(chosen_purpose())
    wanted = case_id_from(case_id)
    if wanted is None:
        return not_found_page()
    context: dict[str, Any] = {
        "case_id": wanted,
        "choices": session.scalars(select(Agency).order_by(Agency.name)).all(),
        "given": request.form,
        "tab": "pack",
        "can_view_as": may_view_as(reader),
    }
    errors: list[tuple[str, str]] = []
    recipient: Agency | None = None
    if request.method == "POST":
        recipient, requester, justification, errors = _pack_form(session)
    if request.method == "GET" or errors:
        # The form shows nothing of the case, but only to someone who may see the case.
        if _read(session, reader, case_id) is None:
            return not_found_page()
        session.commit()
        status = 400 if errors else 200
        return render_page("workspace/pack.html", errors=errors, **context), status
    maker = Reader(replace(reader.actor, justification=justification), reader.agency_type)
    try:
        if recipient is not None:
            made = partner_pack(session, request_gate(), maker, wanted, recipient)
        else:
            made = executive_summary(session, request_gate(), maker, wanted, requester)
    except NotFound:
        session.commit()  # the DENY entry stays
        return not_found_page()
    except PackRefused as refused:
        session.rollback()  # nothing left the hub: no CONSULT, no DISCLOSE
        errors = [("kind", str(refused))]
        return render_page("workspace/pack.html", errors=errors, **context), 403
    session.commit()  # the CONSULT and DISCLOSE entries before the pack leaves
    kind = "pack" if recipient is not None else "executive-summary"
    name = f"{present.reference(wanted).replace(' ', '-').lower()}-{kind}.pdf"
    return Response(
        made.pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _pack_form(session: Session) -> tuple[Agency | None, str, str, list[tuple[str, str]]]:
    form = request.form
    kind = form.get("kind", "")
    justification = form.get("justification", "").strip()
    requester = form.get("requester", "").strip()
    errors: list[tuple[str, str]] = []
    recipient: Agency | None = None
    if kind not in ("partner", "summary"):
        errors.append(("kind", "Select which pack to make"))
    elif kind == "partner":
        try:
            recipient = session.get(Agency, uuid.UUID(form.get("recipient", "")))
        except ValueError:
            recipient = None
        if recipient is None:
            errors.append(("recipient", "Select the agency the pack is for"))
    elif not requester or len(requester) > 120:
        errors.append(("requester", "Enter who asked for the summary, in 120 characters or fewer"))
    if len(justification) < MIN_JUSTIFICATION:
        errors.append(
            (
                "justification",
                f"Enter why the pack is needed, in {MIN_JUSTIFICATION} characters or more",
            )
        )
    return recipient, requester, justification, errors
