"""The one ingest pipeline: validate, map, match, write, audit, receipt; or a dead letter.

`ingest` is what the push endpoint and `hub import` both call. It works inside the caller's
transaction, in a SAVEPOINT of its own: a message's records, their COLLECT audit entries and
its receipt are written together or not at all, and one bad message never undoes another.
The caller commits; a message counts as accepted once that commit returns.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from connectors.base import Connector, MessageRejected, Problem
from hub.actor import Actor
from hub.db import utcnow
from hub.errors import HubError, InvalidInput, RuleViolation
from hub.ingest import dead_letters
from hub.ingest.models import DeadLetter, IngestReceipt
from hub.ingest.writers import write
from hub.models import Agency
from hub.services.recording import audit_write
from hub.vocabulary import AgencyType, AuditOperation

ACCEPTED, DUPLICATE, REJECTED = "ACCEPTED", "DUPLICATE", "REJECTED"


class WrongSender(HubError):
    """The agency may not send through this connector (a probation system posting as police)."""


@dataclass(frozen=True)
class Outcome:
    status: str
    message_type: str | None = None
    source_reference: str | None = None
    receipt_id: uuid.UUID | None = None
    dead_letter_id: uuid.UUID | None = None
    problems: tuple[Problem, ...] = ()
    held_for_review: bool = False
    records: tuple[str, ...] = field(default=())


def check_sender(session: Session, actor: Actor, connector: Connector) -> None:
    agency = session.get(Agency, actor.agency_id)
    kind = AgencyType(agency.type) if agency is not None else None
    if kind not in connector.agency_types:
        allowed = ", ".join(sorted(connector.agency_types))
        raise WrongSender(f"the {connector.name} connector takes messages from {allowed} only")


def ingest(
    session: Session,
    actor: Actor,
    connector: Connector,
    raw: bytes,
    *,
    idempotency_key: str | None = None,
    received_at: datetime | None = None,
    position: str | None = None,
    cut_problem: Problem | None = None,
    replaying: DeadLetter | None = None,
) -> Outcome:
    """Take one message from the actor's agency. The sender must be checked first
    (`check_sender`): a wrong sender is refused outright, not dead-lettered."""
    received_at = received_at or utcnow()
    reject = dead_letters.Rejecter(
        session, actor, connector, raw, received_at, idempotency_key, position, replaying
    )
    if idempotency_key is not None:
        known = _receipt(session, actor, connector, idempotency_key=idempotency_key)
        if known is not None:
            return _duplicate(known)
    if cut_problem is not None:
        return reject("validate", [cut_problem])
    try:
        message = connector.parse(raw)
    except MessageRejected as exc:
        return reject("validate", exc.problems)
    kind = connector.message_type(message)
    reference = message.source_reference
    reject.identify(kind, reference)
    known = _receipt(session, actor, connector, source_reference=reference)
    if known is not None:
        return _duplicate(known)
    try:
        records = connector.map(message, received_at)
    except MessageRejected as exc:
        return reject("map", exc.problems)

    receipt = IngestReceipt(
        agency_id=actor.agency_id,
        connector=connector.name,
        message_type=kind,
        source_reference=reference,
        idempotency_key=idempotency_key,
        digest=hashlib.sha256(raw).digest(),
        received_at=received_at,
    )
    try:
        with session.begin_nested():
            session.add(receipt)
            try:
                session.flush()
            except IntegrityError:
                raise _Raced from None
            written: list[str] = []
            subject = None
            held = False
            for record in records:
                person, refs = write(session, actor, record)
                subject = subject or person
                held = held or person.status != "ACTIVE"
                written += refs
            receipt.records = " ".join(written)
            receipt.subject_person_id = subject.id if subject else None
            session.flush()
            audit_write(
                session,
                actor,
                AuditOperation.COLLECT,
                "ingest_receipt",
                receipt.id,
                person_id=receipt.subject_person_id,
                fields=("connector", "message_type", "source_reference", "records"),
                outcome="R-56 held as possible duplicate" if held else None,
                extra={"connector": connector.name, "message_type": kind},
            )
    except _Raced:
        # Another sender stored the same message first, and committed: one record, not two.
        known = _receipt(session, actor, connector, source_reference=reference) or _receipt(
            session, actor, connector, idempotency_key=idempotency_key
        )
        if known is None:
            raise
        return _duplicate(known)
    except (HubError, IntegrityError) as exc:
        return reject("write", [_problem(exc)])
    if replaying is not None:
        dead_letters.mark_replayed(session, replaying, receipt)
    return Outcome(
        ACCEPTED,
        kind,
        reference,
        receipt_id=receipt.id,
        held_for_review=held,
        records=tuple(written),
    )


class _Raced(Exception):
    pass


def _problem(exc: Exception) -> Problem:
    if isinstance(exc, RuleViolation):
        return Problem(exc.field, f"{exc.rule}: {exc.problem}")
    if isinstance(exc, InvalidInput):
        return Problem(exc.field, exc.problem)
    if isinstance(exc, IntegrityError):
        # The driver's text can quote row values; say only what kind of conflict it was.
        return Problem("message", "conflicts with a record the hub already holds")
    return Problem("message", str(exc))


def _receipt(
    session: Session,
    actor: Actor,
    connector: Connector,
    *,
    source_reference: str | None = None,
    idempotency_key: str | None = None,
) -> IngestReceipt | None:
    if source_reference is None and idempotency_key is None:
        return None
    where = [IngestReceipt.agency_id == actor.agency_id, IngestReceipt.connector == connector.name]
    if source_reference is not None:
        where.append(IngestReceipt.source_reference == source_reference)
    else:
        where.append(IngestReceipt.idempotency_key == idempotency_key)
    return session.scalar(select(IngestReceipt).where(*where))


def _duplicate(receipt: IngestReceipt) -> Outcome:
    return Outcome(
        DUPLICATE,
        receipt.message_type,
        receipt.source_reference,
        receipt_id=receipt.id,
        records=tuple(receipt.records.split()),
    )
