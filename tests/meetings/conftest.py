"""Meeting fixtures: a case due for review, a meeting held for it, complete minutes."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import true
from sqlalchemy.orm import Session

from hub.demo.agencies import DemoOrganisation
from hub.meetings.agenda import acknowledge_statement, open_meeting, schedule_meeting
from hub.meetings.models import Meeting, MeetingCaseItem
from hub.models import MappaCase
from tests.helpers import TODAY
from tests.web.conftest import app, clock, keys, policy  # noqa: F401  (the pages' app, sign-ins)


def hold_meeting(
    session: Session, org: DemoOrganisation, *, level: int = 2, chair: str = "chair.l2"
) -> Meeting:
    meeting = schedule_meeting(
        session,
        org.actor(chair),
        level=level,
        meeting_type="REVIEW",
        scheduled_for=TODAY,
        mappa_area="Test Area",
        visible=true(),
        today=TODAY,
    )
    acknowledge_statement(session, org.actor(chair), meeting_id=meeting.id)
    open_meeting(session, org.actor(chair), meeting_id=meeting.id)
    return meeting


def item_for(meeting: Meeting, case: MappaCase) -> MeetingCaseItem:
    return next(i for i in meeting.items if i.case_id == case.id)


def full_minutes(org: DemoOrganisation, **changes: Any) -> dict[str, object]:
    values: dict[str, object] = {
        "category": "2",
        "level_decided": "2",
        "lead_agency_id": str(org.agencies["DEMO-PRB"].id),
        "information_shared": "Police and probation shared recent contact notes.",
        "risk_summary": "High risk to known adults in the community.",
        "victims": "A former partner; victim liaison officer engaged.",
        "children": "No children in the household; none in regular contact.",
        "rmp_supervision": "Weekly probation appointments.",
        "rmp_monitoring_and_control": "Licence exclusion zone; curfew.",
        "rmp_interventions_and_treatment": "Accredited programme starts next month.",
        "rmp_victim_safety_planning": "Safety plan reviewed with the victim liaison officer.",
        "rmp_contingency": "Recall if the exclusion zone is breached.",
        "disclosure_consideration": "Disclosure considered; not needed at present.",
        "next_review_date": (TODAY + timedelta(weeks=12)).isoformat(),
    }
    values.update(changes)
    return values
