"""The outbox, the subscriptions and the deliveries of outbound events (issue 7 item 5).

An outbox row holds only what the change was (type, case, item, small non-personal facts such
as levels): what a subscriber sees of the case or item is read through the gate at delivery
time, as that subscriber, so a later restriction (consent withdrawn, say) is honoured too.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hub.crypto.fields import SealedField, SealedText
from hub.db import Base, enum_type, utcnow


class EventDeliveryStatus(StrEnum):
    PENDING = "PENDING"  # waiting for its first or next attempt
    DELIVERED = "DELIVERED"  # the receiver answered 2xx
    WITHHELD = "WITHHELD"  # the gate let the subscriber see nothing: never sent, never hinted
    DEAD = "DEAD"  # every attempt failed; `hub events retry` puts it back


class OutboxEvent(Base):
    __tablename__ = "event_outbox"
    # The relay reads "what is not yet fanned out, oldest first".
    __table_args__ = (Index("ix_event_outbox_fanned_out_occurred", "fanned_out", "occurred_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    event_type: Mapped[str] = mapped_column(String(40))
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("mappa_case.id"), index=True)
    item_id: Mapped[uuid.UUID | None]
    data: Mapped[str] = mapped_column(Text, default="{}")  # JSON of scalars, never free text
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)
    fanned_out: Mapped[bool] = mapped_column(default=False)


class EventSubscription(Base):
    __tablename__ = "event_subscription"
    __table_args__ = (UniqueConstraint("client_id", "url"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    client_id: Mapped[str] = mapped_column(ForeignKey("oauth_client.client_id"), index=True)
    url: Mapped[str] = mapped_column(String(500))
    event_types: Mapped[str] = mapped_column(String(300))  # space-separated, like OAuth scopes
    # The HMAC key the deliveries are signed with: shown once at subscription, sealed here.
    secret_stored: Mapped[str] = mapped_column("secret", SealedText())
    secret = SealedField[str]("secret_stored", max_length=200)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def wanted(self) -> frozenset[str]:
        return frozenset(self.event_types.split())


class EventDelivery(Base):
    """One event for one subscription: its attempts, and where it stands."""

    __tablename__ = "event_delivery"
    __table_args__ = (
        UniqueConstraint("event_id", "subscription_id"),
        Index("ix_event_delivery_status_next_attempt", "status", "next_attempt_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    event_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("event_outbox.id"))
    subscription_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("event_subscription.id", ondelete="CASCADE")
    )
    status: Mapped[EventDeliveryStatus] = mapped_column(
        enum_type(EventDeliveryStatus), default=EventDeliveryStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    # A status code or an exception class name: never the receiver's body, never content.
    last_error: Mapped[str | None] = mapped_column(String(200))
    finished_at: Mapped[datetime | None]
