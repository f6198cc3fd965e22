"""The demo's circle: one COSA circle around a demo core member, started and working.

Built through the real services (so R-50 is checked and every write audited) on a case the
demo police force works, so the demo police sign-ins see the circle's concerns on their
dashboard. Everyone in it is invented.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.cosa import circles, meetings, profile
from hub.cosa.rules import CosaRules
from hub.demo.agencies import DemoOrganisation
from hub.models import CaseMembership, MappaCase
from hub.services.agencies import register_user
from hub.vocabulary import CaseStatus

REFERENCE = "CIRCLE-DEMO-1"
VOLUNTEERS = ("Aldith Marrow", "Bevis Okonjo", "Carys Penhallow", "Dunstan Quayle")
BRIEFING = (
    ("circle_goals", "Weekly circle meetings; a safe social network; steady work and housing."),
    ("relevant_conditions", "Lives at the approved address; reports weekly to probation."),
    (
        "relevant_prohibitions",
        "No unsupervised contact with anyone under 18; no work or volunteering with children.",
    ),
    ("risk_triggers", "Isolation, heavy drinking, and new unexplained phones or online accounts."),
    ("relapse_prevention_plan", "Calls a circle member when lonely; avoids parks and schools."),
    ("offence_history_summary", "Convicted of sexual offences against a child; on licence."),
)


def create_demo_circles(session: Session, org: DemoOrganisation, today: date) -> None:
    police = org.agencies["DEMO-POL"].id
    case = session.scalar(
        select(MappaCase)
        .join(CaseMembership, CaseMembership.case_id == MappaCase.id)
        .where(
            CaseMembership.agency_id == police,
            CaseMembership.until.is_(None),
            MappaCase.status == CaseStatus.ACTIVE,
        )
        .order_by(MappaCase.start_date, MappaCase.id)
        .limit(1)
    )
    if case is None:
        return  # a tiny demo without a police case has no circle
    coordinator = org.staff["cosa.coordinator"]
    if coordinator.vetting_expires is None or coordinator.vetting_expires < today:
        coordinator.vetting_expires = today + timedelta(days=365)  # a vetted coordinator
    manager = register_user(
        session,
        org.actor("cosa.coordinator"),
        agency_id=coordinator.agency_id,
        username="cosa.manager",
        display_name="Circles Service Manager",
        roles=["COSA_COORDINATOR"],
        vetting_expires=today + timedelta(days=365),
    )
    circle = circles.create_circle(
        session,
        org.actor("offender.manager"),
        case_id=case.id,
        reference=REFERENCE,
        circle_type="COMMUNITY",
        coordinator_id=coordinator.id,
        manager_id=manager.id,
        outer=[
            circles.OuterMemberInput(org.staff["mosovo"].id, "POLICE_CONTACT"),
            circles.OuterMemberInput(org.staff["offender.manager"].id, "PROBATION_CONTACT"),
        ],
        planned_end=today + timedelta(days=365),
    )
    for field, text in BRIEFING:
        profile.set_entry(session, org.actor("offender.manager"), circle.id, field=field, text=text)
    actor = org.actor("cosa.coordinator", "COSA_SUPPORT")
    circles.record_agreements(
        session,
        actor,
        circle.id,
        consent_signed_on=today - timedelta(days=21),
        contract_signed_on=today - timedelta(days=14),
        today=today,
    )
    for n, name in enumerate(VOLUNTEERS):
        circles.add_volunteer(
            session,
            actor,
            circle.id,
            name=name,
            dbs_check_date=today - timedelta(days=120 + 30 * n),
            trained_on=today - timedelta(days=40),
            vetted=True,
            today=today,
        )
    now = datetime.combine(today, time(18, 0), tzinfo=UTC)
    circles.start_circle(session, actor, circle.id, rules=CosaRules(), now=now)
    meetings.record_meeting(
        session,
        actor,
        circle.id,
        held_on=today,
        attendees=5,
        summary="First circle meeting: introductions, the contract read together, goals agreed.",
        goals_progress="Goals agreed; next week: a plan for evenings and weekends.",
        rules=CosaRules(),
        now=now,
    )
