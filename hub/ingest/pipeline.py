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

import functools
import hashlib
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, bindparam, literal, or_, select, union_all
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from connectors.base import Connector, MessageRejected, Problem
from connectors.records import PersonRecord, Record
from hub.actor import Actor
from hub.crypto.fields import cleartext
from hub.db import core_rows, utcnow
from hub.errors import HubError, InvalidInput, RuleViolation
from hub.gate.agencies import UnknownAgency, agency_types
from hub.ingest import dead_letters
from hub.ingest.matching import subject_identifiers
from hub.ingest.models import DeadLetter, IngestReceipt
from hub.ingest.newcomers import check_newcomer, write_newcomers
from hub.ingest.writers import write
from hub.models import Person, PersonIdentifier
from hub.services.recording import audit_write
from hub.vocabulary import (
    DECISIVE_SCHEMES,
    RESTRICTED_SCHEMES,
    AuditOperation,
    IdentifierScheme,
    PersonStatus,
)

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
    # One query for both unique keys; a receipt found by the Idempotency-Key comes first.
    known = _known(session, actor, connector, idempotency_key, reference)
    if known is not None:
        return _duplicate(known)
    try:
        records = connector.map(message, received_at)
    except MessageRejected as exc:
        return reject("map", exc.problems)
    if newcomers and replaying is None:
        fresh = _newcomer(
            session,
            actor,
            connector,
            raw,
            records,
            kind,
            reference,
            received_at,
            idempotency_key,
            alone=alone,
        )
        if fresh is not None:
            return fresh

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
    """The receipt held for this key or, failing that, this source reference: one round trip,
    each half an equality probe of its own unique index (an OR could make the planner walk
    every receipt of the sender). Ids only: nearly every push finds none, and a statement
    built once costs a fraction of one built and ORM-loaded a push (bench/push.py)."""
    parameters = {
        "agency": actor.agency_id,
        "connector": connector.name,
        "reference": source_reference,
        "key": idempotency_key,
    }
    query = _BY_REFERENCE if idempotency_key is None else _BY_KEY_OR_REFERENCE
    found = sorted(core_rows(session, query, parameters).all(), key=lambda row: row.by_key)
    return session.get(IngestReceipt, found[0].id) if found else None


def _known_query(*, with_key: bool) -> Any:
    mine = (
        IngestReceipt.agency_id == bindparam("agency"),
        IngestReceipt.connector == bindparam("connector"),
    )
    by_reference = select(IngestReceipt.id, literal(1).label("by_key")).where(
        *mine, IngestReceipt.source_reference == bindparam("reference")
    )
    if not with_key:
        return by_reference
    by_key = select(IngestReceipt.id, literal(0).label("by_key")).where(
        *mine, IngestReceipt.idempotency_key == bindparam("key")
    )
    return union_all(by_key, by_reference)


_BY_REFERENCE = _known_query(with_key=False)
_BY_KEY_OR_REFERENCE = _known_query(with_key=True)


def _newcomer(
    session: Session,
    actor: Actor,
    connector: Connector,
    raw: bytes,
    records: list[Record],
    kind: str,
    reference: str,
    received_at: datetime,
    idempotency_key: str | None,
    *,
    alone: bool,
) -> Outcome | None:
    """A nominal naming nobody the hub holds, written as `hub import` writes newcomers.

    Some twenty statements become seven: the receipt, person, names, identifiers and
    addresses in one INSERT each and their COLLECT entries in one append, the same rows and
    entries as the one-record path writes (hub.ingest.newcomers; the batch tests hold the two
    paths equal). Anything else answers None and takes the one-record path: a match or a
    possible duplicate (R-56), a record the checks refuse (so it is refused with the usual
    reason), and a write a concurrent sender got to first (a unique index refuses the PNC,
    the reference or the key; the SAVEPOINT, or the rollback, undoes ours and the one-record
    path then sees theirs: a duplicate, or a held match).
    """
    if len(records) != 1 or not isinstance(records[0], PersonRecord):
        return None
    person = records[0]
    try:
        identifiers = subject_identifiers(person.subject)
        decisive = [(s, v) for s, v in identifiers if s in DECISIVE_SCHEMES]
        if not decisive or len(decisive) != len(identifiers):
            return None  # identifiers that match on name and date of birth too
        newcomer = check_newcomer(
            person,
            raw=raw,
            message_type=kind,
            identifiers=identifiers,
            idempotency_key=idempotency_key,
        )
        # The receipt's keys as the one-record path writes them: the message's reference and
        # the time it was received (a record's provenance carries the same today).
        newcomer = replace(newcomer, source_reference=reference, received_at=received_at)
    except InvalidInput:
        return None
    if _held(session, decisive):
        return None
    try:
        with _undoable(session, alone):
            [written] = write_newcomers(session, actor, connector.name, [newcomer], copying=False)
    except IntegrityError:
        return None
    return Outcome(
        ACCEPTED,
        kind,
        reference,
        receipt_id=written.receipt_id,
        records=written.records,
    )


def _held(session: Session, decisive: list[tuple[IdentifierScheme, str]]) -> bool:
    """Whether a person not merged away holds any of these decisive identifiers."""
    parameters: dict[str, Any] = {}
    for i, (scheme, value) in enumerate(decisive):
        parameters[f"scheme_{i}"] = scheme
        parameters[f"value_{i}"] = cleartext(value)
    return core_rows(session, _held_query(len(decisive)), parameters).first() is not None


@functools.cache
def _held_query(count: int) -> Select[uuid.UUID]:
    # Built once a count of identifiers, not once a push: a statement built afresh pays for
    # its construction and its cache key every time (bench/request_cpu.py). Decisive schemes
    # are held in clear (asserted below), so the value is compared as stored.
    holds = (
        and_(
            PersonIdentifier.scheme == bindparam(f"scheme_{i}"),
            PersonIdentifier.value_stored == bindparam(f"value_{i}"),
        )
        for i in range(count)
    )
    return (
        select(PersonIdentifier.id)
        .join(Person, Person.id == PersonIdentifier.person_id)
        .where(or_(*holds), Person.status != PersonStatus.MERGED)
        .limit(1)
    )


if DECISIVE_SCHEMES & RESTRICTED_SCHEMES:  # their values would be sealed: see identifier_is
    raise RuntimeError("a decisive identifier scheme is sealed; _held_query compares in clear")


def _duplicate(receipt: IngestReceipt) -> Outcome:
    return Outcome(
        DUPLICATE,
        receipt.message_type,
        receipt.source_reference,
        receipt_id=receipt.id,
        records=tuple(receipt.records.split()),
    )
