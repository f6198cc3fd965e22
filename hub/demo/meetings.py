"""The demo's meetings: one level 2 meeting held five weeks ago with approved minutes and an
action now overdue, an urgent disclosure waiting for ratification (R-27), and a referral
accepted and waiting for its initial meeting (R-08).

Built through the real services, so every rule is checked and every write audited, on cases
the demo probation service (the meeting, the referral) and police (the urgent disclosure) lead,
so the demo chairs and coordinator see them. Everything in
it is invented. With too few demo cases, the parts that find no case are left out.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.demo.agencies import DemoOrganisation
from hub.meetings.actions import add_action
from hub.meetings.agenda import (
    acknowledge_statement,
    add_to_agenda,
    open_meeting,
    schedule_meeting,
)
from hub.meetings.disclosures import record_disclosure
from hub.meetings.minutes import approve_minutes, save_minutes
from hub.meetings.referrals import (
    REQUIRED_SECTIONS,
    draft_referral,
    screen_referral,
    submit_referral,
)
from hub.models import MappaCase
from hub.settings import Settings
from hub.vocabulary import CaseStatus

MINUTES = {
    "information_shared": "Probation: attending all appointments. Police: no new intelligence.",
    "risk_summary": "High risk of serious harm to known adults; medium to the public.",
    "victims": "A former partner, supported by the victim liaison officer.",
    "children": "No children in the household and none in regular contact.",
    "rmp_supervision": "Weekly appointments with the probation practitioner.",
    "rmp_monitoring_and_control": "Exclusion zone around the former partner's town; curfew.",
    "rmp_interventions_and_treatment": "Building Better Relationships programme.",
    "rmp_victim_safety_planning": "Safety plan reviewed with the victim liaison officer.",
    "rmp_contingency": "Recall if the exclusion zone is breached.",
    "disclosure_consideration": "Considered: no third party needs to be told at present.",
    "level_reason": "Active multi-agency management still adds value.",
}


def create_demo_meetings(session: Session, org: DemoOrganisation, today: date, area: str) -> None:
    probation = org.agencies["DEMO-PRB"].id
    held = _case(session, probation, level=2, area=area, due_from=today + timedelta(days=14))
    if held is not None:
        _held_meeting(session, org, held, today, area)
    police = org.agencies["DEMO-POL"].id
    urgent = _case(session, police, level=2, area=area, due_from=today, latest=True)
    if urgent is not None:
        record_disclosure(
            session,
            org.actor("mosovo"),
            case_id=urgent.id,
            decision="DISCLOSE",
            route="MAPPA_RMP",
            urgent_reason="New employer learned of a start date with access to young people.",
        )
    referred = _case(session, probation, level=1, area=area, due_from=None)
    if referred is not None:
        om = org.actor("offender.manager")
        sections = {
            name: f"Demo text for {label.lower()}." for name, label in REQUIRED_SECTIONS.items()
        }
        referral = draft_referral(
            session, om, case_id=referred.id, level_requested=2, sections=sections
        )
        submit_referral(session, om, referral_id=referral.id)
        screen_referral(
            session,
            org.actor("coordinator"),
            referral_id=referral.id,
            outcome="ACCEPT",
            reason="",
            today=today - timedelta(days=3),
            settings=Settings(),
        )


def _held_meeting(
    session: Session, org: DemoOrganisation, case: MappaCase, today: date, area: str
) -> None:
    chair = org.actor("chair.l2")
    on = today - timedelta(weeks=5)
    meeting = schedule_meeting(
        session,
        chair,
        level=2,
        meeting_type="REVIEW",
        scheduled_for=on,
        mappa_area=area,
        visible=MappaCase.id == case.id,
        today=on,
    )
    item = add_to_agenda(session, chair, meeting_id=meeting.id, case_id=case.id)
    acknowledge_statement(session, chair, meeting_id=meeting.id)
    open_meeting(session, chair, meeting_id=meeting.id)
    save_minutes(
        session,
        chair,
        item_id=item.id,
        values={
            **MINUTES,
            "category": str(case.category),
            "level_decided": "2",
            "lead_agency_id": str(case.lead_agency_id),
            "next_review_date": (on + timedelta(weeks=12)).isoformat(),
        },
    )
    record_disclosure(
        session,
        chair,
        case_id=case.id,
        item_id=item.id,
        decision="DO_NOT_DISCLOSE",
        reason="No third party at risk has been identified.",
    )
    add_action(
        session,
        chair,
        item_id=item.id,
        description="Visit the approved address jointly with probation",
        owner_agency_id=org.agencies["DEMO-POL"].id,
        owner_name="MOSOVO Officer",
        due_date=on + timedelta(weeks=4),  # a week ago: the dashboard escalates it
        today=on,
    )
    approve_minutes(session, chair, item_id=item.id, settings=Settings())


def _case(
    session: Session,
    lead: object,
    *,
    level: int,
    area: str,
    due_from: date | None,
    latest: bool = False,
) -> MappaCase | None:
    query = select(MappaCase).where(
        MappaCase.lead_agency_id == lead,
        MappaCase.current_level == level,
        MappaCase.status == CaseStatus.ACTIVE,
        MappaCase.mappa_area == area,
        MappaCase.category != 3,
    )
    if due_from is not None:
        query = query.where(MappaCase.next_review_due >= due_from)
    due = MappaCase.next_review_due.desc() if latest else MappaCase.next_review_due
    return session.scalars(query.order_by(due, MappaCase.start_date, MappaCase.id).limit(1)).first()
