"""MAPPA B minutes, one per case at a meeting: drafting, and the chair's approval.

Approval is where the inspection findings bite (domain.md §7): nothing is CHAIR_APPROVED
without every section R-09 names, a reason for "no victims identified" (R-49), a disclosure
decision (R-24), children's services checks or the chair's override (R-47), and a next review
within the configured interval or the chair's override (R-07). Approval then moves the case:
its next review date, and any category, level or lead agency decided, each with its history.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.actor import Actor
from hub.casework.reviews import next_review_limit
from hub.db import utcnow
from hub.errors import InvalidInput
from hub.meetings.common import (
    NotPermitted,
    Problems,
    audit,
    chair_roles,
    check_version,
    found,
    parse_date,
    text,
)
from hub.meetings.models import (
    ChildContact,
    DisclosureDecision,
    Meeting,
    MeetingCaseItem,
    MeetingStatus,
    MinutesStatus,
)
from hub.models import Agency, CaseChange, MappaCase
from hub.services.cases import LevelDecision, change_category, change_level
from hub.settings import Settings
from hub.vocabulary import AuditOperation, CaseChangeKind

# The free-text sections of MAPPA B (domain.md §1.6), in the order the form shows them.
SECTIONS: dict[str, str] = {
    "information_shared": "Information shared by each agency",
    "risk_summary": "Current risk of serious harm",
    "victims": "Victims and potential victims",
    "victims_none_reason": "Why no victims are identified",
    "children": "Children",
    "diversity": "Diversity",
    "rmp_supervision": "Supervision",
    "rmp_monitoring_and_control": "Monitoring and control",
    "rmp_interventions_and_treatment": "Interventions and treatment",
    "rmp_victim_safety_planning": "Victim safety planning",
    "rmp_contingency": "Contingency",
    "rmp_no_change": "No change to the risk management plan",
    "disclosure_consideration": "Disclosure consideration",
    "level_reason": "Reason for the level decision",
    "level_two_basis": "Level 2 basis",
    "rmp_gaps_at_level_two": "What level 2 cannot deliver",
    "category_reason": "Reason for a change of category",
    "dissent": "Dissent and the agreed way forward",
    "executive_summary": "Executive summary",
}
RMP = (
    "rmp_supervision",
    "rmp_monitoring_and_control",
    "rmp_interventions_and_treatment",
    "rmp_victim_safety_planning",
    "rmp_contingency",
)


def save_minutes(
    session: Session,
    actor: Actor,
    *,
    item_id: uuid.UUID,
    values: Mapping[str, object],
    expected_version: int | None = None,
) -> MeetingCaseItem:
    """Save a draft: anything malformed refuses the whole save; gaps are allowed until approval."""
    item = found(session, MeetingCaseItem, item_id, "item")
    check_version(item.version, expected_version)
    if item.status is not MinutesStatus.DRAFT:
        raise InvalidInput("status", "approved minutes cannot be changed")
    problems: list[tuple[str, str]] = []
    sections: dict[str, object] = {
        name: text(values.get(name), name, problems) for name in SECTIONS
    }
    sections["victims_none_identified"] = _yes(values.get("victims_none_identified"))
    category = _number(values.get("category"), "category", (1, 2, 3, 4), problems)
    level = _number(values.get("level_decided"), "level_decided", (1, 2, 3), problems)
    lead = _agency(session, values.get("lead_agency_id"), problems)
    review = parse_date(values.get("next_review_date"), "next_review_date", problems)
    review_override = text(
        values.get("review_override_reason"), "review_override_reason", problems, 2000
    )
    child_override = text(
        values.get("child_check_override_reason"), "child_check_override_reason", problems, 2000
    )
    if problems:
        raise Problems(problems)
    item.sections = {k: v for k, v in sections.items() if v}
    item.category = category
    item.level_decided = level
    item.lead_agency_id = lead
    item.next_review_date = review
    item.review_override_reason = review_override or None
    item.child_check_override_reason = child_override or None
    item.no_actions = _yes(values.get("no_actions"))
    item.updated_at = utcnow()
    session.flush()
    case = session.get_one(MappaCase, item.case_id)
    audit(
        session,
        actor,
        AuditOperation.ALTER,
        "meeting_case_item",
        item.id,
        case_id=case.id,
        person_id=case.person_id,
        fields=("sections", "category", "level_decided", "lead_agency", "next_review_date"),
    )
    return item


def missing_for_approval(
    session: Session, item: MeetingCaseItem, meeting: Meeting, settings: Settings
) -> list[tuple[str, str]]:
    """Every reason the minutes cannot yet be approved, by field (R-07, R-09, R-24, R-47, R-49)."""
    problems = _missing_sections(item)
    if item.next_review_date is None:
        problems.append(("next_review_date", "R-09: Enter the next review date"))
    elif item.level_decided in (2, 3):
        limit = next_review_limit(item.level_decided, meeting.scheduled_for, settings)
        override = item.review_override_reason or ""
        if item.next_review_date > limit and len(override) < 10:
            problems.append(
                (
                    "next_review_date",
                    f"R-07: The next review must be by {limit:%d %B %Y} for level "
                    f"{item.level_decided}, or give the chair's reason for a later date",
                )
            )
    return problems + _missing_records(session, item, meeting)


def _missing_sections(item: MeetingCaseItem) -> list[tuple[str, str]]:
    s = item.sections
    problems: list[tuple[str, str]] = []
    if item.category is None:
        problems.append(("category", "R-09: Select the category"))
    if item.level_decided is None:
        problems.append(("level_decided", "R-09: Select the level decided"))
    if item.lead_agency_id is None:
        problems.append(("lead_agency_id", "R-09: Select the lead agency"))
    if s.get("victims_none_identified"):
        if not s.get("victims_none_reason"):
            problems.append(("victims_none_reason", "R-49: Say why no victims are identified"))
    elif not s.get("victims"):
        problems.append(("victims", "R-09: Enter the victims section, or tick none identified"))
    if not s.get("children"):
        problems.append(("children", "R-09: Enter the children section"))
    if not s.get("rmp_no_change"):
        for name in RMP:
            if not s.get(name):
                problems.append((name, f"R-09: Enter the plan's {SECTIONS[name].lower()}"))
    if not s.get("disclosure_consideration"):
        problems.append(("disclosure_consideration", "R-09: Record the disclosure consideration"))
    return problems


def _missing_records(
    session: Session, item: MeetingCaseItem, meeting: Meeting
) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    if not item.actions and not item.no_actions:
        problems.append(("actions", "R-09: Add at least one action, or record that there are none"))
    decisions = session.scalars(
        select(DisclosureDecision.id).where(DisclosureDecision.item_id == item.id)
    ).first()
    if decisions is None and meeting.level in (2, 3):
        problems.append(("disclosures", "R-24: Record at least one disclosure decision"))
    unchecked = session.scalars(
        select(ChildContact.id).where(
            ChildContact.case_id == item.case_id, ChildContact.check_result.is_(None)
        )
    ).first()
    if unchecked is not None and len(item.child_check_override_reason or "") < 10:
        problems.append(
            (
                "child_check_override_reason",
                "R-47: A child contact has no children's services check result; record it, "
                "or give the chair's reason to approve without it",
            )
        )
    return problems


def approve_minutes(
    session: Session,
    actor: Actor,
    *,
    item_id: uuid.UUID,
    settings: Settings,
    expected_version: int | None = None,
) -> MeetingCaseItem:
    item = found(session, MeetingCaseItem, item_id, "item")
    check_version(item.version, expected_version)
    meeting = session.get_one(Meeting, item.meeting_id)
    if actor.user_id != meeting.chair_user_id or not actor.has_any_role(
        *chair_roles(meeting.level)
    ):
        raise NotPermitted("only the meeting's chair may approve its minutes")
    if item.status is not MinutesStatus.DRAFT:
        raise InvalidInput("status", "these minutes are already approved")
    if meeting.status is not MeetingStatus.HELD:
        raise InvalidInput("status", "open the meeting before approving its minutes")
    problems = missing_for_approval(session, item, meeting, settings)
    if problems:
        raise Problems(problems, rule="R-09")
    started = utcnow()
    case = session.get_one(MappaCase, item.case_id)
    _apply_decisions(session, actor, item, meeting, case)
    _stamp_meeting(case, meeting.id, started)
    item.status = MinutesStatus.CHAIR_APPROVED
    item.approved_by = actor.user_id
    item.approved_at = utcnow()
    session.flush()
    audit(
        session,
        actor,
        AuditOperation.ALTER,
        "meeting_case_item",
        item.id,
        case_id=case.id,
        person_id=case.person_id,
        fields=("status", "approved_by", "approved_at"),
        outcome="R-09",
    )
    return item


def _apply_decisions(
    session: Session, actor: Actor, item: MeetingCaseItem, meeting: Meeting, case: MappaCase
) -> None:
    s: dict[str, Any] = item.sections
    held = f"level {meeting.level} MAPPA meeting of {meeting.scheduled_for:%d %B %Y}"
    assert item.category is not None
    assert item.level_decided is not None
    try:
        if item.category != case.category:
            reason = s.get("category_reason") or f"Category decided at the {held}"
            change_category(session, actor, case.id, item.category, reason)
        if item.level_decided != case.current_level:
            change_level(
                session,
                actor,
                case.id,
                LevelDecision(
                    level=item.level_decided,
                    reason=s.get("level_reason") or f"Level decided at the {held}",
                    level_two_basis=s.get("level_two_basis") or None,
                    rmp_gaps_at_level_two=s.get("rmp_gaps_at_level_two") or None,
                    next_review_due=item.next_review_date,
                ),
            )
    except InvalidInput as refused:
        # The case rules name the case's fields; say which of ours.
        field = refused.field.removeprefix("level.")
        field = {"level": "level_decided", "reason": "category_reason"}.get(field, field)
        raise Problems([(field, str(refused))]) from refused
    if item.lead_agency_id is not None and item.lead_agency_id != case.lead_agency_id:
        case.history.append(
            CaseChange(
                kind=CaseChangeKind.LEAD_AGENCY,
                old_value=str(case.lead_agency_id),
                new_value=str(item.lead_agency_id),
                reason=f"Lead agency confirmed at the {held}",
                changed_at=utcnow(),
                changed_by=actor.user_id,
            )
        )
        case.lead_agency_id = item.lead_agency_id
    case.next_review_due = item.next_review_date  # the next review is set
    session.flush()
    audit(
        session,
        actor,
        AuditOperation.ALTER,
        "mappa_case",
        case.id,
        case_id=case.id,
        person_id=case.person_id,
        fields=("next_review_due", "lead_agency_id"),
        outcome="R-07",
    )


def _stamp_meeting(case: MappaCase, meeting_id: uuid.UUID, since: datetime) -> None:
    """The history entries this approval made name the meeting that decided them."""
    for change in case.history:
        if change.meeting_id is None and change.changed_at >= since:
            change.meeting_id = meeting_id


def _yes(value: object) -> bool:
    return value is True or (isinstance(value, str) and value.lower() in ("yes", "true", "on", "1"))


def _number(
    value: object, field: str, allowed: tuple[int, ...], problems: list[tuple[str, str]]
) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, int) and not isinstance(value, bool) and value in allowed:
        return value
    problems.append((field, f"must be one of {', '.join(map(str, allowed))}"))
    return None


def _agency(session: Session, value: object, problems: list[tuple[str, str]]) -> uuid.UUID | None:
    if value is None or value == "":
        return None
    try:
        agency_id = value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError:
        agency_id = None
    if agency_id is None or session.get(Agency, agency_id) is None:
        problems.append(("lead_agency_id", "Select an agency from the list"))
        return None
    return agency_id
