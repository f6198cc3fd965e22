"""Outbound events (issue 7 item 5): the outbox, gated and signed delivery, retries.

Deliveries go to a real HTTP receiver on loopback; the receiver checks the signature as an
agency system would. The gate decides, per subscriber, what an event may carry, and an event
the subscriber may not read is not sent at all.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub.db import utcnow
from hub.demo.agencies import DemoOrganisation
from hub.errors import InvalidInput
from hub.events import emit
from hub.events.delivery import attempt, due, fan_out
from hub.events.models import EventDelivery, EventDeliveryStatus, OutboxEvent
from hub.events.signing import InvalidSignature, verify
from hub.gate import Gate
from hub.models import InformationItem, MappaCase
from hub.services.cases import LevelDecision, change_level
from hub.services.items import ItemInput, record_item
from tests.events.conftest import SubscriberFor
from tests.helpers import TODAY, audit_documents, new_case


def _item(session: Session, org: DemoOrganisation, case: MappaCase) -> InformationItem:
    return record_item(
        session,
        org.actor("offender.manager"),
        ItemInput(
            case_id=case.id,
            category="LOCATION",
            legal_basis="CJA_S325",
            title="Moved to approved premises",
            content="Synthetic: now resident at Vellmoor approved premises.",
        ),
    )


def _events(session: Session) -> list[OutboxEvent]:
    return list(session.scalars(select(OutboxEvent).order_by(OutboxEvent.occurred_at)))


def _deliver_all(session: Session, gate: Gate, **options: float) -> None:
    fan_out(session)
    for delivery_id in due(session, now=utcnow() + timedelta(hours=2)):
        attempt(session, gate, delivery_id, **options)  # type: ignore[arg-type]


def test_a_new_item_is_delivered_signed_and_the_receiver_verifies_it(
    session: Session, org: DemoOrganisation, gate: Gate, subscriber: SubscriberFor
) -> None:
    probation = subscriber("DEMO-PRB")
    case = new_case(session, org)
    item = _item(session, org, case)
    _deliver_all(session, gate)

    [received] = probation.receiver.received
    verify(probation.secret, received.headers, received.body)  # the receiver's own check
    payload = json.loads(received.body)
    assert payload["type"] == "item.created"
    assert payload["case_id"] == str(case.id)
    assert payload["item_id"] == str(item.id)
    assert payload["item"]["id"] == str(item.id)
    assert payload["case"]["id"] == str(case.id)
    assert payload["data"] == {"category": "LOCATION"}
    with pytest.raises(InvalidSignature):
        verify(probation.secret, received.headers, received.body.replace(b"LOCATION", b"HEALTH"))
    with pytest.raises(InvalidSignature):
        verify("whsec_" + "A" * 44, received.headers, received.body)
    stale = utcnow().timestamp() + 3600
    with pytest.raises(InvalidSignature):
        verify(probation.secret, received.headers, received.body, now=stale)
    delivery = session.scalars(select(EventDelivery)).one()
    assert delivery.status is EventDeliveryStatus.DELIVERED
    # What left the hub is audited as disclosed to that client, before it was sent.
    disclosed = audit_documents(session, operation="DISCLOSE")
    assert {d["record_type"] for d in disclosed} >= {"mappa_case", "information_item"}
    assert all(d["recipients"] == [probation.client_id] for d in disclosed)


def test_a_subscriber_that_may_not_read_the_case_gets_nothing(
    session: Session, org: DemoOrganisation, gate: Gate, subscriber: SubscriberFor
) -> None:
    """The gate filters each event for its subscriber: housing, not working the case, may
    not read it, so its system is sent nothing at all, while probation's is."""
    probation = subscriber("DEMO-PRB")
    housing = subscriber("DEMO-HSG")
    case = new_case(session, org)
    _item(session, org, case)
    _deliver_all(session, gate)

    assert len(probation.receiver.received) == 1
    assert housing.receiver.received == []
    statuses = session.scalars(select(EventDelivery.status)).all()
    assert sorted(statuses) == [
        EventDeliveryStatus.DELIVERED,
        EventDeliveryStatus.WITHHELD,
    ]
    assert not audit_documents(session, operation="DISCLOSE", recipients=[housing.client_id])


def test_receiver_downtime_then_a_retry_with_backoff_delivers_once(
    session: Session, org: DemoOrganisation, gate: Gate, subscriber: SubscriberFor
) -> None:
    probation = subscriber("DEMO-PRB")
    case = new_case(session, org)
    _item(session, org, case)
    probation.receiver.stop()
    [delivery_id] = fan_out(session)

    first = attempt(session, gate, delivery_id)
    assert first is not None
    assert first.status is EventDeliveryStatus.PENDING
    assert first.retry_in == 2.0
    delivery = session.get_one(EventDelivery, delivery_id)
    assert delivery.last_error == "URLError"
    assert due(session) == []  # not before its backoff
    second = attempt(session, gate, due(session, now=utcnow() + timedelta(seconds=3))[0])
    assert second is not None
    assert second.retry_in == 4.0  # doubled

    probation.receiver.start()  # back up, on the same port
    third = attempt(session, gate, delivery_id)
    assert third is not None
    assert third.status is EventDeliveryStatus.DELIVERED
    assert len(probation.receiver.received) == 1
    verify(probation.secret, *_parts(probation.receiver.received[0]))
    assert attempt(session, gate, delivery_id) is None  # delivered: never sent again


def test_after_the_last_attempt_a_delivery_is_dead(
    session: Session, org: DemoOrganisation, gate: Gate, subscriber: SubscriberFor
) -> None:
    probation = subscriber("DEMO-PRB")
    probation.receiver.status = 500
    case = new_case(session, org)
    _item(session, org, case)
    [delivery_id] = fan_out(session)
    outcomes = [attempt(session, gate, delivery_id, max_attempts=3) for _ in range(3)]
    assert [o.status if o else None for o in outcomes] == [
        EventDeliveryStatus.PENDING,
        EventDeliveryStatus.PENDING,
        EventDeliveryStatus.DEAD,
    ]
    delivery = session.get_one(EventDelivery, delivery_id)
    assert delivery.attempts == 3
    assert delivery.last_error == "HTTP 500"
    assert len(probation.receiver.received) == 3


def test_the_outbox_row_is_written_in_the_changes_own_transaction(
    session: Session, org: DemoOrganisation
) -> None:
    case = new_case(session, org)
    assert _events(session) == []
    try:
        with session.begin_nested():
            _item(session, org, case)
            assert [e.event_type for e in _events(session)] == ["item.created"]
            raise RuntimeError("the change fails after the item was written")
    except RuntimeError:
        pass
    assert _events(session) == []  # a failed change leaves no event
    with pytest.raises(InvalidInput):
        # A refused level change (already at that level) leaves no event either.
        change_level(session, org.actor("coordinator"), case.id, LevelDecision(1, "No change"))
    assert _events(session) == []


def test_a_level_change_is_an_event_with_both_levels(
    session: Session, org: DemoOrganisation
) -> None:
    case = new_case(session, org, level=1)
    change_level(
        session,
        org.actor("coordinator"),
        case.id,
        LevelDecision(
            2,
            "Multi-agency coordination needed",
            level_two_basis="EXCEPTIONAL_COORDINATION",
            next_review_due=TODAY + timedelta(weeks=8),
        ),
    )
    [event] = _events(session)
    assert event.event_type == "case.level_changed"
    assert event.case_id == case.id
    assert json.loads(event.data) == {"from_level": 1, "to_level": 2}


def test_emit_refuses_unknown_types_and_nested_data(
    session: Session, org: DemoOrganisation
) -> None:
    case = new_case(session, org)
    with pytest.raises(InvalidInput, match="event_type"):
        emit(session, event_type="case.deleted", case_id=case.id, data={})
    with pytest.raises(InvalidInput, match=r"data\.record"):
        emit(session, event_type="review.due", case_id=case.id, data={"record": {"a": 1}})
    emit(session, event_type="review.due", case_id=case.id, data={"due": str(TODAY)})
    session.flush()
    count = session.scalar(select(func.count()).select_from(OutboxEvent))
    assert count == 1


def _parts(received: object) -> tuple[dict[str, str], bytes]:
    return received.headers, received.body  # type: ignore[attr-defined]
