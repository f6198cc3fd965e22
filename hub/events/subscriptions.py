"""Which agency system wants which events, and where: `hub events subscribe/list/remove`.

A subscription belongs to an OAuth client, so what its deliveries may carry is what that
client's agency may read as a SYSTEM_API_CLIENT, decided by the gate at delivery time. Its
signing secret is made here, shown to the operator once, and kept sealed.
"""

from __future__ import annotations

import base64
import secrets
import uuid
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.actor import hub_actor
from hub.audit import AuditEntry, record
from hub.errors import InvalidInput, NotFound
from hub.events.models import EventSubscription
from hub.events.outbox import EVENT_TYPES
from hub.oauth.model import OAuthClient
from hub.vocabulary import AuditOperation

SECRET_PREFIX = "whsec_"  # noqa: S105  (a prefix, not a secret) Standard Webhooks' spelling: receivers' libraries expect it


@dataclass(frozen=True)
class NewSubscription:
    subscription: EventSubscription
    secret: str  # shown once; the hub keeps it sealed


def parse_event_types(raw: str) -> frozenset[str]:
    words = raw.replace(",", " ").split()
    unknown = sorted(set(words) - EVENT_TYPES)
    if unknown:
        known = ", ".join(sorted(EVENT_TYPES))
        raise InvalidInput("--events", f"unknown event type {unknown[0]!r}; known: {known}")
    if not words:
        raise InvalidInput("--events", "at least one event type is needed")
    return frozenset(words)


def check_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise InvalidInput("--url", "an http(s) URL with a host is needed")
    if parts.username or parts.password:
        raise InvalidInput("--url", "credentials do not belong in the URL")
    if len(url) > 500:
        raise InvalidInput("--url", "at most 500 characters")
    return url


def subscribe(session: Session, *, client_id: str, url: str, event_types: str) -> NewSubscription:
    client = session.get(OAuthClient, client_id)
    if client is None:
        raise NotFound("client")
    if client.disabled_at is not None:
        raise InvalidInput("CLIENT", "the client is disabled")
    wanted = parse_event_types(event_types)
    check_url(url)
    if session.scalar(
        select(EventSubscription.id).where(
            EventSubscription.client_id == client_id, EventSubscription.url == url
        )
    ):
        raise InvalidInput("--url", "the client already subscribes at this URL")
    secret = SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()
    subscription = EventSubscription(
        client_id=client_id, url=url, event_types=" ".join(sorted(wanted))
    )
    subscription.secret = secret
    session.add(subscription)
    session.flush()
    _audit(session, AuditOperation.COLLECT, subscription)
    return NewSubscription(subscription, secret)


def listing(session: Session, client_id: str | None = None) -> list[EventSubscription]:
    query = select(EventSubscription).order_by(
        EventSubscription.client_id, EventSubscription.created_at
    )
    if client_id is not None:
        query = query.where(EventSubscription.client_id == client_id)
    return list(session.scalars(query))


def remove(session: Session, subscription_id: uuid.UUID) -> None:
    subscription = session.get(EventSubscription, subscription_id)
    if subscription is None:
        raise NotFound("subscription")
    _audit(session, AuditOperation.ERASE, subscription)
    session.delete(subscription)  # its deliveries go with it (ON DELETE CASCADE)
    session.flush()


def _audit(session: Session, operation: AuditOperation, subscription: EventSubscription) -> None:
    record(
        session,
        AuditEntry(
            operation=operation,
            actor=hub_actor(),
            record_type="event_subscription",
            record_ids=(str(subscription.id),),
            extra={"client": subscription.client_id, "events": subscription.event_types},
        ),
    )
