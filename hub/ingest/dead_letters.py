"""Dead letters: messages the hub could not take, kept sealed with their reason, replayable.

Nothing a sender sends is lost: a malformed message (stage `validate`), one whose content
cannot be mapped (`map`), and one the shared record refuses (`write`: no such person, no open
case, a rule) are all kept. Replaying runs the same pipeline again; an accepted replay marks
the dead letter REPLAYED with its receipt, a failed one records the new reason.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from connectors.base import MAX_MESSAGE_BYTES, Connector, Problem
from hub.actor import Actor
from hub.db import utcnow
from hub.errors import InvalidInput, NotFound
from hub.ingest.models import DeadLetter, IngestReceipt
from hub.services.recording import audit_write
from hub.vocabulary import AuditOperation, DeadLetterStatus

if TYPE_CHECKING:
    from hub.ingest.pipeline import Outcome


def reason_text(problems: Sequence[Problem]) -> str:
    return "; ".join(str(p) for p in problems)[:20_000]


@dataclass
class Rejecter:
    """Turns a rejection into a dead letter (or updates the one being replayed)."""

    session: Session
    actor: Actor
    connector: Connector
    raw: bytes
    received_at: datetime
    idempotency_key: str | None
    position: str | None
    replaying: DeadLetter | None
    message_type: str | None = None
    source_reference: str | None = None

    def identify(self, message_type: str, source_reference: str) -> None:
        self.message_type, self.source_reference = message_type, source_reference

    def __call__(self, stage: str, problems: Sequence[Problem]) -> Outcome:
        from hub.ingest.pipeline import REJECTED, Outcome

        now = utcnow()
        letter = self.replaying
        if letter is None:
            kept = self.raw[:MAX_MESSAGE_BYTES]
            letter = DeadLetter(
                agency_id=self.actor.agency_id,
                connector=self.connector.name,
                message_type=self.message_type,
                source_reference=self.source_reference,
                idempotency_key=self.idempotency_key,
                position=self.position[:100] if self.position else None,
                stage=stage,
                raw_complete=len(kept) == len(self.raw),
                received_at=self.received_at,
                last_attempt_at=now,
            )
            letter.raw_base64 = base64.b64encode(kept).decode("ascii")
            letter.reason = reason_text(problems)
            with self.session.begin_nested():
                self.session.add(letter)
                self.session.flush()
                audit_write(
                    self.session,
                    self.actor,
                    AuditOperation.COLLECT,
                    "ingest_dead_letter",
                    letter.id,
                    fields=("raw", "reason"),
                    outcome=f"rejected at {stage}",
                    extra={"connector": self.connector.name},
                )
        else:
            letter.stage, letter.reason = stage, reason_text(problems)
            letter.attempts += 1
            letter.last_attempt_at = now
            letter.message_type = self.message_type or letter.message_type
            letter.source_reference = self.source_reference or letter.source_reference
            self.session.flush()
        return Outcome(
            REJECTED,
            self.message_type,
            self.source_reference,
            dead_letter_id=letter.id,
            problems=tuple(problems),
        )


def mark_replayed(session: Session, letter: DeadLetter, receipt: IngestReceipt) -> None:
    letter.status = DeadLetterStatus.REPLAYED
    letter.replayed_receipt_id = receipt.id
    letter.attempts += 1
    letter.last_attempt_at = utcnow()
    session.flush()


def raw_message(letter: DeadLetter) -> bytes:
    return base64.b64decode(letter.raw_base64)


def listing(session: Session, *, status: str | None = "OPEN") -> list[DeadLetter]:
    query = select(DeadLetter).order_by(DeadLetter.received_at, DeadLetter.id)
    if status is not None:
        query = query.where(DeadLetter.status == DeadLetterStatus(status))
    return list(session.scalars(query))


def replay(session: Session, actor: Actor, connector: Connector, letter_id: uuid.UUID) -> Outcome:
    """Run a dead letter through the pipeline again, as its original sender."""
    from hub.ingest.pipeline import check_sender, ingest

    letter = session.get(DeadLetter, letter_id)
    if letter is None:
        raise NotFound("dead letter")
    if letter.status is not DeadLetterStatus.OPEN:
        raise InvalidInput("id", "this dead letter was already replayed and accepted")
    if not letter.raw_complete:
        raise InvalidInput(
            "id", "only the start of this oversized message was kept; ask the sender to resend"
        )
    if letter.agency_id != actor.agency_id or letter.connector != connector.name:
        raise InvalidInput("id", "replay as the agency and connector that sent the message")
    check_sender(session, actor, connector)
    raw, cut = raw_message(letter), None
    if "csv" in connector.bulk_formats and not raw.lstrip().startswith((b"{", b"[")):
        # A CSV row is kept with its file's header line, so it can be cut out again.
        pieces = list(connector.split(raw.splitlines(keepends=True), "csv"))
        if len(pieces) == 1:
            raw, cut = pieces[0].payload, pieces[0].problem
    return ingest(
        session,
        actor,
        connector,
        raw,
        cut_problem=cut,
        idempotency_key=letter.idempotency_key,
        received_at=letter.received_at,
        position=letter.position,
        replaying=letter,
    )
