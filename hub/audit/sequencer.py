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
the next sequencing anywhere takes them (each takes the whole queue), as do checkpoints,
who-accessed reports and `hub audit sequence`; a process that exits normally sequences them
itself.
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
# How long the sequencing thread lets commits gather once one has woken it. A run costs a
# transaction of its own (2-4 ms of the process's CPU here); under load, a run per commit
# spent a fifth of a push's CPU on runs, a third of which found the queue already emptied
# by another process's (bench/push.py). Entries are durable in the queue meanwhile, and
# whoever reads the log (checkpoints, reports, `hub audit verify`) sequences first.
GATHER_SECONDS = 0.1


def sequence(session: Session, *, from_receipt: int | None = None) -> int:
    """Sequence every queued entry this transaction can see; return how many.

    `from_receipt` leaves out receipts below it (the benchmark times one entry's sequencing
    with it). The hub's own sequencing always takes the whole queue: see `Background` for
    why a partial one could number a process's entries out of the order it committed them.

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


class Background:
    """Sequences, in a thread of this process, what this process's transactions appended.

    An appender's commit only wakes the thread: its entries are durable in the queue from
    that commit on, and the appender goes on without waiting for the head's lock, a second
    transaction or its round trips. Once woken, the thread lets commits gather for `gather`
    seconds, so under load one sequencing transaction covers the appends of every request
    that committed meanwhile.

    The thread then waits for leadership (a transaction-scoped advisory lock, so one process
    sequences at a time), sequences the whole queue as its transaction sees it, and stops
    after `idle` seconds without appends; the next commit starts it again. The whole queue,
    not only receipts from this process's lowest up: another leader starting from its own
    lowest receipt could take this process's later entry and leave its earlier one for a
    later run, numbering them out of the order this process committed them. Taking all that
    is committed keeps the log in happened-before order: what committed before another
    transaction began is visible to any run that sees that transaction, and has the lower
    receipt. A process that stops before its thread ran leaves its entries queued, where
    the next run anywhere takes them; at a normal exit it sequences them itself (`drain`,
    registered with atexit).
    """

    def __init__(
        self,
        factory: sessionmaker[Session],
        engine: Engine,
        *,
        idle: float = 10.0,
        gather: float = GATHER_SECONDS,
    ) -> None:
        self._factory = factory
        self._engine = engine
        self._idle = idle
        self._gather = gather
        self._reset()
        atexit.register(_drain_at_exit, weakref.ref(self))
        event.listen(engine, "engine_disposed", self._disposed)

    def _reset(self) -> None:
        self._pid = os.getpid()
        self._lock = threading.Lock()  # guards _pending and _thread
        self._running = threading.Lock()  # held by whoever is sequencing for this process
        self._wake = threading.Event()
        self._pending = False  # committed appends no run has looked for yet
        self._thread: threading.Thread | None = None

    def committed(self) -> None:
        """Note that appends committed, and have them sequenced soon."""
        if self._pid != os.getpid():
            self._reset()  # a forked child has none of its parent's threads
        with self._lock:
            self._pending = True
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
                pending, self._pending = self._pending, False
            if pending:
                self._sequence()

    def _run(self) -> None:
        while True:
            woken = self._wake.wait(self._idle)
            if woken:
                time.sleep(self._gather)  # let the next moments' commits join this run
            with self._running:
                with self._lock:
                    if not woken and not self._pending:
                        self._thread = None
                        return
                    self._wake.clear()
                    pending, self._pending = self._pending, False
                if pending:
                    self._sequence()

    def _sequence(self) -> None:
        pool = self._engine.pool
        try:
            with self._factory.begin() as session:
                sequence(session)
        except (SQLAlchemyError, HubError) as error:
            # The entries stay queued, durable: the next run anywhere takes them. The
            # message carries no statement or parameters.
            log.error("audit entries left queued, not yet in the log: %s", type(error).__name__)
        finally:
            if self._engine.pool is not pool:
                pool.dispose()  # the engine was disposed meanwhile: close what came back to it

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
            if session.info.pop(QUEUED, None):
                background.committed()

        event.listen(factory, "after_commit", _after_commit)
    event.listen(factory, "after_transaction_end", _after_transaction_end)
