"""A chunk of bulk records through the pipeline with a handful of queries, not thousands.

`ingest_many` gives, for each record of a chunk, the outcome `ingest` would have given had
the records been sent one after another, inside the caller's transaction:

1. every record is parsed, mapped and checked in Python;
2. one query finds the receipts already held for the chunk's source references (duplicates),
   one finds who already holds the chunk's decisive identifiers (R-56);
3. records are then taken in file order. A nominal record naming nobody the hub holds, with a
   source reference not seen before, joins the current run of newcomers, written together
   (`hub.ingest.newcomers`). Anything else first writes the run, then goes through `ingest`
   itself: a match, an ambiguous match for the resolution queue, a rejection, a message that
   is not a nominal, and any record that shares an identifier or a reference with a record
   taken earlier in the chunk, so that it sees that record exactly as the one-record path
   would.

Nothing is committed here. If a write fails (a concurrent writer took a PNC or a reference
between the queries and the INSERTs), the caller rolls the chunk back and redoes it with
`ingest`, record by record.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Result, Select, bindparam, func, select, true
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import QueryableAttribute, Session

from connectors.base import Connector, MessageRejected, RawRecord
from connectors.records import PersonRecord
from hub.actor import Actor
from hub.crypto.fields import StoredForm, cleartext
from hub.db import utcnow
from hub.errors import InvalidInput
from hub.ingest.matching import subject_identifiers
from hub.ingest.models import IngestReceipt
from hub.ingest.newcomers import Newcomer, check_newcomer, write_newcomers
from hub.ingest.pipeline import ACCEPTED, DUPLICATE, Outcome, ingest
from hub.models import Person, PersonIdentifier
from hub.vocabulary import DECISIVE_SCHEMES, RESTRICTED_SCHEMES, IdentifierScheme, PersonStatus

Identifier = tuple[IdentifierScheme, str]


@dataclass(frozen=True)
class _Read:
    """What reading one record taught, before any write."""

    raw: RawRecord
    reference: str | None = None  # once the message parsed
    identifiers: frozenset[Identifier] = frozenset()  # a nominal's decisive identifiers
    newcomer: Newcomer | None = None  # set when the record may be written in a run


def ingest_many(
    session: Session, actor: Actor, connector: Connector, records: Sequence[RawRecord]
) -> list[Outcome]:
    """The outcome of each record, in order; see the module docstring."""
    reads = [_read(connector, raw) for raw in records]
    references = {r.reference for r in reads if r.reference is not None}
    known = _known_receipts(session, actor, connector, references)
    held = _held_identifiers(session, {i for r in reads for i in r.identifiers})

    outcomes: list[Outcome | None] = [None] * len(reads)
    run: list[tuple[int, Newcomer]] = []
    # References and identifiers that records of this chunk have written, or may have:
    # a later record naming one must see that write, so it takes the one-record path.
    taken_references: set[str] = set()
    taken_identifiers: set[Identifier] = set()

    def write_run() -> None:
        written = write_newcomers(session, actor, connector.name, [n for _, n in run])
        for (index, newcomer), w in zip(run, written, strict=True):
            outcomes[index] = Outcome(
                ACCEPTED,
                newcomer.message_type,
                newcomer.source_reference,
                receipt_id=w.receipt_id,
                records=w.records,
            )
        run.clear()

    for index, r in enumerate(reads):
        fresh = r.reference is not None and r.reference not in taken_references
        if fresh and r.reference in known:
            outcomes[index] = known[r.reference]
            continue
        untouched = r.identifiers.isdisjoint(held) and r.identifiers.isdisjoint(taken_identifiers)
        if r.newcomer is not None and fresh and untouched:
            run.append((index, r.newcomer))
        else:
            write_run()
            raw = r.raw
            outcomes[index] = ingest(
                session,
                actor,
                connector,
                raw.payload,
                position=raw.position,
                cut_problem=raw.problem,
            )
        if r.reference is not None:
            taken_references.add(r.reference)
        taken_identifiers |= r.identifiers
    write_run()
    return [o for o in outcomes if o is not None]


def _read(connector: Connector, raw: RawRecord) -> _Read:
    if raw.problem is not None:
        return _Read(raw)
    try:
        message = connector.parse(raw.payload)
    except MessageRejected:
        return _Read(raw)
    reference = message.source_reference
    try:
        mapped = connector.map(message, utcnow())
    except MessageRejected:
        return _Read(raw, reference)
    people = [r for r in mapped if isinstance(r, PersonRecord)]
    identifiers: list[Identifier] = []
    try:
        for person in people:
            identifiers += subject_identifiers(person.subject)
    except InvalidInput:
        return _Read(raw, reference)  # refused before any person is written
    decisive = frozenset((s, v) for s, v in identifiers if s in DECISIVE_SCHEMES)
    if len(mapped) != 1 or not people or not decisive or len(decisive) != len(identifiers):
        # Several records, or identifiers that match on name and date of birth too:
        # the one-record path decides.
        return _Read(raw, reference, decisive)
    try:
        newcomer = check_newcomer(
            people[0],
            raw=raw.payload,
            message_type=connector.message_type(message),
            identifiers=identifiers,
        )
    except InvalidInput:
        return _Read(raw, reference, decisive)
    return _Read(raw, reference, decisive, newcomer)


def _probe(
    session: Session,
    query: Select[*tuple[Any, ...]],
    column: QueryableAttribute[Any],
    values: list[Any],
) -> Result[*tuple[Any, ...]]:
    """The rows of `query` whose `column` is one of `values` (at most one row a value).

    On PostgreSQL, one index probe a value: a LATERAL subquery per element of one array
    parameter, kept apart by its LIMIT. A plain `IN` list lets the planner, whose statistics
    lag behind a table a bulk import is filling, scan every receipt of the sender (or every
    PNC) and compare each with every value, so that a national-scale import slowed with the
    square of its size.
    """
    if session.get_bind().dialect.name != "postgresql":
        return session.execute(query.where(column.in_(values)))
    array = bindparam(None, values, type_=ARRAY(column.type))
    wanted = func.unnest(array).table_valued("value").render_derived().alias("wanted")
    found = query.where(column == wanted.c.value).limit(1).lateral("found")
    return session.execute(select(found).select_from(wanted).join(found, true()))


def _known_receipts(
    session: Session, actor: Actor, connector: Connector, references: Iterable[str]
) -> dict[str, Outcome]:
    wanted = sorted(references)
    if not wanted:
        return {}
    query = select(
        IngestReceipt.source_reference,
        IngestReceipt.id,
        IngestReceipt.message_type,
        IngestReceipt.records,
    ).where(
        IngestReceipt.agency_id == actor.agency_id,
        IngestReceipt.connector == connector.name,
    )
    return {
        reference: Outcome(
            DUPLICATE, kind, reference, receipt_id=receipt_id, records=tuple(records.split())
        )
        for reference, receipt_id, kind, records in _probe(
            session, query, IngestReceipt.source_reference, wanted
        )
    }


def _held_identifiers(session: Session, wanted: set[Identifier]) -> set[Identifier]:
    """Which of these identifiers a person not merged away holds (R-56: any such person is
    a match or a possible duplicate, never a newcomer)."""
    # A sealed scheme is looked up by blind index, one value at a time; none is decisive
    # today, so such a value simply counts as held and its record takes the one-record path.
    held = {(s, v) for s, v in wanted if s in RESTRICTED_SCHEMES}
    by_scheme: dict[IdentifierScheme, list[StoredForm]] = {}
    for scheme, value in sorted(wanted - held):
        by_scheme.setdefault(scheme, []).append(cleartext(value))
    for scheme, values in by_scheme.items():
        query = (
            select(PersonIdentifier.value_stored)
            .join(Person, Person.id == PersonIdentifier.person_id)
            .where(PersonIdentifier.scheme == scheme, Person.status != PersonStatus.MERGED)
        )
        rows = _probe(session, query, PersonIdentifier.value_stored, list(values))
        held |= {(scheme, str(value)) for (value,) in rows}
    return held
