"""The sequencer: queued appends become log entries, numbered gapless, in one order.

Appends insert into the queue without a lock (`hub.audit.log`). Sequencing takes the head's
row lock, takes every queued row it can see, numbers them from the head, writes them to
`audit_entry` with their leaf hashes and moves the head, all in one transaction. Holding the
lock over a batch instead of over every appender's transaction is what lets appends scale:
the lock is held once per batch, and its commit covers the whole batch.

When it runs (`install`, on every session factory the hub makes):
* PostgreSQL: after a transaction that appended commits, by a thread of the appending
  process (`Background`), in a transaction of its own. The appender does not wait for it:
  its entries are durable in the queue from its commit on. One process at a time sequences
  (a transaction-scoped advisory lock that every sequencing takes first), and under load
  one sequencing, and one log commit, covers the appends of many requests.
* SQLite: every transaction already holds the database's only write lock, so the queued
  rows are sequenced in the appending transaction itself, just before it commits.
A process that dies between its commit and sequencing leaves its entries queued, not lost:
a sweep takes them (`Sweeps`: a process's first sequencing, then one every 30 s), as do
checkpoints, who-accessed reports and `hub audit sequence`; a process that exits normally
sequences them itself.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
import weakref
from typing import cast

from sqlalchemy import Engine, Table, delete, event, func, insert, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker

from hub.audit.entry import join_canonical
from hub.audit.lock import NEWEST_SEQ, take_append_lock, take_seqs
from hub.audit.log import QUEUED
from hub.audit.merkle import leaf_hash
from hub.errors import HubError
from hub.models.audit import AuditQueued, AuditRecord

log = logging.getLogger(__name__)

_QUEUE = cast("Table", AuditQueued.__table__)
_LOG = cast("Table", AuditRecord.__table__)
_LOG_COLUMNS = (
    "seq",
    "recorded_at",
    "operation",
    "canonical",
    "leaf_hash",
    "subject_person_id",
    "case_id",
    "actor_agency_id",
    "receipt",
)
_BATCH = 10_000  # entries per statement, so a long queue never loads all at once
# The advisory lock key of sequencing leadership: any constant unique to it in the database.
_LEADER = 0x6875622D61756469  # "hub-audi"


def sequence(session: Session, *, from_receipt: int | None = None) -> int:
    """Sequence every queued entry this transaction can see; return how many.

    `from_receipt` leaves out receipts below it: the background thread knows the lowest
    receipt committed since its last run, and starting there keeps each sequencing to the
    young end of the queue's index instead of walking the entries deleted since the table
    was last vacuumed.

    Runs in the caller's transaction. Once it has moved entries it holds the head's lock
    until the transaction ends; a caller that needs the lock either way (a checkpoint, which
    must sign exactly the log it sees) takes it with `take_append_lock` afterwards.
    """
    postgres = session.get_bind().dialect.name == "postgresql"
    if postgres:
        # Leadership first: two sequencings at once would lock queue rows in whatever order
        # their plans scan them, and could deadlock on each other.
        session.execute(select(func.pg_advisory_xact_lock(_LEADER)))
    done = 0
    while True:
        moved = _move_in_sql(session, from_receipt) if postgres else _move(session, from_receipt)
        done += moved
        if moved < _BATCH:
            return done


# PostgreSQL: the whole move in one statement, so the leader's transaction is this and its
# commit. The leaf hash is computed by the database with the same definition as
# hub.audit.merkle.leaf_hash (SHA-256 of 0x00 and the UTF-8 canonical bytes); verification
# recomputes every one in Python, so a difference could not go unnoticed
# (tests/integration/test_audit_concurrency.py checks it on this path).
_MOVE_SQL = text(
    """
WITH moved AS (
    DELETE FROM audit_queue
    WHERE receipt IN (
        SELECT receipt FROM audit_queue
        WHERE receipt >= :floor ORDER BY receipt LIMIT :batch
    )
    RETURNING receipt, recorded_at, operation, before_seq, after_seq,
              subject_person_id, case_id, actor_agency_id
),
head AS (
    UPDATE audit_log_head SET next_seq = next_seq + (SELECT count(*) FROM moved)
    WHERE id = 1 AND EXISTS (SELECT 1 FROM moved)
    RETURNING next_seq - (SELECT count(*) FROM moved) AS first
),
numbered AS (
    SELECT moved.*, head.first + row_number() OVER (ORDER BY moved.receipt) - 1 AS seq
    FROM moved CROSS JOIN head
),
written AS (
    INSERT INTO audit_entry (seq, recorded_at, operation, canonical, leaf_hash,
                             subject_person_id, case_id, actor_agency_id, receipt)
    SELECT seq, recorded_at, operation, before_seq || seq::text || after_seq,
           sha256('\\x00'::bytea || convert_to(before_seq || seq::text || after_seq, 'UTF8')),
           subject_person_id, case_id, actor_agency_id, receipt
    FROM numbered
    RETURNING seq
)
SELECT count(*) AS moved, max(seq) AS newest, (SELECT count(*) FROM moved) AS taken
FROM written
"""
)


def _move_in_sql(session: Session, from_receipt: int | None) -> int:
    row = session.execute(_MOVE_SQL, {"floor": from_receipt or 0, "batch": _BATCH}).one()
    if row.moved != row.taken:
        # The head row is missing (its UPDATE matched nothing): numbering would fork.
        raise HubError("the audit log head row is missing; run `hub db upgrade`")
    if row.moved:
        session.info[NEWEST_SEQ] = int(row.newest)
    return int(row.moved)


def _move(session: Session, from_receipt: int | None) -> int:
    """Move up to _BATCH queued entries, oldest receipt first, into the log (SQLite)."""
    # ORDER BY + LIMIT keeps the planner on the primary key's index whatever its statistics
    # say about a table that is all churn.
    oldest = select(_QUEUE.c.receipt).order_by(_QUEUE.c.receipt).limit(_BATCH)
    if from_receipt is not None:
        oldest = oldest.where(_QUEUE.c.receipt >= from_receipt)
    queued = session.execute(
        delete(_QUEUE)
        .where(_QUEUE.c.receipt.in_(oldest.scalar_subquery()))
        .returning(
            _QUEUE.c.receipt,
            _QUEUE.c.recorded_at,
            _QUEUE.c.operation,
            _QUEUE.c.before_seq,
            _QUEUE.c.after_seq,
            _QUEUE.c.subject_person_id,
            _QUEUE.c.case_id,
            _QUEUE.c.actor_agency_id,
        )
    ).all()
    if not queued:
        return 0
    first = take_append_lock(session)
    # Receipt order is append order within a process; across processes, either order is
    # true, and the one chosen here is the one the signed log keeps.
    rows = []
    for seq, row in enumerate(sorted(queued, key=lambda row: int(row.receipt)), start=first):
        data = join_canonical(row.before_seq, seq, row.after_seq)
        rows.append(
            (
                seq,
                row.recorded_at,
                row.operation,
                data.decode(),
                leaf_hash(data),
                row.subject_person_id,
                row.case_id,
                row.actor_agency_id,
                int(row.receipt),
            )
        )
    session.execute(insert(_LOG), [dict(zip(_LOG_COLUMNS, r, strict=True)) for r in rows])
    if take_seqs(session, len(rows)) != first:
        raise HubError("the audit log head moved while its lock was held")
    return len(rows)


def sequence_now(factory: sessionmaker[Session]) -> int:
    """Sequence everything queued, in a transaction of its own; return how many."""
    with factory.begin() as session:
        return sequence(session)


class Sweeps:
    """When a leader should sequence the whole queue rather than from its own receipts.

    Sequencing from the leader's lowest receipt leaves behind entries of a process that
    stopped between commit and sequencing (nobody else asks for lower receipts). So a
    process's first leadership sweeps the whole queue (a restart after a crash finds what
    it left), and then one leadership every `every` seconds.
    """

    def __init__(self, every: float = 30.0) -> None:
        self.every = every
        self.last: float | None = None

    def due(self) -> bool:
        return self.last is None or time.monotonic() - self.last >= self.every

    def done(self) -> None:
        self.last = time.monotonic()


class Background:
    """Sequences, in a thread of this process, what this process's transactions appended.

    An appender's commit only notes its lowest receipt and wakes the thread: the entries are
    durable in the queue from that commit on, and the appender goes on without waiting for
    the head's lock, a second transaction or its round trips. Under load one sequencing
    transaction covers the appends of every request that committed meanwhile.

    The thread waits for leadership (a transaction-scoped advisory lock, so one process
    sequences at a time), sequences from the lowest receipt committed since its last run (a
    sweep of the whole queue first and every `Sweeps.every` seconds), and stops after
    `idle` seconds without appends; the next commit starts it again. A process that stops
    before its thread ran leaves its entries queued, where any sweep finds them; at a normal
    exit it sequences them itself (`drain`, registered with atexit).
    """

    def __init__(
        self, factory: sessionmaker[Session], engine: Engine, *, idle: float = 10.0
    ) -> None:
        self._factory = factory
        self._engine = engine
        self._idle = idle
        self._sweeps = Sweeps()
        self._reset()
        atexit.register(_drain_at_exit, weakref.ref(self))
        event.listen(engine, "engine_disposed", self._disposed)

    def _reset(self) -> None:
        self._pid = os.getpid()
        self._lock = threading.Lock()  # guards _floor and _thread
        self._running = threading.Lock()  # held by whoever is sequencing for this process
        self._wake = threading.Event()
        self._floor: int | None = None  # lowest receipt committed since the last run
        self._thread: threading.Thread | None = None

    def committed(self, low: int) -> None:
        """Note that receipts from `low` up are committed, and have them sequenced soon."""
        if self._pid != os.getpid():
            self._reset()  # a forked child has none of its parent's threads
        with self._lock:
            self._floor = low if self._floor is None else min(self._floor, low)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="hub-audit-sequencer", daemon=True
                )
                self._thread.start()
        self._wake.set()

    def drain(self) -> None:
        """Sequence now, in the caller's thread, what this process committed and no run took;
        first wait for a run in progress to commit."""
        with self._running:
            with self._lock:
                floor, self._floor = self._floor, None
            if floor is not None:
                self._sequence(floor)

    def _run(self) -> None:
        while True:
            woken = self._wake.wait(self._idle)
            with self._running:
                with self._lock:
                    if not woken and self._floor is None:
                        self._thread = None
                        return
                    self._wake.clear()
                    floor, self._floor = self._floor, None
                if floor is not None:
                    self._sequence(floor)

    def _sequence(self, floor: int) -> None:
        sweep = self._sweeps.due()
        pool = self._engine.pool
        try:
            with self._factory.begin() as session:
                sequence(session, from_receipt=None if sweep else floor)
        except (SQLAlchemyError, HubError) as error:
            # The entries stay queued, durable: the next run sweeps the whole queue. The
            # message carries no statement or parameters.
            self._sweeps.last = None
            log.error("audit entries left queued, not yet in the log: %s", type(error).__name__)
            return
        finally:
            if self._engine.pool is not pool:
                pool.dispose()  # the engine was disposed meanwhile: close what came back to it
        if sweep:
            self._sweeps.done()

    def _disposed(self, engine: Engine) -> None:
        # The engine's owner is done with it (a command ending, a test tearing down): put
        # what was committed in the log now, and close the connection that took, so none is
        # left open in a pool nobody will dispose of again.
        if self._pid != os.getpid():
            return
        self.drain()
        engine.pool.dispose()


def _drain_at_exit(ref: weakref.ReferenceType[Background]) -> None:
    background = ref()
    if background is not None and background._pid == os.getpid():
        background.drain()


def install(factory: sessionmaker[Session]) -> None:
    """Sequence the entries of every transaction made through `factory` that appended.

    PostgreSQL: after the commit, by this process's `Background` thread. SQLite, and a
    factory bound to one connection (tests run the app inside one rolled-back transaction):
    inline, just before the commit, since the transaction already holds the only lock that
    matters and no second one could be opened beside it.
    """
    bind = factory.kw.get("bind")

    # SQLAlchemy fires the commit events for a SAVEPOINT's release too: only the outermost
    # transaction's commit makes its appends visible to anyone else.
    def _before_commit(session: Session) -> None:
        if not session.in_nested_transaction() and session.info.pop(QUEUED, None):
            sequence(session)

    def _after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
        # Only the outermost transaction's end settles what it appended: a SAVEPOINT rolled
        # back (one bad record of an import chunk) leaves the rest of the chunk to commit.
        if transaction.parent is None:
            session.info.pop(QUEUED, None)

    if not isinstance(bind, Engine) or bind.dialect.name == "sqlite":
        event.listen(factory, "before_commit", _before_commit)
    else:
        background = Background(factory, bind)

        def _after_commit(session: Session) -> None:
            if session.in_nested_transaction():
                return
            receipts = session.info.pop(QUEUED, None)
            if receipts:
                background.committed(receipts[0])

        event.listen(factory, "after_commit", _after_commit)
    event.listen(factory, "after_transaction_end", _after_transaction_end)
