"""Appending to the audit log inside the caller's transaction.

`record` never commits: the business change and its entry commit together or not at all.
Sequence numbers are gapless because the next number is taken under a transaction-scoped
lock (PostgreSQL advisory lock; SQLite's single writer), and a rolled-back transaction
gives its number back.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Table, func, insert, select
from sqlalchemy.orm import Session

from hub.audit.entry import AuditEntry, canonical_bytes
from hub.audit.lock import take_append_lock
from hub.audit.merkle import leaf_hash
from hub.db import utcnow
from hub.models.audit import AuditRecord

if TYPE_CHECKING:
    import psycopg


def _take_next_seq(session: Session) -> int:
    """Lock the log for this transaction and return the next sequence number."""
    take_append_lock(session)
    last = session.scalar(select(func.max(AuditRecord.seq)))
    return 0 if last is None else last + 1


def record(session: Session, entry: AuditEntry) -> AuditRecord:
    """Append one entry to the log within the session's current transaction."""
    seq = _take_next_seq(session)
    recorded_at = utcnow()
    data = canonical_bytes(entry.to_document(seq, recorded_at))
    row = AuditRecord(
        seq=seq,
        recorded_at=recorded_at,
        operation=entry.operation,
        canonical=data.decode(),
        leaf_hash=leaf_hash(data),
        subject_person_id=_str(entry.subject_person_id),
        case_id=_str(entry.case_id),
        actor_agency_id=str(entry.actor.agency_id),
    )
    session.add(row)
    session.flush()
    return row


def record_many(session: Session, entries: Sequence[AuditEntry]) -> list[AuditRecord]:
    """Append entries, in the order given, within the session's current transaction.

    Same guarantees as `record` (gapless, atomic with the caller's transaction), paid for
    once per batch: one lock, one read of the last seq, one bulk INSERT (COPY on
    PostgreSQL). Every entry of a batch carries the same `time`: they are appended, and
    commit, at one moment. The rows returned are persistent in the session, as `record`'s.
    """
    if not entries:
        return []
    postgres = session.get_bind().dialect.name == "postgresql"
    first = _take_next_seq(session)
    recorded_at = utcnow()
    rows = (_values(seq, recorded_at, entry) for seq, entry in enumerate(entries, start=first))
    if postgres:
        _copy(session, rows)
    else:
        session.execute(insert(_TABLE), [dict(zip(_COLUMNS, row, strict=True)) for row in rows])
    # Reading the batch back costs less than building ORM objects field by field (the
    # loader fills them in bulk) and returns exactly what the database now holds. Both
    # bounds: an open range on a table without fresh statistics can plan a full scan.
    batch = AuditRecord.seq.between(first, first + len(entries) - 1)
    return list(session.scalars(select(AuditRecord).where(batch).order_by(AuditRecord.seq)))


# Core, not the ORM: flushing an object per entry through the unit of work costs about
# as much as canonicalising and storing it (measured with bench/audit_append.py).
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
    """One row's column values, in `_COLUMNS` order: what `record` stores for the entry."""
    document = entry.to_document(seq, recorded_at)
    data = canonical_bytes(document)
    # The indexed ids are taken from the document, already as text: the same values as
    # `record` stores, without formatting each UUID a second time.
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
    # Rows are canonicalised while being written: psycopg sends each full buffer at once,
    # so the server stores one chunk while Python prepares the next.
    connection = cast("psycopg.Connection[Any]", session.connection().connection.dbapi_connection)
    statement = f"COPY audit_entry ({', '.join(_COLUMNS)}) FROM STDIN"
    with connection.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)


def _str(value: object | None) -> str | None:
    return None if value is None else str(value)
