"""The meeting rules through the services, on the real database (R-07 to R-10, R-24 to R-27,
R-47, R-49), with bad input and stale edits."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, true
from sqlalchemy.orm import Session

from hub.casework.reviews import add_working_days
from hub.demo.agencies import DemoOrganisation
from hub.errors import Conflict, RuleViolation
from hub.meetings.actions import add_action, overdue_actions
from hub.meetings.agenda import schedule_meeting, submit_contribution
from hub.meetings.common import NotPermitted, Problems
from hub.meetings.disclosures import complete_disclosure, record_disclosure
from hub.meetings.minutes import approve_minutes, save_minutes
from hub.meetings.models import (
    AgendaReason,
    ChildContact,
    ChildContactContext,
    MinutesStatus,
    ReferralStatus,
)
from hub.meetings.referrals import (
    REQUIRED_SECTIONS,
    draft_referral,
    initial_meeting_late,
    screen_referral,
    submit_referral,
)
from hub.models import CaseChange, MappaCase
from hub.settings import Settings
from hub.vocabulary import CaseChangeKind
from tests.helpers import TODAY, audit_documents, new_case
from tests.meetings.conftest import full_minutes, hold_meeting, item_for

SETTINGS = Settings(environment="test")
COMPLETE_REFERRAL = {name: f"The {name} section, filled in." for name in REQUIRED_SECTIONS}


def _fields(problems: Problems) -> set[str]:
    return {field for field, _ in problems.problems}


def _ready(session: Session, org: DemoOrganisation, case: MappaCase, **changes: object):  # type: ignore[no-untyped-def]
    """A held meeting with this case's minutes complete but not approved."""
    meeting = hold_meeting(session, org)
    item = item_for(meeting, case)
    chair = org.actor("chair.l2")
    save_minutes(session, chair, item_id=item.id, values=full_minutes(org, **changes))
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
        description="Arrange a joint home visit",
        owner_agency_id=org.agencies["DEMO-POL"].id,
        owner_name="MOSOVO Officer",
        due_date=TODAY + timedelta(days=14),
        today=TODAY,
    )
    return meeting, item


# -- referrals -------------------------------------------------------------


def test_r10_a_referral_missing_sections_cannot_be_submitted(
    session: Session, org: DemoOrganisation
) -> None:
    case = new_case(session, org, category=2, level=1)
    referral = draft_referral(
        session,
        org.actor("offender.manager"),
        case_id=case.id,
        level_requested=2,
        sections={"category": "Category 2", "offender": "Adult male"},
    )
    with pytest.raises(Problems) as refused:
        submit_referral(session, org.actor("offender.manager"), referral_id=referral.id)
    assert refused.value.rule == "R-10"
    assert "sections.victims" in _fields(refused.value)
    assert "sections.category" not in _fields(refused.value)
    assert referral.status is ReferralStatus.DRAFT


def test_r10_level_three_needs_the_rmp_gaps_and_the_coordinator_returns_with_a_reason(
    session: Session, org: DemoOrganisation
) -> None:
    case = new_case(session, org, category=2, level=1)
    om = org.actor("offender.manager")
    referral = draft_referral(
        session, om, case_id=case.id, level_requested=3, sections=COMPLETE_REFERRAL
    )
    with pytest.raises(Problems) as refused:
        submit_referral(session, om, referral_id=referral.id)
    assert _fields(refused.value) == {"sections.level3_justification"}
    submit_referral(
        session,
        om,
        referral_id=referral.id,
        sections={**COMPLETE_REFERRAL, "level3_justification": "Surveillance is needed."},
    )
    coordinator = org.actor("coordinator")
    with pytest.raises(RuleViolation) as no_reason:
        screen_referral(
            session,
            coordinator,
            referral_id=referral.id,
            outcome="RETURN_INCOMPLETE",
            reason="",
            today=TODAY,
            settings=SETTINGS,
        )
    assert no_reason.value.rule == "R-10"
    with pytest.raises(NotPermitted):
        screen_referral(
            session,
            om,
            referral_id=referral.id,
            outcome="ACCEPT",
            reason="",
            today=TODAY,
            settings=SETTINGS,
        )
    screen_referral(
        session,
        coordinator,
        referral_id=referral.id,
        outcome="RETURN_INCOMPLETE",
        reason="The victims section names nobody; add them.",
        today=TODAY,
        settings=SETTINGS,
    )
    assert referral.status is ReferralStatus.RETURNED_INCOMPLETE


def test_r08_an_accepted_referral_is_due_at_a_meeting_within_the_working_days(
    session: Session, org: DemoOrganisation
) -> None:
    case = new_case(session, org, category=2, level=1)
    om = org.actor("offender.manager")
    referral = draft_referral(
        session, om, case_id=case.id, level_requested=2, sections=COMPLETE_REFERRAL
    )
    submit_referral(session, om, referral_id=referral.id)
    screen_referral(
        session,
        org.actor("coordinator"),
        referral_id=referral.id,
        outcome="ACCEPT",
        reason="",
        today=TODAY,
        settings=SETTINGS,
    )
    deadline = add_working_days(TODAY, SETTINGS.initial_meeting_deadline_working_days)
    assert referral.target_meeting_by == deadline
    assert not initial_meeting_late(session, referral, deadline)
    assert initial_meeting_late(session, referral, deadline + timedelta(days=1))  # flagged
    meeting = schedule_meeting(
        session,
        org.actor("chair.l2"),
        level=2,
        meeting_type="INITIAL",
        scheduled_for=TODAY + timedelta(days=7),
        mappa_area="Test Area",
        visible=true(),
        today=TODAY,
    )
    on_agenda = item_for(meeting, case)
    assert on_agenda.reason is AgendaReason.REFERRAL
    assert on_agenda.referral_id == referral.id


# -- the agenda ---------------------------------------------------------------------------


def test_the_agenda_takes_overdue_and_due_reviews_of_its_level_only(
    session: Session, org: DemoOrganisation
) -> None:
    overdue = new_case(session, org, category=2, level=2, next_review_due=TODAY - timedelta(days=3))
    due = new_case(session, org, category=2, level=2, next_review_due=TODAY + timedelta(days=5))
    later = new_case(session, org, category=2, level=2, next_review_due=TODAY + timedelta(weeks=9))
    level3 = new_case(session, org, category=2, level=3, next_review_due=TODAY)
    meeting = schedule_meeting(
        session,
        org.actor("chair.l2"),
        level=2,
        meeting_type="REVIEW",
        scheduled_for=TODAY + timedelta(days=7),
        mappa_area="Test Area",
        visible=true(),
        today=TODAY,
    )
    reasons = {i.case_id: i.reason for i in meeting.items}
    assert reasons[overdue.id] is AgendaReason.REVIEW_OVERDUE
    assert reasons[due.id] is AgendaReason.REVIEW_DUE
    assert later.id not in reasons
    assert level3.id not in reasons
    assert next(i.case_id for i in meeting.items) == overdue.id  # the most overdue first
    invited = {a.agency_id for a in meeting.attendees}
    assert org.agencies["DEMO-PRB"].id in invited  # the lead agency (R-11 list)


def test_only_chairs_and_coordinators_schedule_and_bad_input_names_the_fields(
    session: Session, org: DemoOrganisation
) -> None:
    with pytest.raises(NotPermitted):
        schedule_meeting(
            session,
            org.actor("housing.rep"),
            level=2,
            meeting_type="REVIEW",
            scheduled_for=TODAY,
            mappa_area="Test Area",
            visible=true(),
            today=TODAY,
        )
    with pytest.raises(Problems) as refused:
        schedule_meeting(
            session,
            org.actor("chair.l2"),
            level=4,
            meeting_type="PARTY",
            scheduled_for=TODAY,
            mappa_area="Test Area",
            visible=true(),
            today=TODAY,
        )
    assert _fields(refused.value) == {"level", "type"}


def test_contributions_come_from_invited_agencies_before_the_meeting_opens(
    session: Session, org: DemoOrganisation
) -> None:
    case = new_case(session, org, category=2, level=2, next_review_due=TODAY)
    meeting = schedule_meeting(
        session,
        org.actor("coordinator"),
        level=2,
        meeting_type="REVIEW",
        scheduled_for=TODAY,
        mappa_area="Test Area",
        visible=true(),
        today=TODAY,
        chair_user_id=org.staff["chair.l2"].id,
    )
    item = item_for(meeting, case)
    with pytest.raises(RuleViolation) as uninvited:
        submit_contribution(session, org.actor("housing.rep"), item_id=item.id, summary="x")
    assert uninvited.value.rule == "R-11"
    made = submit_contribution(
        session, org.actor("offender.manager"), item_id=item.id, summary="Attending well."
    )
    assert made.summary == "Attending well."


# -- approving minutes ---------------------------------------


def test_r09_minutes_cannot_be_approved_without_every_required_section(
    session: Session, org: DemoOrganisation
) -> None:
    case = new_case(session, org, category=2, level=2, next_review_due=TODAY)
    meeting = hold_meeting(session, org)
    item = item_for(meeting, case)
    save_minutes(session, org.actor("chair.l2"), item_id=item.id, values={"category": ""})
    with pytest.raises(Problems) as refused:
        approve_minutes(session, org.actor("chair.l2"), item_id=item.id, settings=SETTINGS)
    assert refused.value.rule == "R-09"
    assert {
        "level_decided",
        "victims",
        "children",
        "rmp_supervision",
        "rmp_contingency",
        "disclosure_consideration",
        "next_review_date",
        "actions",
        "disclosures",
    } <= _fields(refused.value)
    assert item.status is MinutesStatus.DRAFT


def test_r09_approval_sets_the_next_review_and_records_the_level_change_with_history(
    session: Session, org: DemoOrganisation
) -> None:
    case = new_case(session, org, category=2, level=2, next_review_due=TODAY)
    _, item = _ready(
        session,
        org,
        case,
        level_decided="3",
        rmp_gaps_at_level_two="Surveillance at short notice",
        next_review_date=(TODAY + timedelta(weeks=8)).isoformat(),
    )
    with pytest.raises(NotPermitted):
        approve_minutes(session, org.actor("coordinator"), item_id=item.id, settings=SETTINGS)
    approve_minutes(session, org.actor("chair.l2"), item_id=item.id, settings=SETTINGS)
    assert item.status is MinutesStatus.CHAIR_APPROVED
    assert case.current_level == 3
    assert case.next_review_due == TODAY + timedelta(weeks=8)
    change = session.scalars(
        select(CaseChange)
        .where(CaseChange.case_id == case.id, CaseChange.kind == CaseChangeKind.LEVEL)
        .order_by(CaseChange.changed_at.desc())
    ).first()
    assert change is not None
    assert change.new_value == "3"
    assert change.meeting_id == item.meeting_id
    altered = audit_documents(session, operation="ALTER", record_type="meeting_case_item")
    assert any(d["outcome"] == "R-09" for d in altered)


def test_r49_victims_none_identified_needs_a_reason(
    session: Session, org: DemoOrganisation
) -> None:
    case = new_case(session, org, category=2, level=2, next_review_due=TODAY)
    _, item = _ready(session, org, case, victims="", victims_none_identified="yes")
    with pytest.raises(Problems) as refused:
        approve_minutes(session, org.actor("chair.l2"), item_id=item.id, settings=SETTINGS)
    assert _fields(refused.value) == {"victims_none_reason"}
    save_minutes(
        session,
        org.actor("chair.l2"),
        item_id=item.id,
        values=full_minutes(
            org,
            victims="",
            victims_none_identified="yes",
            victims_none_reason="Offences were against property only.",
        ),
    )
    approve_minutes(session, org.actor("chair.l2"), item_id=item.id, settings=SETTINGS)


def test_r24_every_minute_needs_a_disclosure_decision_and_not_disclosing_needs_a_reason(
    session: Session, org: DemoOrganisation
) -> None:
    case = new_case(session, org, category=2, level=2, next_review_due=TODAY)
    meeting = hold_meeting(session, org)
    item = item_for(meeting, case)
    chair = org.actor("chair.l2")
    save_minutes(session, chair, item_id=item.id, values=full_minutes(org, no_actions="yes"))
    with pytest.raises(Problems) as refused:
        approve_minutes(session, chair, item_id=item.id, settings=SETTINGS)
    assert _fields(refused.value) == {"disclosures"}
    with pytest.raises(RuleViolation) as no_reason:
        record_disclosure(
            session, chair, case_id=case.id, item_id=item.id, decision="DO_NOT_DISCLOSE"
        )
    assert no_reason.value.rule == "R-24"
    record_disclosure(
        session,
        chair,
        case_id=case.id,
        item_id=item.id,
        decision="DISCLOSE",
        route="CJA_327A",
    )
    approve_minutes(session, chair, item_id=item.id, settings=SETTINGS)


def test_r47_a_child_contact_without_a_check_result_needs_the_chairs_override(
    session: Session, org: DemoOrganisation
) -> None:
    case = new_case(session, org, category=1, level=2, next_review_due=TODAY)
    child = ChildContact(
        case_id=case.id,
        context=ChildContactContext.PARTNER_CHILD,
        owning_agency_id=org.agencies["DEMO-POL"].id,
    )
    child.child_ref = "Child A"
    session.add(child)
    session.flush()
    _, item = _ready(session, org, case, category="1")
    with pytest.raises(Problems) as refused:
        approve_minutes(session, org.actor("chair.l2"), item_id=item.id, settings=SETTINGS)
    assert _fields(refused.value) == {"child_check_override_reason"}
    save_minutes(
        session,
        org.actor("chair.l2"),
        item_id=item.id,
        values=full_minutes(
            org,
            category="1",
            child_check_override_reason="Check requested today; safety plan in place meanwhile.",
        ),
    )
    approve_minutes(session, org.actor("chair.l2"), item_id=item.id, settings=SETTINGS)


def test_r07_a_review_later_than_the_interval_needs_the_chairs_reason(
    session: Session, org: DemoOrganisation
) -> None:
    case = new_case(session, org, category=2, level=2, next_review_due=TODAY)
    late = TODAY + timedelta(weeks=SETTINGS.max_review_interval_weeks_level2, days=1)
    _, item = _ready(session, org, case, next_review_date=late.isoformat())
    with pytest.raises(Problems) as refused:
        approve_minutes(session, org.actor("chair.l2"), item_id=item.id, settings=SETTINGS)
    assert _fields(refused.value) == {"next_review_date"}
    assert "R-07" in str(refused.value)
    save_minutes(
        session,
        org.actor("chair.l2"),
        item_id=item.id,
        values=full_minutes(
            org,
            next_review_date=late.isoformat(),
            review_override_reason="Trial date falls a day after the usual interval.",
        ),
    )
    approve_minutes(session, org.actor("chair.l2"), item_id=item.id, settings=SETTINGS)
    assert case.next_review_due == late


def test_a_stale_save_is_refused_and_bad_input_saves_nothing(
    session: Session, org: DemoOrganisation
) -> None:
    case = new_case(session, org, category=2, level=2, next_review_due=TODAY)
    meeting = hold_meeting(session, org)
    item = item_for(meeting, case)
    chair = org.actor("chair.l2")
    opened = item.version
    save_minutes(session, chair, item_id=item.id, values=full_minutes(org), expected_version=opened)
    with pytest.raises(Conflict):
        save_minutes(
            session,
            org.actor("coordinator"),
            item_id=item.id,
            values=full_minutes(org, victims="Overwritten"),
            expected_version=opened,
        )
    assert item.sections["victims"].startswith("A former partner")
    with pytest.raises(Problems) as refused:
        save_minutes(
            session,
            chair,
            item_id=item.id,
            values=full_minutes(org, victims="Changed", category="9", next_review_date="31/02"),
        )
    assert _fields(refused.value) == {"category", "next_review_date"}
    session.refresh(item)
    assert item.sections["victims"].startswith("A former partner")


# -- disclosure -----------------------------------------------------------------


def test_r26_a_disclosure_completes_only_with_every_detail(
    session: Session, org: DemoOrganisation
) -> None:
    case = new_case(session, org, category=1, level=2, next_review_due=TODAY)
    meeting = hold_meeting(session, org)
    item = item_for(meeting, case)
    chair = org.actor("chair.l2")
    made = record_disclosure(
        session, chair, case_id=case.id, item_id=item.id, decision="DISCLOSE", route="CJA_327A"
    )
    with pytest.raises(Problems) as refused:
        complete_disclosure(session, chair, decision_id=made.id, values={})
    assert refused.value.rule == "R-26"
    assert _fields(refused.value) == {
        "recipient",
        "discloser",
        "method",
        "disclosed_on",
        "undertaking_signed_on",
        "offender_informed",
    }
    details = {
        "recipient": "New partner (mother of two)",
        "discloser": "Police and probation jointly",
        "method": "In person",
        "disclosed_on": TODAY.isoformat(),
        "undertaking_signed_on": TODAY.isoformat(),
        "offender_informed": "no",
    }
    with pytest.raises(Problems) as no_reason:
        complete_disclosure(session, chair, decision_id=made.id, values=details)
    assert _fields(no_reason.value) == {"not_informed_reason"}
    complete_disclosure(
        session,
        chair,
        decision_id=made.id,
        values={**details, "not_informed_reason": "WOULD_INCREASE_RISK"},
    )
    assert made.completed_at is not None
    assert made.offender_informed is False


def test_r27_an_urgent_disclosure_records_why_and_goes_on_the_next_agenda(
    session: Session, org: DemoOrganisation
) -> None:
    case = new_case(session, org, category=1, level=2, next_review_due=TODAY + timedelta(weeks=10))
    om = org.actor("offender.manager")
    with pytest.raises(RuleViolation) as no_reason:
        record_disclosure(session, om, case_id=case.id, decision="DISCLOSE")
    assert no_reason.value.rule == "R-27"
    urgent = record_disclosure(
        session,
        om,
        case_id=case.id,
        decision="DISCLOSE",
        urgent_reason="Imminent contact with a child at a weekend event.",
    )
    meeting = schedule_meeting(
        session,
        org.actor("chair.l2"),
        level=2,
        meeting_type="REVIEW",
        scheduled_for=TODAY + timedelta(days=7),
        mappa_area="Test Area",
        visible=true(),
        today=TODAY,
    )
    item = item_for(meeting, case)
    assert item.reason is AgendaReason.RATIFICATION
    assert urgent.ratified_item_id == item.id
    again = schedule_meeting(
        session,
        org.actor("chair.l2"),
        level=2,
        meeting_type="REVIEW",
        scheduled_for=TODAY + timedelta(days=8),
        mappa_area="Test Area",
        visible=true(),
        today=TODAY,
    )
    assert all(i.case_id != case.id for i in again.items)  # ratified once, not every meeting


# -- actions --------------------------------------------------------------------------------


def test_actions_need_an_owner_and_a_due_date_and_overdue_ones_are_found(
    session: Session, org: DemoOrganisation
) -> None:
    case = new_case(session, org, category=2, level=2, next_review_due=TODAY)
    meeting = hold_meeting(session, org)
    item = item_for(meeting, case)
    chair = org.actor("chair.l2")
    with pytest.raises(Problems) as refused:
        add_action(
            session,
            chair,
            item_id=item.id,
            description="",
            owner_agency_id="nope",
            owner_name="",
            due_date="soon",
            today=TODAY,
        )
    assert _fields(refused.value) == {
        "action_description",
        "action_owner_name",
        "action_due_date",
        "action_owner_agency",
    }
    add_action(
        session,
        chair,
        item_id=item.id,
        description="Check the address",
        owner_agency_id=org.agencies["DEMO-POL"].id,
        owner_name="MOSOVO Officer",
        due_date=TODAY + timedelta(days=2),
        today=TODAY,
    )
    later = TODAY + timedelta(days=5)
    found, total = overdue_actions(session, visible=true(), today=later)
    assert total >= 1
    assert any(a.case_id == case.id for a in found)
    assert overdue_actions(session, visible=true(), today=TODAY)[1] == 0 or all(
        a.case_id != case.id for a in overdue_actions(session, visible=true(), today=TODAY)[0]
    )
