"""Receipts and dead letters: what makes ingest exactly-once and nothing lost.

A receipt is written in the same transaction as the records a message produced and their
COLLECT audit entries; its unique keys (the sender's source reference, and its optional
Idempotency-Key) turn a re-sent message into a duplicate, never a second record, even when two
senders race. A message the hub cannot take is kept as a dead letter, sealed (it can hold
personal data), with its reason, until someone replays it.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from hub.crypto.fields import SealedField, SealedText
from hub.db import Base, enum_type, utcnow
from hub.vocabulary import DeadLetterStatus

# Base64 of the largest message a connector accepts, with room to spare.
RAW_TEXT_LIMIT = 1_400_000


class IngestReceipt(Base):
    __tablename__ = "ingest_receipt"
    __table_args__ = (
        UniqueConstraint("agency_id", "connector", "source_reference"),
        Index(
            "uq_ingest_receipt_idempotency_key",
            "agency_id",
            "connector",
            "idempotency_key",
            unique=True,
            sqlite_where=text("idempotency_key IS NOT NULL"),
            postgresql_where=text("idempotency_key IS NOT NULL"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agency.id"))
    connector: Mapped[str] = mapped_column(String(40))
    message_type: Mapped[str] = mapped_column(String(40))
    source_reference: Mapped[str] = mapped_column(String(200))
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    # SHA-256 of the message as received: a resend under the same key with other content can
    # be told apart from a true retry (the push endpoint answers it differently).
    digest: Mapped[bytes] = mapped_column(LargeBinary(32))
    # What the message wrote, as "table:id" (ids only, never content).
    records: Mapped[str] = mapped_column(Text, default="")
    subject_person_id: Mapped[uuid.UUID | None]
    received_at: Mapped[datetime]
    accepted_at: Mapped[datetime] = mapped_column(default=utcnow)


class DeadLetter(Base):
    __tablename__ = "ingest_dead_letter"
    __table_args__ = (Index("ix_ingest_dead_letter_status_received", "status", "received_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agency.id"))
    connector: Mapped[str] = mapped_column(String(40))
    message_type: Mapped[str | None] = mapped_column(String(40))
    source_reference: Mapped[str | None] = mapped_column(String(200))
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    position: Mapped[str | None] = mapped_column(String(100))  # "line 17" of a bulk file
    # validate (malformed), map or write (unmappable: no such person, no open case, a rule).
    stage: Mapped[str] = mapped_column(String(20))
    # Sealed: a reason can quote a field's value, and the message is personal data.
    reason_stored: Mapped[str] = mapped_column("reason", SealedText())
    reason = SealedField[str]("reason_stored", max_length=20_000)
    raw_stored: Mapped[str] = mapped_column("raw", SealedText())
    raw_base64 = SealedField[str]("raw_stored", max_length=RAW_TEXT_LIMIT)
    # False when the message was larger than a connector accepts and only its start is kept.
    raw_complete: Mapped[bool] = mapped_column(default=True)
    status: Mapped[DeadLetterStatus] = mapped_column(
        enum_type(DeadLetterStatus), default=DeadLetterStatus.OPEN
    )
    received_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(default=1)
    last_attempt_at: Mapped[datetime]
    replayed_receipt_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("ingest_receipt.id"))
