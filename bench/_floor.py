"""The SQL floor of a request: its own statements, replayed over plain psycopg connections.

No server can beat this rate on the machine that measured it: the request's statements, in
its transactions, from as many connections as the server has threads, with no HTTP, no token
check and no Python above the driver. The statements are captured in-process from the hub
itself, from the request's own thread only: the audit sequencer's work beside it is left out,
which makes the floor optimistic. They are replayed into a copy of the database taken before
the capture, so every captured write is new there and no replayed row meets its twin.

Used by bench/api.py and bench/push.py (`make bench` skips names starting with _).
"""

from __future__ import annotations

import itertools
import multiprocessing
import runpy
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

import psycopg
from psycopg import pq
from sqlalchemy import make_url, text

from hub.db import make_engine

Statement = tuple[str, Any, bool, bool]  # SQL as sent, its parameters, executemany, pipelined
Transaction = list[Statement]


@contextmanager
def database_copy(url: str) -> Iterator[str]:
    """A copy of the database at `url` (nobody may be connected to it), dropped at the end."""
    source = make_url(url)
    name = f"{source.database}_floor_{uuid.uuid4().hex[:6]}"
    admin = make_engine(source.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{source.database}"'))
        yield source.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def server_layout() -> tuple[int, int]:
    """Gunicorn's workers and threads per worker, as the shipped settings give them here."""
    conf = Path(__file__).resolve().parent.parent / "docker" / "gunicorn.conf.py"
    settings = runpy.run_path(str(conf))
    return int(settings["workers"]), int(settings["threads"])


def capture(send: Callable[[], None]) -> Transaction:
    """The statements `send` makes the hub give the driver on the calling thread, in order.

    Seen at psycopg's cursors, not at SQLAlchemy's events: the hub sends some statements past
    SQLAlchemy (hub.dbpipeline), and those are as much a request's as the rest.
    """
    caller = threading.get_ident()
    seen: Transaction = []
    originals = psycopg.Cursor.execute, psycopg.Cursor.executemany

    def spied(original: Any, many: bool) -> Any:
        def call(cursor: psycopg.Cursor[Any], query: Any, params: Any = None, **kw: Any) -> Any:
            if threading.get_ident() == caller:  # not the audit sequencer's, which runs beside
                statement = query if isinstance(query, str) else query.as_string(cursor)
                pipelined = cursor.connection.pgconn.pipeline_status != pq.PipelineStatus.OFF
                rows = list(params) if many else params
                seen.append((statement, rows, many, pipelined))
                return original(cursor, query, rows, **kw)
            return original(cursor, query, params, **kw)

        return call

    psycopg.Cursor.execute = spied(originals[0], many=False)  # type: ignore[method-assign]
    psycopg.Cursor.executemany = spied(originals[1], many=True)  # type: ignore[method-assign]
    try:
        send()
    finally:
        psycopg.Cursor.execute, psycopg.Cursor.executemany = originals  # type: ignore[method-assign]
    return seen


def replay(
    url: str,
    transactions: list[Transaction],
    *,
    processes: int,
    threads: int,
    seconds: float | None = None,
) -> float:
    """Transactions per second over `processes` x `threads` connections, as gunicorn's.

    With `seconds`, each connection repeats its share for that long (reads); without, each
    runs its share once (writes, each new only once) and the clock stops with the last.
    """
    conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    connections = processes * threads
    shares = [transactions[i::connections] or transactions for i in range(connections)]
    context = multiprocessing.get_context("spawn")  # the caller's threads stay behind
    ready = context.Barrier(processes + 1)
    done = context.Queue()
    workers = [
        context.Process(
            target=_replaying,
            args=(conninfo, shares[p * threads : (p + 1) * threads], seconds, ready, done),
        )
        for p in range(processes)
    ]
    for worker in workers:
        worker.start()
    ready.wait(timeout=60)
    began = time.monotonic()
    results = [done.get(timeout=600) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)
    failures = [r for r in results if isinstance(r, str)]
    if failures:
        raise SystemExit(f"the floor's replay failed: {failures[0]}")
    finished = max(end for _count, end in results)
    return sum(count for count, _end in results) / (finished - began)


def _replaying(
    conninfo: str,
    shares: list[list[Transaction]],
    seconds: float | None,
    ready: Any,
    done: Any,
) -> None:
    counts = [0] * len(shares)
    errors: list[str] = []
    connections = [psycopg.connect(conninfo) for _ in shares]
    ready.wait(timeout=60)
    stop = time.monotonic() + seconds if seconds is not None else None

    def run(index: int) -> None:
        connection = connections[index]
        try:
            while True:
                for transaction in shares[index]:
                    with connection.transaction():
                        _execute_all(connection, transaction)
                    counts[index] += 1
                    if stop is not None and time.monotonic() >= stop:
                        return
                if stop is None:
                    return
        except psycopg.Error as exc:
            errors.append(f"{type(exc).__name__}: {exc}")

    runners = [threading.Thread(target=run, args=(i,)) for i in range(len(shares))]
    for runner in runners:
        runner.start()
    for runner in runners:
        runner.join()
    end = time.monotonic()
    for connection in connections:
        connection.close()
    done.put(errors[0] if errors else (sum(counts), end))


def _execute_all(connection: psycopg.Connection[Any], transaction: Transaction) -> None:
    # Statements the hub pipelined leave together here too, as one round trip.
    for pipelined, run in itertools.groupby(transaction, key=lambda statement: statement[3]):
        with connection.pipeline() if pipelined else nullcontext(), connection.cursor() as cursor:
            for statement, parameters, many, _pipelined in run:
                if many:
                    cursor.executemany(statement, parameters)
                    continue
                cursor.execute(statement, parameters or None)  # prepared after 5, as the hub's
                if not pipelined and cursor.description is not None:
                    cursor.fetchall()


def ceiling(bare: float, floor: float) -> float:
    """The best rate a server could reach if a request cost just the bare endpoint's work
    plus its own statements' (both runs keep the machine's cores busy, so costs add)."""
    return 1 / (1 / bare + 1 / floor)
