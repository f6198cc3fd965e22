"""Third-party disclosure decisions (R-24 to R-27): at a meeting, or urgently outside one."""

from __future__ import annotations

import uuid
from collections.abc import Mapping

from sqlalchemy.orm import Session

from hub.actor import Actor
from hub.db import utcnow
from hub.errors import InvalidInput, RuleViolation
from hub.meetings.common import Problems, audit, check_version, found, parse_date, text
from hub.meetings.models import (
    DisclosureChoice,
    DisclosureDecision,
    DisclosureRoute,
    MeetingCaseItem,
    NotInformedReason,
)
from hub.models import MappaCase
from hub.vocabulary import AuditOperation

# what a disclosure must record before it is complete, as the form names them.
COMPLETION_FIELDS = {
    "recipient": "Enter who received the information",
    "discloser": "Enter who gave the information",
    "method": "Enter how it was given",
}


def record_disclosure(
    session: Session,
    actor: Actor,
    *,
    case_id: uuid.UUID,
    decision: object,
    route: object = DisclosureRoute.MAPPA_RMP.value,
    reason: object = "",
    item_id: uuid.UUID | None = None,
    urgent_reason: object = None,
) -> DisclosureDecision:
    """A decision considered at a meeting (`item_id`) or made urgently outside one (R-27)."""
    case = found(session, MappaCase, case_id, "case")
    problems: list[tuple[str, str]] = []
    try:
        choice = DisclosureChoice(str(decision))
    except ValueError:
        problems.append(("decision", "Select disclose, do not disclose or defer"))
        choice = DisclosureChoice.DEFER
    try:
        path = DisclosureRoute(str(route))
    except ValueError:
        problems.append(("route", "Select the disclosure route"))
        path = DisclosureRoute.MAPPA_RMP
    why = text(reason, "reason", problems, 4000)
    urgent_why = text(urgent_reason, "urgent_reason", problems, 4000)
    if problems:
        raise Problems(problems)
    if item_id is not None:
        item = found(session, MeetingCaseItem, item_id, "item")
        if item.case_id != case.id:
            raise InvalidInput("item_id", "the minutes are for another case")
    elif len(urgent_why) < 10:
        raise RuleViolation(
            "R-27", "urgent_reason", "a disclosure outside a meeting must record why it was urgent"
        )
    if choice is not DisclosureChoice.DISCLOSE and len(why) < 10:
        raise RuleViolation(
            "R-24", "reason", "give the reason for not disclosing (at least 10 characters)"
        )
    made = DisclosureDecision(
        case_id=case.id,
        item_id=item_id,
        route=path,
        decision=choice,
        urgent=item_id is None,
        decided_by=actor.user_id,
        owning_agency_id=actor.agency_id,
    )
    made.sections = {"reason": why, "urgent_reason": urgent_why}
    session.add(made)
    session.flush()
    audit(
        session,
        actor,
        AuditOperation.COLLECT,
        "disclosure_decision",
        made.id,
        case_id=case.id,
        person_id=case.person_id,
        fields=("decision", "route", "reason", "urgent_reason"),
        outcome="R-27" if made.urgent else "R-24",
    )
    return made


def complete_disclosure(
    session: Session,
    actor: Actor,
    *,
    decision_id: uuid.UUID,
    values: Mapping[str, object],
    expected_version: int | None = None,
) -> DisclosureDecision:
    """R-26: a DISCLOSE is complete only with recipient, discloser, method, date, undertaking
    and whether the offender was told (and if not, why)."""
    made = found(session, DisclosureDecision, decision_id, "disclosure")
    check_version(made.version, expected_version)
    if made.decision is not DisclosureChoice.DISCLOSE:
        raise InvalidInput("decision", "only a decision to disclose is completed")
    if made.completed_at is not None:
        raise InvalidInput("status", "this disclosure is already complete")
    problems: list[tuple[str, str]] = []
    given = {name: text(values.get(name), name, problems, 500) for name in COMPLETION_FIELDS}
    problems += [(name, message) for name, message in COMPLETION_FIELDS.items() if not given[name]]
    disclosed_on = parse_date(values.get("disclosed_on"), "disclosed_on", problems)
    undertaking = parse_date(values.get("undertaking_signed_on"), "undertaking_signed_on", problems)
    if disclosed_on is None and not any(f == "disclosed_on" for f, _ in problems):
        problems.append(("disclosed_on", "Enter the date of the disclosure"))
    if undertaking is None and not any(f == "undertaking_signed_on" for f, _ in problems):
        problems.append(
            ("undertaking_signed_on", "Enter when the recipient signed the undertaking")
        )
    informed = values.get("offender_informed")
    why_not: NotInformedReason | None = None
    other = text(values.get("not_informed_text"), "not_informed_text", problems, 2000)
    if informed not in ("yes", "no"):
        problems.append(("offender_informed", "Select whether the offender was told"))
    elif informed == "no":
        try:
            why_not = NotInformedReason(str(values.get("not_informed_reason")))
        except ValueError:
            problems.append(("not_informed_reason", "Select why the offender was not told"))
        if why_not is NotInformedReason.OTHER and len(other) < 10:
            problems.append(("not_informed_text", "Say why the offender was not told"))
    if problems:
        raise Problems(problems, rule="R-26")
    made.sections = {**made.sections, **given, "not_informed_text": other}
    made.disclosed_on = disclosed_on
    made.undertaking_signed_on = undertaking
    made.offender_informed = informed == "yes"
    made.not_informed_reason = why_not
    made.completed_at = utcnow()
    session.flush()
    case = session.get_one(MappaCase, made.case_id)
    audit(
        session,
        actor,
        AuditOperation.ALTER,
        "disclosure_decision",
        made.id,
        case_id=case.id,
        person_id=case.person_id,
        fields=(*COMPLETION_FIELDS, "disclosed_on", "undertaking_signed_on", "offender_informed"),
        outcome="R-26",
    )
    return made
