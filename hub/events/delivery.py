"""Fanning events out to subscriptions, and one delivery attempt, through the gate.

A delivery attempt has three steps, each in its own transaction where it must be:

1. read: the event's case (and item) is read through the gate as the subscriber (its
   client's agency, as SYSTEM_API_CLIENT). A record it may not read makes the delivery
   WITHHELD: nothing is sent, and nothing hints that the event happened. A permitted read is
   audited as DISCLOSE to that client, and those entries are committed before anything is sent;
2. send: the signed POST, outside any transaction (a slow receiver holds no lock);
3. settle: DELIVERED on a 2xx; otherwise PENDING again after an exponential backoff, or DEAD
   after the last attempt.

Delivery is at least once: a crash between send and settle sends again, with the same
`webhook-id`, which receivers use to drop repeats (docs/events.md).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.actor import Actor
from hub.db import utcnow
from hub.errors import NotFound
from hub.events.models import EventDelivery, EventDeliveryStatus, EventSubscription, OutboxEvent
from hub.events.reading import read_case_record, read_event_item
from hub.events.signing import signed_headers
from hub.gate import Gate, Reader, View
from hub.oauth.model import OAuthClient
from hub.vocabulary import Purpose, Role

MAX_ATTEMPTS = 8
BACKOFF_SECONDS = 2.0  # the first retry; doubled each time, so the last is ~4 minutes after
BACKOFF_CAP_SECONDS = 3600.0
SEND_TIMEOUT_SECONDS = 10.0

Send = Callable[[str, bytes, dict[str, str]], int]


@dataclass(frozen=True)
class Prepared:
    delivery_id: uuid.UUID
    url: str
    body: bytes
    headers: dict[str, str]


@dataclass(frozen=True)
class Settled:
    status: EventDeliveryStatus
    retry_in: float | None = None  # seconds until the next attempt, while PENDING


def backoff(attempts: int, base: float = BACKOFF_SECONDS) -> float:
    """Seconds to wait after the `attempts`-th failed attempt."""
    return float(min(base * 2 ** (attempts - 1), BACKOFF_CAP_SECONDS))


def fan_out(session: Session, *, limit: int = 500) -> list[uuid.UUID]:
    """One delivery per (event, subscription that wants its type), for events not yet fanned
    out; returns the new deliveries' ids. Concurrent relays skip each other's rows."""
    events = session.scalars(
        select(OutboxEvent)
        .where(OutboxEvent.fanned_out.is_(False))
        .order_by(OutboxEvent.occurred_at, OutboxEvent.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    if not events:
        return []
    subscriptions = session.scalars(select(EventSubscription)).all()
    created: list[EventDelivery] = []
    for event in events:
        for subscription in subscriptions:
            if event.event_type in subscription.wanted:
                created.append(
                    EventDelivery(
                        event_id=event.id,
                        subscription_id=subscription.id,
                        next_attempt_at=event.occurred_at,
                    )
                )
        event.fanned_out = True
    session.add_all(created)
    session.flush()
    return [d.id for d in created]


def due(session: Session, *, now: datetime | None = None, limit: int = 500) -> list[uuid.UUID]:
    return list(
        session.scalars(
            select(EventDelivery.id)
            .where(
                EventDelivery.status == EventDeliveryStatus.PENDING,
                EventDelivery.next_attempt_at <= (now or utcnow()),
            )
            .order_by(EventDelivery.next_attempt_at)
            .limit(limit)
        )
    )


def subscriber(session: Session, client: OAuthClient) -> Reader:
    """The subscriber as the gate sees it: the API's token_actor, for an event."""
    actor = Actor(
        agency_id=client.agency_id,
        roles=frozenset({Role.SYSTEM_API_CLIENT}),
        client_id=client.client_id,
        purpose=Purpose.RISK_MANAGEMENT.value,
    )
    return replace(Reader.of(session, actor), disclosing=True)


def prepare(session: Session, gate: Gate, delivery_id: uuid.UUID) -> Prepared | None:
    """Step 1: the gated payload, its DISCLOSE entries committed; None if nothing is to send."""
    delivery = session.get(EventDelivery, delivery_id, with_for_update=True)
    if delivery is None or delivery.status is not EventDeliveryStatus.PENDING:
        session.rollback()
        return None
    event = session.get_one(OutboxEvent, delivery.event_id)
    subscription = session.get_one(EventSubscription, delivery.subscription_id)
    client = session.get(OAuthClient, subscription.client_id)
    if client is None or client.disabled_at is not None:
        _finish(delivery, EventDeliveryStatus.WITHHELD, "client disabled")
        session.commit()
        return None
    reader = subscriber(session, client)
    try:
        case = read_case_record(gate, session, reader, event.case_id)
        item = read_event_item(gate, session, reader, event.item_id) if event.item_id else None
    except NotFound:
        # The subscriber may not read it: not sent, not hinted at. The gate's DENY entries
        # stay, as for any refused read.
        _finish(delivery, EventDeliveryStatus.WITHHELD, None)
        session.commit()
        return None
    delivery.attempts += 1
    body = {
        "id": str(delivery.id),
        "type": event.event_type,
        "occurred_at": event.occurred_at.isoformat(),
        "case_id": str(event.case_id),
        "item_id": str(event.item_id) if event.item_id else None,
        "data": json.loads(event.data),
        "case": _document(case),
        "item": _document(item) if item is not None else None,
    }
    raw = json.dumps(body, default=str, sort_keys=True).encode()
    headers = signed_headers(subscription.secret, str(delivery.id), raw)
    url = subscription.url
    session.commit()  # the DISCLOSE entries and the attempt count, before anything leaves
    return Prepared(delivery_id, url, raw, headers)


def send(prepared: Prepared, *, timeout: float = SEND_TIMEOUT_SECONDS) -> str | None:
    """Step 2: POST it; None on a 2xx, else why not (never the receiver's body)."""
    # Only http(s) URLs are ever subscribed (subscriptions.check_url).
    request = urllib.request.Request(  # noqa: S310
        prepared.url, data=prepared.body, headers=prepared.headers, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            status = int(response.status)
    except urllib.error.HTTPError as exc:
        status = exc.code
    except (OSError, ValueError) as exc:
        return type(exc).__name__
    return None if 200 <= status < 300 else f"HTTP {status}"


def settle(
    session: Session,
    delivery_id: uuid.UUID,
    error: str | None,
    *,
    max_attempts: int = MAX_ATTEMPTS,
    base: float = BACKOFF_SECONDS,
) -> Settled:
    """Step 3: record what the attempt came to."""
    delivery = session.get_one(EventDelivery, delivery_id, with_for_update=True)
    if error is None:
        _finish(delivery, EventDeliveryStatus.DELIVERED, None)
        settled = Settled(EventDeliveryStatus.DELIVERED)
    elif delivery.attempts >= max_attempts:
        _finish(delivery, EventDeliveryStatus.DEAD, error)
        settled = Settled(EventDeliveryStatus.DEAD)
    else:
        wait = backoff(delivery.attempts, base)
        delivery.last_error = error[:200]
        delivery.next_attempt_at = utcnow() + timedelta(seconds=wait)
        settled = Settled(EventDeliveryStatus.PENDING, wait)
    session.commit()
    return settled


def attempt(
    session: Session,
    gate: Gate,
    delivery_id: uuid.UUID,
    *,
    max_attempts: int = MAX_ATTEMPTS,
    base: float = BACKOFF_SECONDS,
) -> Settled | None:
    """Read, send and settle one delivery; None when there was nothing to send."""
    prepared = prepare(session, gate, delivery_id)
    if prepared is None:
        return None
    return settle(session, delivery_id, send(prepared), max_attempts=max_attempts, base=base)


def retry_dead(session: Session, delivery_id: uuid.UUID) -> EventDelivery:
    """`hub events retry ID`: a DEAD delivery gets a fresh round of attempts."""
    delivery = session.get(EventDelivery, delivery_id)
    if delivery is None or delivery.status is not EventDeliveryStatus.DEAD:
        raise NotFound("dead delivery")
    delivery.status = EventDeliveryStatus.PENDING
    delivery.attempts = 0
    delivery.next_attempt_at = utcnow()
    delivery.finished_at = None
    session.flush()
    return delivery


def _finish(delivery: EventDelivery, status: EventDeliveryStatus, error: str | None) -> None:
    delivery.status = status
    delivery.finished_at = utcnow()
    delivery.last_error = error[:200] if error else None


def _document(view: View) -> dict[str, object]:
    return {
        "id": str(view.id),
        "type": view.type,
        "category": view.category,
        "returned": view.fields,
        "withheld": view.withheld,
    }
