"""Appending to the audit log inside the caller's transaction.

`record` never commits: the business change and its entry commit together or not at all.
An append goes to the queue (`audit_queue`) and takes no lock, so concurrent writers never
wait for one another. Once the appending transaction has committed, the sequencer
(`hub.audit.sequencer`) gives its entries their places in the log, gapless and in one order,
under the head's lock, together with whatever else was queued meanwhile. What an append
returns is its receipt: the queue number the sequenced entry keeps (`audit_entry.receipt`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Table, insert, text
from sqlalchemy.orm import Session

from hub.audit.entry import AuditEntry, split_canonical
from hub.db import utcnow
from hub.models.audit import AuditQueued

if TYPE_CHECKING:
    import psycopg

# session.info key, set once the transaction has appended: its commit hook then has the
# sequencer take what it queued (`hub.audit.sequencer.install`).
QUEUED = "hub.audit.queued"


def record(session: Session, entry: AuditEntry) -> int:
    """Append one entry within the session's current transaction; return its receipt."""
    row = dict(zip(_COLUMNS, _values(utcnow(), entry), strict=True))
    receipt = int(
        session.execute(insert(_QUEUE).values(row).returning(_QUEUE.c.receipt)).scalar_one()
    )
    session.info[QUEUED] = True
    return receipt


def record_many(session: Session, entries: Sequence[AuditEntry]) -> list[int]:
    """Append entries, in the order given, within the session's current transaction.

    Same guarantees as `record`, paid for once per batch: one INSERT (a COPY for large
    batches on PostgreSQL). Every entry of a batch carries the same `time`: they are
    appended, and commit, at one moment. Returns the receipts in the order given.
    """
    if not entries:
        return []
    recorded_at = utcnow()
    rows = [_values(recorded_at, entry) for entry in entries]
    if session.get_bind().dialect.name != "postgresql":
        receipts = _insert_numbered(session, rows)
    elif len(rows) >= _COPY_FROM:
        receipts = _copy(session, rows)
    else:
        values = [dict(zip(_COLUMNS, r, strict=True)) for r in rows]
        # On the session's connection: through the Session this would be an ORM bulk
        # INSERT, several times the CPU of the statement itself (bench/api.py).
        receipts = [int(r) for r in session.connection().scalars(_APPEND, values)]
    session.info[QUEUED] = True
    return receipts


def queue_rows(
    session: Session, entries: Sequence[AuditEntry]
) -> tuple[Table, list[dict[str, Any]]]:
    """The queue and the rows that append `entries`, for a caller that INSERTs them in one
    round trip with its own rows (hub.dbpipeline); within the session's current transaction,
    with the guarantees of `record_many`. The queue numbers them in the order given; their
    receipts are not returned.
    """
    recorded_at = utcnow()
    rows = [dict(zip(_COLUMNS, _values(recorded_at, e), strict=True)) for e in entries]
    session.info[QUEUED] = True
    return _QUEUE, rows


_QUEUE = cast("Table", AuditQueued.__table__)
_COLUMNS = (
    "recorded_at",
    "operation",
    "before_seq",
    "after_seq",
    "subject_person_id",
    "case_id",
    "actor_agency_id",
)
# Built once, so its cache key is too (SQLAlchemy memoises it on the statement).
_APPEND = insert(_QUEUE).returning(_QUEUE.c.receipt, sort_by_parameter_order=True)
# Below this a multi-row INSERT ... RETURNING is one round trip and cheaper than a COPY.
_COPY_FROM = 200
_Values = tuple[datetime, str, str, str, str | None, str | None, str]


def _values(recorded_at: datetime, entry: AuditEntry) -> _Values:
    """One queue row's column values, in `_COLUMNS` order."""
    document = entry.to_document(0, recorded_at)  # its seq is the sequencer's to give
    before, after = split_canonical(document)
    # The indexed ids are taken from the document, already as text: the same values as
    # the hashed bytes hold, without formatting each UUID a second time.
    return (
        recorded_at,
        entry.operation.value,
        before,
        after,
        document["subject_person"],
        document["case"],
        document["actor"]["agency"],
    )


def _insert_numbered(session: Session, rows: Sequence[_Values]) -> list[int]:
    """SQLite: number the rows from the table's AUTOINCREMENT counter, then one executemany.

    SQLite cannot return the ids of a multi-row INSERT in order, so SQLAlchemy would insert
    row by row. Every SQLite transaction of the hub holds the database's write lock from its
    BEGIN IMMEDIATE, so nobody else can take these numbers meanwhile; inserting them
    explicitly moves the counter past them, as AUTOINCREMENT would.
    """
    last = session.scalar(text("SELECT seq FROM sqlite_sequence WHERE name = 'audit_queue'"))
    first = int(last or 0) + 1
    receipts = list(range(first, first + len(rows)))
    values = [
        {"receipt": receipt, **dict(zip(_COLUMNS, row, strict=True))}
        for receipt, row in zip(receipts, rows, strict=True)
    ]
    session.execute(insert(_QUEUE), values)
    return receipts


def _copy(session: Session, rows: Sequence[_Values]) -> list[int]:
    # COPY is several times faster than an executemany of INSERTs and runs on the
    # session's own connection, hence in the caller's transaction. It returns nothing, so
    # the receipts are drawn from the queue's own sequence first, in one statement.
    receipts = [
        int(r)
        for r in session.scalars(
            text(
                "SELECT nextval(pg_get_serial_sequence('audit_queue', 'receipt')) "
                "FROM generate_series(1, :count)"
            ),
            {"count": len(rows)},
        )
    ]
    receipts.sort()
    connection = cast("psycopg.Connection[Any]", session.connection().connection.dbapi_connection)
    statement = f"COPY audit_queue (receipt, {', '.join(_COLUMNS)}) FROM STDIN"
    with connection.cursor() as cursor, cursor.copy(statement) as copy:
        for receipt, row in zip(receipts, rows, strict=True):
            copy.write_row((receipt, *row))
    return receipts
