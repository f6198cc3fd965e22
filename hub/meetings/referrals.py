"""MAPPA A referrals: drafting, submitting (R-10), screening, and the initial meeting (R-08)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.actor import Actor
from hub.casework.reviews import initial_meeting_deadline
from hub.db import utcnow
from hub.errors import InvalidInput, RuleViolation
from hub.meetings.common import Problems, audit, check_version, found, need_role, text
from hub.meetings.models import (
    MeetingCaseItem,
    MeetingStatus,
    Referral,
    ReferralStatus,
)
from hub.models import MappaCase
from hub.settings import Settings
from hub.vocabulary import AuditOperation, Role

# MAPPA A, from its completion notes (domain.md §1.6). Each must be filled before SUBMITTED.
REQUIRED_SECTIONS: dict[str, str] = {
    "category": "Category (section 1)",
    "offender": "Offender details (section 2)",
    "conviction": "Conviction or caution (section 3)",
    "dates": "Relevant dates (section 4)",
    "reason": "Reason for referral (section 6)",
    "risk_summary": "Risk assessment summary",
    "victims": "Victims and potential victims",
    "children": "Children",
    "adds_value": "Why level 2 or 3 management adds value",
}
OPTIONAL_SECTIONS: dict[str, str] = {"hospital": "Detained in hospital (section 5)"}
LEVEL_THREE_SECTION = ("level3_justification", "RMP elements that cannot be delivered at level 2")


class Screening(StrEnum):
    ACCEPT = "ACCEPT"
    RETURN_INCOMPLETE = "RETURN_INCOMPLETE"
    DECLINE = "DECLINE"


def section_labels(level: int) -> dict[str, str]:
    labels = {**REQUIRED_SECTIONS, **OPTIONAL_SECTIONS}
    if level == 3:
        labels[LEVEL_THREE_SECTION[0]] = LEVEL_THREE_SECTION[1]
    return labels


def draft_referral(
    session: Session,
    actor: Actor,
    *,
    case_id: uuid.UUID,
    level_requested: object,
    sections: Mapping[str, object],
) -> Referral:
    case = found(session, MappaCase, case_id, "case")
    if level_requested not in (2, 3) or isinstance(level_requested, bool):
        raise InvalidInput("level_requested", "must be 2 or 3")
    assert isinstance(level_requested, int)
    referral = Referral(
        case_id=case.id,
        referrer_agency_id=actor.agency_id,
        referrer_user_id=actor.user_id,
        level_requested=level_requested,
        owning_agency_id=actor.agency_id,
    )
    referral.sections = _clean_sections(sections, level_requested)
    session.add(referral)
    session.flush()
    audit(
        session,
        actor,
        AuditOperation.COLLECT,
        "referral",
        referral.id,
        case_id=case.id,
        person_id=case.person_id,
        fields=("level_requested", "sections"),
    )
    return referral


def submit_referral(
    session: Session,
    actor: Actor,
    *,
    referral_id: uuid.UUID,
    expected_version: int | None = None,
    sections: Mapping[str, object] | None = None,
) -> Referral:
    """R-10: a referral missing any required section cannot be SUBMITTED."""
    referral = found(session, Referral, referral_id, "referral")
    check_version(referral.version, expected_version)
    if referral.status not in (ReferralStatus.DRAFT, ReferralStatus.RETURNED_INCOMPLETE):
        raise InvalidInput("status", f"a {referral.status.value} referral cannot be submitted")
    filled = referral.sections
    if sections is not None:
        filled = _clean_sections(sections, referral.level_requested)
    missing = [
        (f"sections.{name}", f"Enter the {label.lower()}")
        for name, label in _required(referral.level_requested).items()
        if not filled.get(name)
    ]
    if missing:
        raise Problems(missing, rule="R-10")
    referral.sections = filled
    referral.status = ReferralStatus.SUBMITTED
    session.flush()
    _audit_alter(session, actor, referral, ("status", "sections"))
    return referral


def screen_referral(
    session: Session,
    actor: Actor,
    *,
    referral_id: uuid.UUID,
    outcome: object,
    reason: object,
    today: date,
    settings: Settings,
    expected_version: int | None = None,
) -> Referral:
    """The coordinator screens a submitted referral: accept, decline, or return it (R-10)."""
    need_role(actor, (Role.MAPPA_COORDINATOR,), "screen a referral")
    referral = found(session, Referral, referral_id, "referral")
    check_version(referral.version, expected_version)
    if referral.status is not ReferralStatus.SUBMITTED:
        raise InvalidInput("status", "only a submitted referral can be screened")
    try:
        chosen = Screening(str(outcome))
    except ValueError:
        raise InvalidInput("outcome", "choose accept, return as incomplete or decline") from None
    problems: list[tuple[str, str]] = []
    why = text(reason, "reason", problems, limit=2000)
    if problems:
        raise Problems(problems)
    if chosen is not Screening.ACCEPT and len(why) < 10:
        raise RuleViolation("R-10", "reason", "give the reason (at least 10 characters)")
    referral.screened_by = actor.user_id
    referral.decision_at = utcnow()
    referral.decision_reason = why or None
    if chosen is Screening.ACCEPT:
        referral.status = ReferralStatus.ACCEPTED
        referral.accepted_on = today
        referral.target_meeting_by = initial_meeting_deadline(today, settings)
    elif chosen is Screening.DECLINE:
        referral.status = ReferralStatus.DECLINED
    else:
        referral.status = ReferralStatus.RETURNED_INCOMPLETE
    session.flush()
    _audit_alter(
        session, actor, referral, ("status", "decision_reason", "target_meeting_by"), "R-10"
    )
    return referral


def initial_meeting_late(session: Session, referral: Referral, today: date) -> bool:
    """R-08: an accepted referral whose initial meeting has not been held by its deadline."""
    if referral.status is not ReferralStatus.ACCEPTED or referral.target_meeting_by is None:
        return False
    from hub.meetings.models import Meeting

    held_on = session.scalar(
        select(Meeting.scheduled_for)
        .join(MeetingCaseItem, MeetingCaseItem.meeting_id == Meeting.id)
        .where(MeetingCaseItem.referral_id == referral.id, Meeting.status == MeetingStatus.HELD)
        .order_by(Meeting.scheduled_for)
        .limit(1)
    )
    if held_on is not None:
        return held_on > referral.target_meeting_by
    return today > referral.target_meeting_by


def _required(level: int) -> dict[str, str]:
    required = dict(REQUIRED_SECTIONS)
    if level == 3:
        required[LEVEL_THREE_SECTION[0]] = LEVEL_THREE_SECTION[1]
    return required


def _clean_sections(sections: Mapping[str, object], level: int) -> dict[str, str]:
    problems: list[tuple[str, str]] = []
    labels = section_labels(level)
    cleaned = {
        name: text(sections.get(name), f"sections.{name}", problems, limit=8000) for name in labels
    }
    unknown = sorted(set(sections) - set(labels))
    problems += [(f"sections.{name}", "is not a MAPPA A section") for name in unknown]
    if problems:
        raise Problems(problems)
    return {name: value for name, value in cleaned.items() if value}


def _audit_alter(
    session: Session,
    actor: Actor,
    referral: Referral,
    fields: tuple[str, ...],
    outcome: str | None = None,
) -> None:
    case = session.get_one(MappaCase, referral.case_id)
    audit(
        session,
        actor,
        AuditOperation.ALTER,
        "referral",
        referral.id,
        case_id=case.id,
        person_id=case.person_id,
        fields=fields,
        outcome=outcome,
    )
