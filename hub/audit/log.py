"""Appending to the audit log inside the caller's transaction.

`record` never commits: the business change and its entry commit together or not at all.
Sequence numbers are gapless because they are taken from the log's head row, whose row lock
holds until the transaction ends, and a rolled-back transaction gives its numbers back
(`hub.audit.lock`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, NamedTuple, cast

from sqlalchemy import Table, insert
from sqlalchemy.orm import Session

from hub.audit.entry import AuditEntry, canonical_bytes
from hub.audit.lock import take_seqs
from hub.audit.merkle import leaf_hash
from hub.db import utcnow
from hub.models.audit import AuditRecord

if TYPE_CHECKING:
    import psycopg


class Appended(NamedTuple):
    """What an append stored: its place in the log and the bytes its leaf hash covers."""

    seq: int
    recorded_at: datetime
    canonical: str
    leaf_hash: bytes


def record(session: Session, entry: AuditEntry) -> Appended:
    """Append one entry to the log within the session's current transaction."""
    seq = take_seqs(session)
    row = _values(seq, utcnow(), entry)
    # Core, not the ORM: a unit-of-work flush per entry costs as much again as the INSERT
    # (measured with bench/audit_append.py), and nobody edits an entry after writing it.
    session.execute(insert(_TABLE).values(dict(zip(_COLUMNS, row, strict=True))))
    return Appended(seq, row[1], row[3], row[4])


def record_many(session: Session, entries: Sequence[AuditEntry]) -> list[Appended]:
    """Append entries, in the order given, within the session's current transaction.

    Same guarantees as `record` (gapless, atomic with the caller's transaction), paid for
    once per batch: one reservation of numbers and one bulk INSERT (COPY on PostgreSQL).
    Every entry of a batch carries the same `time`: they are appended, and commit, at one
    moment.
    """
    if not entries:
        return []
    first = take_seqs(session, len(entries))
    recorded_at = utcnow()
    rows = [_values(seq, recorded_at, entry) for seq, entry in enumerate(entries, start=first)]
    if session.get_bind().dialect.name == "postgresql":
        _copy(session, rows)
    else:
        session.execute(insert(_TABLE), [dict(zip(_COLUMNS, row, strict=True)) for row in rows])
    return [Appended(row[0], recorded_at, row[3], row[4]) for row in rows]


_TABLE = cast("Table", AuditRecord.__table__)
_COLUMNS = (
    "seq",
    "recorded_at",
    "operation",
    "canonical",
    "leaf_hash",
    "subject_person_id",
    "case_id",
    "actor_agency_id",
)
_Values = tuple[int, datetime, str, str, bytes, str | None, str | None, str]


def _values(seq: int, recorded_at: datetime, entry: AuditEntry) -> _Values:
    """One row's column values, in `_COLUMNS` order."""
    document = entry.to_document(seq, recorded_at)
    data = canonical_bytes(document)
    # The indexed ids are taken from the document, already as text: the same values as
    # the hashed bytes hold, without formatting each UUID a second time.
    return (
        seq,
        recorded_at,
        entry.operation.value,
        data.decode(),
        leaf_hash(data),
        document["subject_person"],
        document["case"],
        document["actor"]["agency"],
    )


def _copy(session: Session, rows: Iterable[_Values]) -> None:
    # COPY is several times faster than an executemany of INSERTs and runs on the
    # session's own connection, hence in the caller's transaction. The table's triggers
    # guard UPDATE/DELETE/TRUNCATE only; constraints apply to COPY as to INSERT.
    connection = cast("psycopg.Connection[Any]", session.connection().connection.dbapi_connection)
    statement = f"COPY audit_entry ({', '.join(_COLUMNS)}) FROM STDIN"
    with connection.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)
