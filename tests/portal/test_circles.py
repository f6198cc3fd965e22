"""Circles: starting (R-50), consent withdrawn (R-53), meetings and their minutes (R-54)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.cosa import circles, concerns, meetings
from hub.cosa.models import CosaNotice
from hub.cosa.rules import CosaRules, add_working_days
from hub.cosa.vocabulary import CircleStatus, NoticeKind
from hub.errors import InvalidInput, RuleViolation
from tests.helpers import audit_documents
from tests.portal.conftest import RULES, Clock, World, portal_sign_in, post_form, start_circle


def _notified(session: Session, kind: NoticeKind) -> set[str]:
    rows = session.scalars(select(CosaNotice).where(CosaNotice.kind == kind))
    return {str(n.user_id) for n in rows}


def test_r50_a_circle_does_not_start_without_consent_contract_and_vetted_volunteers(
    session: Session, world: World, clock: Clock
) -> None:
    actor, today = world.actor("cosa.coordinator"), clock.now.date()
    with pytest.raises(RuleViolation) as refused:
        circles.start_circle(session, actor, world.circle.id, rules=RULES, now=clock.now)
    assert refused.value.rule == "R-50"
    problems = dict(circles.start_problems(session, world.circle, RULES, today))
    assert set(problems) == {"consent_signed_on", "contract_signed_on", "volunteers"}
    circles.record_agreements(
        session,
        actor,
        world.circle.id,
        consent_signed_on=today,
        contract_signed_on=today,
        today=today,
    )
    stale = circles.add_volunteer(
        session,
        actor,
        world.circle.id,
        name="Osric Fenwell",
        dbs_check_date=today - timedelta(days=RULES.dbs_validity_days + 1),
        trained_on=today,
        vetted=True,
        today=today,
    )
    problems = circles.start_problems(session, world.circle, RULES, today)
    assert problems == [("volunteers", "Osric Fenwell's DBS check is not current")]
    # The validity is configuration: a provider allowing longer accepts the same check.
    assert (
        circles.start_problems(session, world.circle, CosaRules(dbs_validity_days=3650), today)
        == []
    )
    stale.dbs_check_date = today - timedelta(days=10)
    stale.vetted = False
    assert circles.start_problems(session, world.circle, RULES, today) == [
        ("volunteers", "Osric Fenwell is not vetted and trained")
    ]
    stale.vetted = True
    world.user("cosa.coordinator").vetting_expires = today - timedelta(days=1)
    assert [f for f, _ in circles.start_problems(session, world.circle, RULES, today)] == [
        "coordinator"
    ]
    world.user("cosa.coordinator").vetting_expires = today + timedelta(days=30)
    started = circles.start_circle(session, actor, world.circle.id, rules=RULES, now=clock.now)
    assert started.status is CircleStatus.ACTIVE
    assert audit_documents(session, record_type="circle", outcome="STARTED")


def test_r50_the_portal_lists_what_is_missing_and_starts_once_it_holds(
    client: FlaskClient, session: Session, world: World, clock: Clock
) -> None:
    portal_sign_in(client, world, clock, "cosa.coordinator")
    path = f"/portal/circles/{world.circle.id}"
    page = client.get(path).get_data(as_text=True)
    assert "Record the core member&#39;s signed consent" in page
    assert "Start the circle" not in page
    today = clock.now.date()
    dates = {}
    for name, day in (("consent_signed_on", today), ("contract_signed_on", today)):
        dates.update(
            {
                f"{name}-day": str(day.day),
                f"{name}-month": str(day.month),
                f"{name}-year": str(day.year),
            }
        )
    assert post_form(client, path + "/agreements", dates).status_code == 303
    volunteer = {
        "name": "Wenna Coldridge",
        "dbs_check_date-day": "1",
        "dbs_check_date-month": "6",
        "dbs_check_date-year": "2026",
        "trained_on-day": "1",
        "trained_on-month": "7",
        "trained_on-year": "2026",
        "vetted": "yes",
    }
    assert post_form(client, path + "/volunteers/new", volunteer).status_code == 303
    response = post_form(client, path + "/start", {}, source=path)
    assert response.status_code == 303
    assert "done=started" in response.headers["Location"]
    session.refresh(world.circle)
    assert world.circle.status is CircleStatus.ACTIVE


def test_r53_consent_withdrawn_suspends_tells_the_outer_circle_and_closes_the_profile(
    client: FlaskClient, session: Session, world: World, clock: Clock
) -> None:
    start_circle(session, world, clock)
    portal_sign_in(client, world, clock, "cosa.coordinator")
    path = f"/portal/circles/{world.circle.id}"
    assert "Keep weekly contact" in client.get(path).get_data(as_text=True)
    refused = post_form(client, path + "/consent-withdrawn", {})
    assert refused.status_code == 400  # the confirmation is required
    assert world.circle.status is CircleStatus.ACTIVE
    response = post_form(client, path + "/consent-withdrawn", {"confirm": "yes"})
    assert response.status_code == 303
    session.refresh(world.circle)
    assert world.circle.status is CircleStatus.SUSPENDED
    outer = {str(world.user("mosovo").id), str(world.user("offender.manager").id)}
    assert _notified(session, NoticeKind.CIRCLE_SUSPENDED) == outer
    page = client.get(path).get_data(as_text=True)
    assert "Keep weekly contact" not in page
    assert "Corvan" not in page
    assert "the core member withdrew consent" in page
    assert audit_documents(session, operation="DENY", record_type="circle_profile")
    # Volunteers can still raise concerns (the public-interest route).
    concern = concerns.raise_concern(
        session,
        world.actor("cosa.coordinator"),
        world.circle.id,
        category="WELFARE",
        severity="ROUTINE",
        description="Says he feels isolated since the circle paused.",
        reported_by_volunteer_id=None,
        rules=RULES,
        now=clock.now,
    )
    assert concern.id is not None


def test_r54_minutes_are_due_in_working_days_and_their_send_is_audited(
    client: FlaskClient, session: Session, world: World, clock: Clock
) -> None:
    start_circle(session, world, clock)
    portal_sign_in(client, world, clock, "cosa.coordinator")
    path = f"/portal/circles/{world.circle.id}"
    day = clock.now.date() - timedelta(days=10)  # a Friday, ten days ago
    form = {
        "held_on-day": str(day.day),
        "held_on-month": str(day.month),
        "held_on-year": str(day.year),
        "attendees": "5",
        "summary": "Talked through the week; planned the weekend.",
        "goals_progress": "Joined a walking group.",
    }
    assert post_form(client, path + "/meetings/new", form).status_code == 303
    meeting = meetings.meetings_of(session, world.circle)[0]
    assert meeting.minutes_due_at.date() == day + timedelta(days=5)  # Fri + 3 working days
    assert meeting.minutes_sent_at is None
    # Already past the due date: shown overdue, still sendable, and the send says so.
    page = client.get(path).get_data(as_text=True)
    assert "Overdue" in page
    response = post_form(client, f"{path}/meetings/{meeting.id}/send", {}, source=path)
    assert response.status_code == 303
    session.refresh(meeting)
    assert meeting.minutes_sent_at == clock.now
    sent = audit_documents(session, operation="DISCLOSE", record_type="circle_meeting")
    assert len(sent) == 1
    assert sent[0]["outcome"] == "R-54"
    assert sent[0]["extra"]["late"] == "true"
    outer = {str(world.user("mosovo").id), str(world.user("offender.manager").id)}
    assert set(sent[0]["extra"]["recipients"].split(",")) == outer
    assert _notified(session, NoticeKind.MINUTES_SENT) == outer
    with pytest.raises(InvalidInput):  # once only
        meetings.send_minutes(
            session, world.actor("cosa.coordinator"), world.circle.id, meeting.id, now=clock.now
        )


def test_r54_working_days_skip_the_weekend() -> None:
    from datetime import UTC, datetime

    friday = datetime(2026, 11, 27, 16, 0, tzinfo=UTC)
    assert add_working_days(friday, 1) == datetime(2026, 11, 30, 16, 0, tzinfo=UTC)
    assert add_working_days(friday, 3) == datetime(2026, 12, 2, 16, 0, tzinfo=UTC)


def test_a_circle_is_set_up_by_a_referrer_with_a_police_contact(
    session: Session, world: World
) -> None:
    def create(by: str, reference: str, police: str) -> object:
        return circles.create_circle(
            session,
            world.actor(by),
            case_id=world.case.id,
            reference=reference,
            circle_type="COMMUNITY",
            coordinator_id=world.user("cosa.coordinator").id,
            manager_id=world.user("cosa.manager").id,
            outer=[circles.OuterMemberInput(world.user(police).id, "POLICE_CONTACT")],
        )

    with pytest.raises(InvalidInput, match="by:"):
        create("cosa.coordinator", "CIRCLE-X9", "mosovo")  # a coordinator does not refer
    with pytest.raises(InvalidInput, match="police contact must work for a police force"):
        create("offender.manager", "CIRCLE-X9", "offender.manager")
    with pytest.raises(InvalidInput, match="already exists"):
        create("offender.manager", "circle-a1", "mosovo")
