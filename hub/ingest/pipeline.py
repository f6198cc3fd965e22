"""The one ingest pipeline: validate, map, match, write, audit, receipt; or a dead letter.

`ingest` is what the push endpoint and `hub import` both call. It works inside the caller's
transaction, in a SAVEPOINT of its own (or, for a caller whose transaction holds this message
alone, in that transaction): a message's records, their COLLECT audit entries and its receipt
are written together or not at all, and one bad message never undoes another. The caller
commits; a message counts as accepted once that commit returns.

A nominal naming nobody the hub holds is written as `hub import` writes newcomers (one INSERT
a table, one audit append: hub.ingest.newcomers), the same rows and entries the one-record path
would write; anything else, or a write that loses a race, takes the one-record path.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from connectors.base import Connector, MessageRejected, Problem
from connectors.records import PersonRecord, Record
from hub.actor import Actor
from hub.db import utcnow
from hub.errors import HubError, InvalidInput, RuleViolation
from hub.gate.agencies import UnknownAgency, agency_types
from hub.ingest import dead_letters
from hub.ingest.known import look_up
from hub.ingest.matching import subject_identifiers
from hub.ingest.models import DeadLetter, IngestReceipt
from hub.ingest.newcomers import Newcomer, check_newcomer, write_newcomers
from hub.ingest.writers import write
from hub.services.recording import audit_write
from hub.vocabulary import DECISIVE_SCHEMES, AuditOperation

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
    # The gate's in-memory agency types (hub.gate.agencies: emptied on any agency write,
    # reloaded within seconds of another process's): one query fewer on every message.
    try:
        kind = agency_types.one(session, actor.agency_id)
    except UnknownAgency:
        kind = None
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
    newcomers: bool = True,
    alone: bool = False,
) -> Outcome:
    """Take one message from the actor's agency. The sender must be checked first
    (`check_sender`): a wrong sender is refused outright, not dead-lettered.

    `newcomers=False` writes a new person through the services, as the batch writer's
    reference (`hub import --one-at-a-time`); the stored result is the same.

    `alone=True` says the caller's transaction has written nothing and holds nothing it
    needs (the push endpoint's): a failed write then rolls all of it back rather than a
    SAVEPOINT's worth, which saves the SAVEPOINT's two round trips on every message. Its
    transaction must be the session's own (begun on first use, not in a `session.begin()`
    block, which a rollback inside would close under the block's feet)."""
    received_at = received_at or utcnow()
    reject = dead_letters.Rejecter(
        session, actor, connector, raw, received_at, idempotency_key, position, replaying
    )
    if cut_problem is not None:
        return _by_key(session, actor, connector, idempotency_key) or reject(
            "validate", [cut_problem]
        )
    try:
        message = connector.parse(raw)
    except MessageRejected as exc:
        # A known key wins over the message's faults, as when it was looked up first.
        return _by_key(session, actor, connector, idempotency_key) or reject(
            "validate", exc.problems
        )
    kind = connector.message_type(message)
    reference = message.source_reference
    reject.identify(kind, reference)
    try:
        records = connector.map(message, received_at)
    except MessageRejected as exc:
        # A message the hub holds is a duplicate, whatever mapping it again says now.
        known = _known(session, actor, connector, idempotency_key, reference)
        return _duplicate(known) if known is not None else reject("map", exc.problems)
    fresh = None
    if newcomers and replaying is None:  # a replay marks its letter with the receipt it writes
        fresh = _newcomer(records, raw, kind, reference, received_at, idempotency_key)
    # One round trip for both unique keys and, for a newcomer, its decisive identifiers.
    found = look_up(
        session,
        actor.agency_id,
        connector.name,
        idempotency_key,
        reference,
        fresh.identifiers if fresh is not None else (),
    )
    if found.receipt_id is not None:
        return _duplicate(session.get_one(IngestReceipt, found.receipt_id))
    if fresh is not None and not found.held:
        outcome = _write_newcomer(session, actor, connector, fresh, alone=alone)
        if outcome is not None:
            return outcome
    return _write_one(
        session,
        actor,
        connector,
        raw,
        records,
        kind,
        reference,
        received_at,
        idempotency_key,
        reject,
        replaying,
        alone=alone,
    )


def _write_one(
    session: Session,
    actor: Actor,
    connector: Connector,
    raw: bytes,
    records: list[Record],
    kind: str,
    reference: str,
    received_at: datetime,
    idempotency_key: str | None,
    reject: dead_letters.Rejecter,
    replaying: DeadLetter | None,
    *,
    alone: bool,
) -> Outcome:
    """The one-record path: each record through the services, as a person would enter it."""
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
        with _undoable(session, alone):
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


@contextmanager
def _undoable(session: Session, alone: bool) -> Iterator[None]:
    """Writes that are undone, and only they, if the block raises (see `ingest`'s `alone`)."""
    if not alone:
        with session.begin_nested():
            yield
        return
    try:
        yield
    except BaseException:
        session.rollback()
        raise


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


def _by_key(
    session: Session, actor: Actor, connector: Connector, idempotency_key: str | None
) -> Outcome | None:
    known = _receipt(session, actor, connector, idempotency_key=idempotency_key)
    return _duplicate(known) if known is not None else None


def _known(
    session: Session,
    actor: Actor,
    connector: Connector,
    idempotency_key: str | None,
    source_reference: str,
) -> IngestReceipt | None:
    """The receipt held for this key or, failing that, this source reference."""
    found = look_up(session, actor.agency_id, connector.name, idempotency_key, source_reference)
    return session.get_one(IngestReceipt, found.receipt_id) if found.receipt_id else None


def _newcomer(
    records: list[Record],
    raw: bytes,
    kind: str,
    reference: str,
    received_at: datetime,
    idempotency_key: str | None,
) -> Newcomer | None:
    """The message as a newcomer, if it can be one: a nominal whose every identifier is
    decisive (others match on name and date of birth too, R-56), passing every check its rows
    need. It is written as `hub import` writes newcomers, unless a person holds one of its
    identifiers (`look_up`), in one INSERT a table and one audit append: the same rows and
    entries as the one-record path writes (hub.ingest.newcomers; the batch tests hold the two
    paths equal). None sends the message down the one-record path, which refuses what the
    checks refuse with the reason it always gave.
    """
    if len(records) != 1 or not isinstance(records[0], PersonRecord):
        return None
    person = records[0]
    try:
        identifiers = subject_identifiers(person.subject)
        if not identifiers or any(s not in DECISIVE_SCHEMES for s, _v in identifiers):
            return None
        newcomer = check_newcomer(
            person,
            raw=raw,
            message_type=kind,
            identifiers=identifiers,
            idempotency_key=idempotency_key,
        )
    except InvalidInput:
        return None
    # The receipt's keys as the one-record path writes them: the message's reference and the
    # time it was received (a record's provenance carries the same today).
    return replace(newcomer, source_reference=reference, received_at=received_at)


def _write_newcomer(
    session: Session, actor: Actor, connector: Connector, newcomer: Newcomer, *, alone: bool
) -> Outcome | None:
    """Write a newcomer; None if a concurrent sender got to its PNC, reference or key first.

    A unique index then refuses our INSERT; the SAVEPOINT, or the rollback, undoes ours and
    the one-record path sees theirs: a duplicate, or a held match.
    """
    try:
        with _undoable(session, alone):
            [written] = write_newcomers(session, actor, connector.name, [newcomer], copying=False)
    except IntegrityError:
        return None
    return Outcome(
        ACCEPTED,
        newcomer.message_type,
        newcomer.source_reference,
        receipt_id=written.receipt_id,
        records=written.records,
    )


def _duplicate(receipt: IngestReceipt) -> Outcome:
    return Outcome(
        DUPLICATE,
        receipt.message_type,
        receipt.source_reference,
        receipt_id=receipt.id,
        records=tuple(receipt.records.split()),
    )
