"""COSA circles in the workspace (issue 9): the referrer proposes one, the outer circle briefs it.

What `hub cosa create-circle` and `hub cosa profile` do, as pages, through the same services:

* Propose a circle (`/cases/<id>/circles/new`): a police or probation referrer
  (`circles.REFERRERS`) who may read the case for the purpose they chose names the provider's
  coordinator and manager and the outer circle; `circles.create_circle` checks and audits.
* The circle page (`/circles/<id>`): for members of its outer circle only
  (`circles.outer_circle_circle`), after the case record is read through the gate for the
  stated purpose. It shows the circle's state, what R-50 still lacks before it can start
  (`circles.start_problems`), and the briefing of the shared profile (R-51 whitelist). The
  page is audited as a CONSULT of the circle and of the profile fields shown.
* Brief the circle (`/circles/<id>/profile`): one whitelisted field at a time, written by
  `profile.set_entry` exactly as the CLI writes it (same checks, same audit entry); a refused
  write is rolled back whole and named in the GOV.UK error summary.

Anyone outside the outer circle, and any unknown or tampered id, gets the workspace's 404
page, and the attempt is audited as a DENY on `circle`, as the portal does.
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import Blueprint, current_app, redirect, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.accounts.web import current_actor, login_required
from hub.actor import Actor
from hub.app import db_session
from hub.audit import AuditEntry, record, record_many
from hub.cosa import circles, profile
from hub.cosa.models import Circle, CircleOuterMember
from hub.cosa.notices import outer_circle
from hub.cosa.rules import CosaRules, rules_of
from hub.cosa.vocabulary import CircleStatus, CircleType
from hub.errors import InvalidInput, NotFound, RuleViolation
from hub.gate import Reader
from hub.models import Agency, User
from hub.vocabulary import AgencyType, AuditOperation, Role
from hub.web import present
from hub.web.reading import today, web_reader
from hub.web.workspace import (
    case_id_from,
    chosen_purpose,
    not_found_page,
    purpose_required,
    render_page,
    request_gate,
)

circle_pages = Blueprint("circle_pages", __name__, template_folder="templates")

STATE_FIELDS = ("reference", "type", "status", "started_at", "planned_end", "start_problems")
TYPE_LABELS = {
    CircleType.COMMUNITY: "Community",
    CircleType.THROUGH_THE_GATE: "Through the gate",
    CircleType.INTELLECTUAL_DISABILITY: "Intellectual disability",
    CircleType.YOUTH: "Youth",
}
STATUS_WORDS = {
    CircleStatus.PROPOSED: ("Proposed", "blue"),
    CircleStatus.ACTIVE: ("Active", "green"),
    CircleStatus.SUSPENDED: ("Suspended", "red"),
    CircleStatus.ENDED: ("Ended", "grey"),
}
# The form's own fields, and what to say when the service refuses one of them.
CHOOSE = {
    "coordinator": "Select the COSA coordinator",
    "manager": "Select the provider's manager",
    "police": "Select the police contact",
    "probation": "Select a probation contact, or none",
}
TEXT_LIMIT = "4,000"


# -- the case page's link ----------------------------------------------------------------


@circle_pages.app_context_processor
def _case_page_helpers() -> dict[str, Any]:
    return {"cosa_circles_of": circles_on_case}


def circles_on_case(case_id: uuid.UUID) -> tuple[list[Circle], bool]:
    """For the case page: the circles of this case whose outer circle names the signed-in
    person (the only ones they may open), and whether they may propose one."""
    actor = current_actor()
    if actor is None or actor.user_id is None:
        return [], False
    found = db_session().scalars(
        select(Circle)
        .join(CircleOuterMember, CircleOuterMember.circle_id == Circle.id)
        .where(Circle.case_id == case_id, CircleOuterMember.user_id == actor.user_id)
        .order_by(Circle.reference)
    )
    return list(found), actor.has_any_role(*circles.REFERRERS)


# -- propose a circle ----------------------------------------------------------------------


@circle_pages.route("/cases/<case_id>/circles/new", methods=["GET", "POST"])
@login_required
@purpose_required
def propose(case_id: str) -> ResponseReturnValue:
    wanted = case_id_from(case_id)
    reader = web_reader(chosen_purpose())
    if wanted is None or not reader.actor.has_any_role(*circles.REFERRERS):
        return not_found_page()
    session = db_session()
    try:
        request_gate().read_case_record(session, reader, wanted)
    except NotFound:
        session.commit()  # the DENY entry stays
        return not_found_page()
    session.commit()
    choices = _choices(session)
    if request.method == "GET":
        return _propose_form(wanted, _defaults(reader), [], choices)
    values = {name: request.form.get(name, "").strip() for name in _PROPOSE_FIELDS}
    errors, ids = _chosen_people(values)
    if errors:
        return _propose_form(wanted, values, errors, choices), 400
    outer = [circles.OuterMemberInput(ids["police"], "POLICE_CONTACT")]
    if "probation" in ids:
        outer.append(circles.OuterMemberInput(ids["probation"], "PROBATION_CONTACT"))
    try:
        made = circles.create_circle(
            session,
            reader.actor,
            case_id=wanted,
            reference=values["reference"],
            circle_type=values["type"],
            coordinator_id=ids["coordinator"],
            manager_id=ids["manager"],
            outer=outer,
        )
    except NotFound:
        session.rollback()
        return not_found_page()
    except InvalidInput as refused:
        session.rollback()  # nothing half-written: no circle, no outer circle, no audit
        return _propose_form(wanted, values, [_propose_error(refused, values)], choices), 400
    member = reader.actor.user_id in outer_circle(session, made)
    session.commit()
    if member:
        return redirect(url_for("circle_pages.circle", circle_id=made.id, done="proposed"), 303)
    # The referrer named other contacts: the circle is theirs to open, not the referrer's.
    return redirect(url_for("workspace.case", case_id=wanted), 303)


_PROPOSE_FIELDS = ("reference", "type", "coordinator", "manager", "police", "probation")


def _defaults(reader: Reader) -> dict[str, str]:
    """The referrer is the obvious contact of their own agency's kind."""
    values = {"type": CircleType.COMMUNITY.value}
    me = str(reader.actor.user_id)
    if reader.agency_type is AgencyType.RA_POLICE:
        values["police"] = me
    elif reader.agency_type is AgencyType.RA_PROBATION:
        values["probation"] = me
    return values


def _chosen_people(values: dict[str, str]) -> tuple[list[tuple[str, str]], dict[str, uuid.UUID]]:
    """The people chosen, as ids; a blank or tampered choice is the field's own error."""
    errors = []
    ids: dict[str, uuid.UUID] = {}
    for name, message in CHOOSE.items():
        given = values[name]
        if not given and name == "probation":
            continue
        chosen = case_id_from(given) if given else None
        if chosen is None:
            errors.append((name, message))
        else:
            ids[name] = chosen
    return errors, ids


def _propose_error(refused: InvalidInput, values: dict[str, str]) -> tuple[str, str]:
    field, problem = refused.field, refused.problem
    if field == "reference":
        if "already exists" in problem:
            return field, f"A circle with reference {values['reference'].upper()} already exists"
        if "at most" in problem:
            return field, "The reference must be 40 characters or fewer"
        return field, "Enter the provider's reference for the circle"
    if field == "type":
        return field, "Select the type of circle"
    if field in ("coordinator", "manager"):
        return field, f"{CHOOSE[field]}: the {field} {problem}"
    if field.startswith("outer"):
        # The police contact is checked first; a probation contact is refused only after it.
        target = "police" if "police" in problem or not values["probation"] else "probation"
        return target, f"{CHOOSE[target]}: {problem}"
    return field, problem[:1].upper() + problem[1:]


def _propose_form(
    case_id: uuid.UUID,
    values: dict[str, str],
    errors: list[tuple[str, str]],
    choices: dict[str, list[tuple[str, str]]],
) -> str:
    return render_page(
        "circles/propose.html",
        case_id=case_id,
        values=values,
        errors=errors,
        choices=choices,
        types=[(t.value, label) for t, label in TYPE_LABELS.items()],
    )


def _choices(session: Session) -> dict[str, list[tuple[str, str]]]:
    """Who may be named, by the agency they work for (the service checks each again)."""
    people = session.scalars(
        select(User)
        .join(Agency, Agency.id == User.agency_id)
        .where(
            User.active.is_(True),
            Agency.type.in_(
                [AgencyType.COSA_PROVIDER, AgencyType.RA_POLICE, AgencyType.RA_PROBATION]
            ),
        )
        .order_by(Agency.name, User.display_name)
    ).all()
    found: dict[str, list[tuple[str, str]]] = {name: [] for name in CHOOSE}
    for user in people:
        if Role.SYSTEM_API_CLIENT in user.roles:
            continue  # a system, not a person
        shown = (str(user.id), f"{user.display_name} ({user.agency.name})")
        if user.agency.type is AgencyType.COSA_PROVIDER:
            found["manager"].append(shown)
            if Role.COSA_COORDINATOR in user.roles:
                found["coordinator"].append(shown)
        elif user.agency.type is AgencyType.RA_POLICE:
            found["police"].append(shown)
        else:
            found["probation"].append(shown)
    return found


# -- the circle page -------------------------------------------------------------------------


@circle_pages.get("/circles/<circle_id>")
@login_required
@purpose_required
def circle(circle_id: str) -> ResponseReturnValue:
    session = db_session()
    found = _circle(session, circle_id)
    if found is None:
        return not_found_page()
    reader = web_reader(chosen_purpose())
    briefed = profile.briefing(session, found)
    problems = (
        circles.start_problems(session, found, _rules(), today())
        if found.status is CircleStatus.PROPOSED
        else []
    )
    _consulted(session, reader.actor, found, tuple(briefed))
    session.commit()  # the CONSULT entries before the page
    return render_page(
        "circles/circle.html",
        circle=found,
        case_id=found.case_id,
        case_reference=present.reference(found.case_id),
        provider=circles.provider_of(session, found),
        coordinator=session.get(User, found.coordinator_user_id),
        status=STATUS_WORDS[found.status],
        type_label=TYPE_LABELS[found.type],
        problems=problems,
        briefed=briefed,
        profile_rows=[(n, label) for n, label in profile.SHARED_PROFILE if n in profile.WRITABLE],
        profile_open=profile.available(found),
        done=request.args.get("done"),
        done_field=profile.LABELS.get(request.args.get("field", "")),
    )


# -- brief the circle: one shared-profile field ------------------------------------------------


@circle_pages.route("/circles/<circle_id>/profile", methods=["GET", "POST"])
@login_required
@purpose_required
def brief(circle_id: str) -> ResponseReturnValue:
    session = db_session()
    found = _circle(session, circle_id)
    if found is None:
        return not_found_page()
    reader = web_reader(chosen_purpose())
    if request.method == "GET":
        field = request.args.get("field", "")
        field = field if field in profile.WRITABLE else ""
        briefed = profile.briefing(session, found)
        shown = (field,) if field in briefed else ()
        _consulted(session, reader.actor, found, shown, state=False)
        session.commit()
        values = {"field": field, "text": briefed.get(field, "")}
        return _brief_form(found, values, [])
    session.commit()  # the gate's CONSULT of the case stands whatever the write does
    values = {"field": request.form.get("field", ""), "text": request.form.get("text", "")}
    try:
        profile.set_entry(
            session, reader.actor, found.id, field=values["field"], text=values["text"]
        )
    except NotFound:
        session.rollback()
        return not_found_page()
    except InvalidInput as refused:
        session.rollback()  # nothing saved: the entry and its audit entry go together
        return _brief_form(found, values, [_brief_error(refused, values["field"])]), 400
    session.commit()
    return redirect(
        url_for("circle_pages.circle", circle_id=found.id, done="briefed", field=values["field"]),
        303,
    )


def _brief_error(refused: InvalidInput, field: str) -> tuple[str, str]:
    if isinstance(refused, RuleViolation) or refused.field == "field":
        return "field", "Select which part of the shared profile to brief (R-51)"
    label = profile.LABELS.get(field, "the field")
    if "at most" in refused.problem:
        return "text", f"{label} must be {TEXT_LIMIT} characters or fewer"
    return "text", f"Enter what the circle should know: {label.lower()}"


def _brief_form(found: Circle, values: dict[str, str], errors: list[tuple[str, str]]) -> str:
    return render_page(
        "circles/brief.html",
        circle=found,
        case_id=found.case_id,
        values=values,
        errors=errors,
        fields=[(n, label) for n, label in profile.SHARED_PROFILE if n in profile.WRITABLE],
        limit=TEXT_LIMIT,
    )


# -- finding a circle --------------------------------------------------------------------------


def _circle(session: Session, circle_id: str) -> Circle | None:
    """A circle whose outer circle names the signed-in person, on a case whose record they may
    read for the purpose they chose (through the gate); otherwise None, audited as a DENY."""
    reader = web_reader(chosen_purpose())
    wanted = case_id_from(circle_id)
    try:
        if wanted is None:
            raise NotFound("circle")
        found = circles.outer_circle_circle(session, reader.actor, wanted)
    except NotFound:
        record(
            session,
            AuditEntry(
                operation=AuditOperation.DENY,
                actor=reader.actor,
                record_type="circle",
                record_ids=(str(wanted or uuid.UUID(int=0)),),
                outcome="NOT_IN_THIS_OUTER_CIRCLE",
            ),
        )
        session.commit()
        return None
    try:
        request_gate().read_case_record(session, reader, found.case_id)
    except NotFound:
        session.commit()  # the gate's DENY entry stays
        return None
    return found


def _consulted(
    session: Session,
    actor: Actor,
    found: Circle,
    profile_fields: tuple[str, ...],
    *,
    state: bool = True,
) -> None:
    shown: list[tuple[str, tuple[str, ...]]] = [("circle", STATE_FIELDS)] if state else []
    if profile_fields:
        shown.append(("circle_profile", profile_fields))
    entries = [
        AuditEntry(
            operation=AuditOperation.CONSULT,
            actor=actor,
            record_type=record_type,
            record_ids=(str(found.id),),
            subject_person_id=found.person_id,
            case_id=found.case_id,
            fields_returned=fields,
        )
        for record_type, fields in shown
    ]
    if entries:
        record_many(session, entries)


def _rules() -> CosaRules:
    return rules_of(current_app.extensions, current_app.config["HUB_SETTINGS"])
