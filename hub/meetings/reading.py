"""How meeting pages read: through the gate, and minutes as the policy's `minutes` records.

Minutes are case data. A reader gets a meeting's agenda line only for a case they may list,
and a case's minutes only if the gate lets them read the case and the policy lets them read
its minutes, their agency is on the meeting's list (R-11), and (for an attendee) they have
acknowledged the confidentiality statement (MAPPA D). Anything else is the 404 a missing
record gets, with its DENY entry, and every read leaves its CONSULT entry.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace

from sqlalchemy.orm import Session

from hub.gate import CaseView, Gate, Reader, View, not_found
from hub.gate import audit as gate_audit
from hub.gate.gate import relationships_to
from hub.gate.resources import case_resource
from hub.gate.writes import WriteRefused
from hub.meetings.agenda import attendee_for
from hub.meetings.models import Meeting, MeetingCaseItem
from hub.models import AccessFollowUp, MappaCase
from hub.policy import Decision, NotifyOwner, RequireJustification, enforce
from hub.vocabulary import AuditOperation, FollowUpKind

MINUTES_FIELDS = (
    "executive_summary",
    "information_shared",
    "victims_section",
    "children_section",
    "actions",
)


@dataclass(frozen=True)
class MinutesAccess:
    item: MeetingCaseItem
    meeting: Meeting
    case: MappaCase
    acknowledged: bool  # MAPPA D: False means show the statement, not the minutes
    view: CaseView  # the case as the gate let this reader see it (already audited)


def agenda_views(
    gate: Gate, session: Session, reader: Reader, meeting: Meeting
) -> dict[uuid.UUID, View]:
    """The agenda's cases the reader may list, as gated views (each audited as CONSULT)."""
    return listed_cases(gate, session, reader, [i.case_id for i in meeting.items])


def listed_cases(
    gate: Gate, session: Session, reader: Reader, case_ids: list[uuid.UUID]
) -> dict[uuid.UUID, View]:
    """Of these cases, those the reader may list, as `Gate.list_cases` would show and audit
    them (the policy's `list` decision per case, a CONSULT entry for each one shown)."""
    return gate.list_these(session, reader, case_ids)


def meeting_for(
    gate: Gate, session: Session, reader: Reader, meeting_id: uuid.UUID
) -> tuple[Meeting, dict[uuid.UUID, View]]:
    """A meeting the reader is on the list of, or may list a case of; else the missing 404."""
    meeting = session.get(Meeting, meeting_id)
    if meeting is None:
        gate._deny_missing(session, reader, "mappa_meeting", meeting_id)
        raise not_found("meeting")
    views = agenda_views(gate, session, reader, meeting)
    invited = any(a.agency_id == reader.actor.agency_id for a in meeting.attendees)
    if not views and not invited:
        gate._deny_missing(session, reader, "mappa_meeting", meeting_id)
        raise not_found("meeting")
    return meeting, views


def minutes_for(
    gate: Gate,
    session: Session,
    reader: Reader,
    meeting_id: uuid.UUID,
    item_id: uuid.UUID,
    *,
    action: str = "read",
) -> MinutesAccess:
    """One case's minutes, if the reader may have them (see the module docstring)."""
    item = session.get(MeetingCaseItem, item_id)
    if item is None or item.meeting_id != meeting_id:
        gate._deny_missing(session, reader, "meeting_case_item", item_id)
        raise not_found("minutes")
    view = gate.read_case(session, reader, item.case_id)  # the case first: NotFound if hidden
    meeting = session.get_one(Meeting, item.meeting_id)
    case = session.get_one(MappaCase, item.case_id)
    decision = decide(gate, session, reader, item, case, action)
    on_list = any(a.agency_id == reader.actor.agency_id for a in meeting.attendees)
    if not decision.permitted or not on_list:  # the meeting's list only
        _deny(session, reader, item, case, decision, "R-11" if decision.permitted else None)
        raise not_found("minutes")
    mine = attendee_for(meeting, reader.actor)
    acknowledged = mine is not None and mine.acknowledged_at is not None
    if acknowledged:
        entry = gate_audit.entry(
            reader,
            AuditOperation.CONSULT,
            "meeting_case_item",
            item.id,
            decision,
            person_id=case.person_id,
            case_id=case.id,
        )
        entry = replace(entry, fields_returned=MINUTES_FIELDS)
        gate_audit.write(session, [entry])
    return MinutesAccess(item, meeting, case, acknowledged, view)


def decide(
    gate: Gate,
    session: Session,
    reader: Reader,
    item: MeetingCaseItem,
    case: MappaCase,
    action: str,
) -> Decision:
    """The policy's answer for `action` on these minutes (owned by the chair's agency)."""
    attributes: dict[str, object] = {
        "action": action,
        "resource.type": "minutes",
        "actor.case_relationships": relationships_to(session, reader, case),
        "actor.is_item_owner": item.owning_agency_id == reader.actor.agency_id,
        "resource.owning_agency_id": str(item.owning_agency_id),
        "resource.classification": item.classification.value,
        # Minutes go to the meeting's list (R-11, checked here), not only their originator.
        "resource.originator_control": False,
    }
    return enforce(
        gate.policy.decide({**reader.attributes(), **attributes}),
        lambda obligation: isinstance(obligation, RequireJustification),
    )


def authorise_minutes(
    gate: Gate, session: Session, reader: Reader, item: MeetingCaseItem, action: str
) -> Decision:
    """Before a write to minutes: permitted, or the DENY is written and WriteRefused raised."""
    case = session.get_one(MappaCase, item.case_id)
    decision = decide(gate, session, reader, item, case, action)
    if not decision.permitted:
        _deny(session, reader, item, case, decision, None, action)
        raise WriteRefused(decision.explanation.summary, decision)
    return decision


def _deny(
    session: Session,
    reader: Reader,
    item: MeetingCaseItem,
    case: MappaCase,
    decision: Decision,
    outcome: str | None,
    action: str = "read",
) -> None:
    entry = gate_audit.entry(
        reader,
        AuditOperation.DENY,
        "meeting_case_item",
        item.id,
        decision,
        person_id=case.person_id,
        case_id=case.id,
    )
    entry.extra["action"] = action
    if outcome:
        entry = replace(entry, outcome=outcome)
    gate_audit.write(session, [entry])


def authorise_disclosure(gate: Gate, session: Session, reader: Reader, case: MappaCase) -> Decision:
    """A disclosure decision about a case: the policy's `disclose` on the case record (R-26
    rules: purpose DISCLOSURE_DECISION, the lead agency or the chair, a justification)."""
    relationships = relationships_to(session, reader, case)
    resource = case_resource(case, reader.actor, relationships)
    decision = enforce(
        gate.policy.decide({**reader.attributes(), **resource.attributes, "action": "disclose"}),
        lambda obligation: isinstance(obligation, RequireJustification | NotifyOwner),
    )
    if decision.permitted:
        _notify_owner(session, reader, case, decision)
    else:
        entry = gate_audit.entry(
            reader,
            AuditOperation.DENY,
            "mappa_case",
            case.id,
            decision,
            person_id=case.person_id,
            case_id=case.id,
        )
        entry.extra["action"] = "disclose"
        gate_audit.write(session, [entry])
        raise WriteRefused(decision.explanation.summary, decision)
    return decision


def _notify_owner(session: Session, reader: Reader, case: MappaCase, decision: Decision) -> None:
    """The disclose permit's NotifyOwner, carried out as the gate does: the act is audited as
    DISCLOSE and the owning agency gets a follow-up naming that entry."""
    entry = gate_audit.entry(
        reader,
        AuditOperation.DISCLOSE,
        "mappa_case",
        case.id,
        decision,
        person_id=case.person_id,
        case_id=case.id,
    )
    entry.extra["action"] = "disclose"
    appended = gate_audit.write(session, [entry])
    wants = any(isinstance(o, NotifyOwner) for o in decision.obligations)
    if wants and case.owning_agency_id != reader.actor.agency_id:
        session.add(
            AccessFollowUp(
                kind=FollowUpKind.NOTIFY_OWNER,
                owning_agency_id=case.owning_agency_id,
                actor_agency_id=reader.actor.agency_id,
                actor_user_id=reader.actor.user_id,
                case_id=case.id,
                record_type="case",
                record_id=case.id,
                audit_receipt=appended[0],
            )
        )
        session.flush()
