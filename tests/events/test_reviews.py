"""`review.due` (issue 7): one event per case and review date once a level 2/3 case's review
has fallen due (R-06), however often the job runs; delivered through the gate like every
event, so a subscriber that may not read the case is told nothing."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.db import utcnow
from hub.demo.agencies import DemoOrganisation
from hub.events.delivery import attempt, due, fan_out
from hub.events.models import EventDelivery, EventDeliveryStatus, OutboxEvent
from hub.events.reviews import REVIEW_DUE, emit_due_reviews
from hub.gate import Gate
from hub.models import MappaCase
from hub.vocabulary import CaseStatus
from tests.events.conftest import SubscriberFor
from tests.helpers import TODAY, new_case

RETENTION = 30


def _review_events(session: Session) -> list[OutboxEvent]:
    return list(
        session.scalars(
            select(OutboxEvent)
            .where(OutboxEvent.event_type == REVIEW_DUE)
            .order_by(OutboxEvent.occurred_at)
        )
    )


def _due(session: Session, org: DemoOrganisation, days_ago: int, *, level: int = 2) -> MappaCase:
    """A level 2/3 case whose review date was `days_ago` days ago (R-06: no meeting since)."""
    case = new_case(session, org, level=level)
    case.next_review_due = TODAY - timedelta(days=days_ago)
    session.flush()
    return case


def test_r06_a_review_that_has_fallen_due_is_one_event_however_often_the_job_runs(
    session: Session, org: DemoOrganisation
) -> None:
    case = _due(session, org, 3)
    first = emit_due_reviews(session, TODAY, retention_days=RETENTION)
    second = emit_due_reviews(session, TODAY, retention_days=RETENTION)

    [event] = _review_events(session)
    assert event.case_id == case.id
    assert event.item_id is None
    due_date = (TODAY - timedelta(days=3)).isoformat()
    assert json.loads(event.data) == {"due_date": due_date, "level": 2, "rule": "R-06"}
    assert (first.due, first.emitted) == (1, 1)
    assert (second.due, second.emitted) == (1, 0)  # idempotent: (case, due date) is the key


def test_r06_idempotent_across_batches_and_committed_runs(
    session: Session, org: DemoOrganisation
) -> None:
    cases = [_due(session, org, days, level=2 + days % 2) for days in range(5)]
    commits: list[int] = []
    report = emit_due_reviews(
        session,
        TODAY,
        retention_days=RETENTION,
        batch_size=2,
        commit=lambda: commits.append(1),
    )
    assert (report.due, report.emitted) == (5, 5)
    assert len(commits) == 3  # batches of at most 2 cases, each committed
    again = emit_due_reviews(session, TODAY, retention_days=RETENTION, batch_size=2)
    assert again.emitted == 0
    assert sorted(e.case_id for e in _review_events(session)) == sorted(c.id for c in cases)


def test_r06_a_new_review_date_falling_due_is_a_new_event(
    session: Session, org: DemoOrganisation
) -> None:
    case = _due(session, org, 20)
    emit_due_reviews(session, TODAY, retention_days=RETENTION)
    # A meeting was held and set the next review, which has now fallen due in its turn.
    case.next_review_due = TODAY
    session.flush()
    emit_due_reviews(session, TODAY, retention_days=RETENTION)
    emit_due_reviews(session, TODAY, retention_days=RETENTION)

    dates = [json.loads(e.data)["due_date"] for e in _review_events(session)]
    assert sorted(dates) == sorted([(TODAY - timedelta(days=20)).isoformat(), TODAY.isoformat()])


def test_r06_only_open_level_2_and_3_cases_whose_review_date_has_come(
    session: Session, org: DemoOrganisation
) -> None:
    due_today = _due(session, org, 0, level=3)
    new_case(session, org, level=2)  # due in eight weeks: not yet
    level_one = new_case(session, org, level=1)  # no MAPPA reviews at level 1
    level_one.next_review_due = TODAY - timedelta(days=1)
    closed = _due(session, org, 1)
    closed.status = CaseStatus.CLOSED
    session.flush()

    report = emit_due_reviews(session, TODAY, retention_days=RETENTION)
    assert report.emitted == 1
    assert [e.case_id for e in _review_events(session)] == [due_today.id]


def test_r06_a_review_date_older_than_the_retention_is_not_announced(
    session: Session, org: DemoOrganisation
) -> None:
    """Events are pruned after the retention, so a review date that old could otherwise be
    announced a second time once its event was pruned."""
    _due(session, org, RETENTION)  # the window is (today - retention, today]
    inside = _due(session, org, RETENTION - 1)
    report = emit_due_reviews(session, TODAY, retention_days=RETENTION)
    assert report.emitted == 1
    assert [e.case_id for e in _review_events(session)] == [inside.id]


def test_r06_review_due_reaches_only_subscribers_the_gate_lets_read_the_case(
    session: Session, org: DemoOrganisation, gate: Gate, subscriber: SubscriberFor
) -> None:
    """Probation leads the case and may read it; housing, not working it, may not: its
    system is sent nothing at all, and nothing hints that the review fell due."""
    probation = subscriber("DEMO-PRB", events="review.due")
    housing = subscriber("DEMO-HSG", events="review.due")
    uninterested = subscriber("DEMO-POL", events="item.created")
    case = _due(session, org, 1)
    emit_due_reviews(session, TODAY, retention_days=RETENTION)
    fan_out(session)
    for delivery_id in due(session, now=utcnow() + timedelta(hours=1)):
        attempt(session, gate, delivery_id)

    [received] = probation.receiver.received
    payload = json.loads(received.body)
    assert payload["type"] == REVIEW_DUE
    assert payload["case_id"] == str(case.id)
    assert payload["case"]["id"] == str(case.id)
    assert payload["data"]["due_date"] == (TODAY - timedelta(days=1)).isoformat()
    assert housing.receiver.received == []
    assert uninterested.receiver.received == []  # it did not subscribe to review.due
    statuses = sorted(session.scalars(select(EventDelivery.status)))
    assert statuses == [EventDeliveryStatus.DELIVERED, EventDeliveryStatus.WITHHELD]
