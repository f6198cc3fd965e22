"""Outbox pruning (issue 7): finished events and their deliveries go once older than the
retention, in bounded batches; an event not yet fanned out, or with a delivery still
pending, is never pruned, however old."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub.db import utcnow
from hub.demo.agencies import DemoOrganisation
from hub.errors import SettingsError
from hub.events import emit
from hub.events.delivery import fan_out
from hub.events.models import EventDelivery, EventDeliveryStatus, EventSubscription, OutboxEvent
from hub.events.pruning import DEFAULT_RETENTION_DAYS, prune, retention_days
from tests.events.conftest import SubscriberFor
from tests.helpers import new_case

NOW = utcnow()
CUTOFF = NOW - timedelta(days=DEFAULT_RETENTION_DAYS)
OLD = CUTOFF - timedelta(days=5)
RECENT = CUTOFF + timedelta(days=5)


def _event(
    session: Session, org: DemoOrganisation, *, occurred: datetime = OLD, fanned_out: bool = True
) -> OutboxEvent:
    """An event about a new case that occurred at `occurred`."""
    case = new_case(session, org)
    emit(session, event_type="concern.raised", case_id=case.id, data={})
    session.flush()
    event = session.scalars(select(OutboxEvent).where(OutboxEvent.case_id == case.id)).one()
    event.occurred_at = occurred
    event.fanned_out = fanned_out
    session.flush()
    return event


def _deliveries(
    session: Session,
    event: OutboxEvent,
    subscriptions: list[str],
    *statuses: EventDeliveryStatus,
    finished: datetime | None = OLD,
) -> None:
    """One delivery to each client's subscription, in order, with these statuses; each
    finished at `finished` unless PENDING."""
    ids = session.scalars(
        select(EventSubscription.id).where(EventSubscription.client_id.in_(subscriptions))
    ).all()
    for subscription_id, status in zip(ids, statuses, strict=False):
        pending = status is EventDeliveryStatus.PENDING
        session.add(
            EventDelivery(
                event_id=event.id,
                subscription_id=subscription_id,
                status=status,
                attempts=1,
                next_attempt_at=event.occurred_at,
                finished_at=None if pending else finished,
            )
        )
    session.flush()


def _left(session: Session) -> tuple[set[object], int]:
    events = set(session.scalars(select(OutboxEvent.id)))
    deliveries = session.scalar(select(func.count()).select_from(EventDelivery)) or 0
    return events, deliveries


@pytest.fixture
def clients(subscriber: SubscriberFor) -> list[str]:
    return [subscriber(agency).client_id for agency in ("DEMO-PRB", "DEMO-POL")]


def test_finished_events_older_than_the_retention_go_with_their_deliveries(
    session: Session, org: DemoOrganisation, clients: list[str]
) -> None:
    delivered = _event(session, org)
    _deliveries(session, delivered, clients, EventDeliveryStatus.DELIVERED)
    dead = _event(session, org)
    _deliveries(session, dead, clients, EventDeliveryStatus.DEAD, EventDeliveryStatus.WITHHELD)
    nobody_wanted = _event(session, org)  # fanned out to no subscription
    recent = _event(session, org, occurred=RECENT)
    _deliveries(session, recent, clients, EventDeliveryStatus.DELIVERED, finished=RECENT)

    report = prune(session, before=CUTOFF)

    events, deliveries = _left(session)
    assert events == {recent.id}
    assert deliveries == 1
    assert (report.events, report.deliveries) == (3, 3)
    assert {delivered.id, dead.id, nobody_wanted.id}.isdisjoint(events)


def test_undelivered_events_are_never_pruned_however_old(
    session: Session, org: DemoOrganisation, clients: list[str]
) -> None:
    not_fanned_out = _event(session, org, fanned_out=False)
    pending = _event(session, org)
    _deliveries(session, pending, clients, EventDeliveryStatus.PENDING)
    # One subscriber has it, the other is still waiting: the event and both deliveries stay.
    half = _event(session, org)
    _deliveries(session, half, clients, EventDeliveryStatus.DELIVERED, EventDeliveryStatus.PENDING)
    # Dead only recently: an operator may still retry it within the retention.
    died_lately = _event(session, org)
    _deliveries(session, died_lately, clients, EventDeliveryStatus.DEAD, finished=RECENT)

    report = prune(session, before=CUTOFF)

    assert (report.events, report.deliveries) == (0, 0)
    events, deliveries = _left(session)
    assert events == {not_fanned_out.id, pending.id, half.id, died_lately.id}
    assert deliveries == 4


def test_pruning_runs_in_bounded_batches_each_committed(
    session: Session, org: DemoOrganisation, clients: list[str]
) -> None:
    for _ in range(5):
        _deliveries(session, _event(session, org), clients, EventDeliveryStatus.DELIVERED)
    keep = _event(session, org)
    _deliveries(session, keep, clients, EventDeliveryStatus.PENDING)
    commits: list[int] = []

    report = prune(session, before=CUTOFF, batch_size=2, commit=lambda: commits.append(1))

    assert (report.events, report.deliveries, report.batches) == (5, 5, 3)
    assert len(commits) == 3
    assert _left(session) == ({keep.id}, 1)
    assert prune(session, before=CUTOFF).events == 0  # nothing more to do


def test_what_the_worker_has_not_finished_stays_even_past_any_retention(
    session: Session, org: DemoOrganisation, subscriber: SubscriberFor
) -> None:
    """Straight from the real fan-out, a wanted event's delivery is pending: nothing goes."""
    subscriber("DEMO-PRB", events="concern.raised")
    case = new_case(session, org)
    emit(session, event_type="concern.raised", case_id=case.id, data={})
    session.flush()
    assert len(fan_out(session)) == 1
    assert prune(session, before=utcnow() + timedelta(days=1)).events == 0
    assert _left(session)[1] == 1


def test_the_retention_setting_defaults_to_30_days_and_names_itself_when_bad() -> None:
    assert retention_days({}) == DEFAULT_RETENTION_DAYS == 30
    assert retention_days({"HUB_EVENT_RETENTION_DAYS": "90"}) == 90
    for bad in ("0", "ninety", "3651", "-1"):
        with pytest.raises(SettingsError, match=r"^setting HUB_EVENT_RETENTION_DAYS "):
            retention_days({"HUB_EVENT_RETENTION_DAYS": bad})
