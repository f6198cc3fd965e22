"""Benchmark appending to the audit log: durable single appends, concurrent appends, batches.

Run: .venv/bin/python bench/audit_append.py [--database-url URL]
Without a URL it creates hub_bench_<random> on PostgreSQL at 127.0.0.1:5432 (user
postgres), migrates it and drops it at the end. A URL you give must name a disposable
database: the log is append-only, so the benchmark's entries can never be removed.
Prints human-readable lines, then one JSON object as the last line.

Measured in one run, so the figures can be compared across machines:
* baselines: plain single-row INSERT + COMMIT into a scratch table as wide as the log
  (same columns and indexes, entry-sized payload), through the same driver, with a
  session per row (the pattern of the `record` loop) and on one held connection;
* `record` with one commit per entry, through the hub's own session factory, as in the hub:
  each commit makes its entry durable in the queue, and the process's sequencer thread
  moves what has committed into the log in batches. Two figures each: durable appends/s
  (first start to last commit) and logged appends/s (first start to the moment the queue
  is empty, every entry numbered in the log). 1 process, then 2, 4 and 8 processes sharing
  the same total; the baseline is run at 4 and 8 processes too;
* `record_many` in batches, sequenced after each commit, against a bulk baseline (COPY on
  PostgreSQL, executemany on SQLite) of the same rows already canonicalised;
* where the time of one append goes (canonical JSON, queue INSERT, commit) and what the
  sequencing transaction after it costs (lock, move, hash, commit): the only part that
  holds the log's lock, once per batch of whatever was queued.
The machine's load average is printed at start and end: the figures are only as quiet
as the machine was.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _support import scratch_database
from sqlalchemy import (
    BigInteger,
    Column,
    Engine,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    func,
    insert,
    select,
)
from sqlalchemy.orm import Session

from hub import migrations
from hub.actor import Actor
from hub.audit import AuditEntry, record
from hub.audit.entry import canonical_bytes
from hub.audit.log import _COLUMNS, _QUEUE, _values, record_many
from hub.audit.merkle import leaf_hash
from hub.audit.sequencer import sequence
from hub.db import UTCDateTime, make_engine, make_sessionmaker, utcnow
from hub.vocabulary import AuditOperation, Role

TARGET_SINGLE = 5_000
TARGET_BATCH = 50_000
WARM_UP = 200


def make_entry(actor: Actor, n: int) -> AuditEntry:
    """A CONSULT entry shaped like the gate's: one item, fields returned and withheld."""
    return AuditEntry(
        operation=AuditOperation.CONSULT,
        actor=actor,
        record_type="information_item",
        record_ids=(str(uuid.uuid4()),),
        subject_person_id=uuid.uuid4(),
        case_id=uuid.uuid4(),
        fields_returned=("category", "classification", "content", "received_at", "title"),
        fields_withheld=("source_reference",),
        policy_decision_id=f"decision-{n}",
        policy_bundle_hash="0" * 64,
    )


def make_actor() -> Actor:
    return Actor(
        agency_id=uuid.uuid4(),
        user_id=uuid.uuid4(),
        roles=frozenset({Role.OFFENDER_MANAGER}),
        client_id="bench",
        purpose="RISK_MANAGEMENT",
        justification="Risk management meeting",
    )


def entries(count: int) -> list[AuditEntry]:
    actor = make_actor()
    return [make_entry(actor, n) for n in range(count)]


# --- one commit per entry -------------------------------------------------------------


def append_one_by_one(engine: Engine, batch: list[AuditEntry]) -> tuple[float, float]:
    """Seconds for `record` + commit of every entry, each in its own session of the hub's
    factory, and seconds until all of them are in the log."""
    started = time.monotonic()
    commit_each(engine, batch)
    durable = time.monotonic()
    return durable - started, until_sequenced(engine) - started


def commit_each(engine: Engine, batch: list[AuditEntry]) -> None:
    """`record` + commit of every entry, each in its own session of the hub's factory."""
    sessions = make_sessionmaker(engine)
    for entry in batch:
        with sessions.begin() as session:
            record(session, entry)


def until_sequenced(engine: Engine) -> float:
    """The monotonic time at which the queue was first seen empty (polled every 2 ms)."""
    with engine.connect() as connection:
        while connection.scalar(select(func.count()).select_from(_QUEUE)):
            connection.rollback()  # a fresh snapshot for the next look
            time.sleep(0.002)
        return time.monotonic()


def concurrent_worker(url: str, count: int, start: Barrier, results: Queue[Any]) -> None:
    """Run in a spawned process: `count` appends, one commit each, after a common start."""
    engine = make_engine(url)
    batch = entries(count)
    append_one_by_one(engine, entries(WARM_UP // 4))
    start.wait(timeout=120)
    began = time.monotonic()  # CLOCK_MONOTONIC: comparable across processes
    commit_each(engine, batch)
    results.put((began, time.monotonic()))
    engine.dispose()


def append_concurrently(url: str, processes: int, total: int) -> tuple[float, float]:
    """Seconds for `total` appends shared by the processes, first start to last commit, and
    to the moment all are in the log."""
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(processes)
    results: Queue[Any] = context.Queue()
    workers = [
        context.Process(target=concurrent_worker, args=(url, total // processes, start, results))
        for _ in range(processes)
    ]
    for worker in workers:
        worker.start()
    spans: list[tuple[float, float]] = [results.get(timeout=600) for _ in workers]
    engine = make_engine(url)
    try:
        logged = until_sequenced(engine)
    finally:
        engine.dispose()
    for worker in workers:
        worker.join()
        if worker.exitcode != 0:
            raise SystemExit(f"a benchmark process failed (exit code {worker.exitcode})")
    first = min(began for began, _ in spans)
    return max(ended for _, ended in spans) - first, logged - first


def record_breakdown(engine: Engine, batch: list[AuditEntry]) -> dict[str, float]:
    """Median microseconds of each step of one append, replayed step by step.

    The steps are the statements `record` and the sequencer issue, in their order, on plain
    sessions so that each is timed alone. Only `sequence` holds the log's lock (from its
    first statement to its commit); with many writers one sequencing covers many appends.
    """
    steps: dict[str, list[float]] = {
        "session_and_begin": [],
        "canonicalise_row": [],
        "queue_insert": [],
        "commit": [],
        "sequence_one": [],
        "total": [],
    }
    for entry in batch:
        t0 = time.perf_counter()
        with Session(engine) as session:
            session.connection()  # checkout (and pre-ping) + BEGIN
            t1 = time.perf_counter()
            row = _values(utcnow(), entry)
            t2 = time.perf_counter()
            receipt = session.execute(
                insert(_QUEUE)
                .values(dict(zip(_COLUMNS, row, strict=True)))
                .returning(_QUEUE.c.receipt)
            ).scalar_one()
            t3 = time.perf_counter()
            session.commit()
            t4 = time.perf_counter()
        with Session(engine) as session, session.begin():
            # From its own receipt, as the commit hook's leader does (a sweep from the queue's
            # start walks every entry deleted since the last vacuum).
            sequence(session, from_receipt=receipt)
        t5 = time.perf_counter()
        for name, value in (
            ("session_and_begin", t1 - t0),
            ("canonicalise_row", t2 - t1),
            ("queue_insert", t3 - t2),
            ("commit", t4 - t3),
            ("sequence_one", t5 - t4),
            ("total", t5 - t0),
        ):
            steps[name].append(value)
    return {name: round(statistics.median(values) * 1e6, 1) for name, values in steps.items()}


# --- batches --------------------------------------------------------------------------


def append_in_batches(engine: Engine, batches: list[list[AuditEntry]]) -> float:
    """Seconds for `record_many` + commit of each batch until every entry is in the log."""
    sessions = make_sessionmaker(engine)
    started = time.monotonic()
    for batch in batches:
        with sessions.begin() as session:
            record_many(session, batch)
    return until_sequenced(engine) - started


def canonicalise_only(batches: list[list[AuditEntry]]) -> float:
    """Seconds for the pure-Python part of a batch: canonical JSON and leaf hash."""
    recorded_at = utcnow()
    started = time.perf_counter()
    for batch in batches:
        for seq, entry in enumerate(batch):
            leaf_hash(canonical_bytes(entry.to_document(seq, recorded_at)))
    return time.perf_counter() - started


# --- baseline: the same width of row without the audit log's work ----------------------


def scratch_table(name: str) -> tuple[MetaData, Table]:
    """A table shaped like audit_entry (columns and indexes), with no triggers."""
    metadata = MetaData()
    table = Table(
        name,
        metadata,
        Column("seq", BigInteger, primary_key=True, autoincrement=False),
        Column("recorded_at", UTCDateTime(), nullable=False),
        Column("operation", String(16), nullable=False),
        Column("canonical", Text, nullable=False),
        Column("leaf_hash", LargeBinary(32), nullable=False),
        Column("subject_person_id", String(36), index=True),
        Column("case_id", String(36), index=True),
        Column("actor_agency_id", String(36), index=True),
    )
    return metadata, table


def baseline_rows(count: int) -> list[dict[str, Any]]:
    """Rows with the payload of real entries, canonicalised before the clock starts."""
    recorded_at = utcnow()
    rows = []
    for seq, entry in enumerate(entries(count)):
        data = canonical_bytes(entry.to_document(seq, recorded_at))
        rows.append(
            {
                "seq": seq,
                "recorded_at": recorded_at,
                "operation": entry.operation.value,
                "canonical": data.decode(),
                "leaf_hash": leaf_hash(data),
                "subject_person_id": str(entry.subject_person_id),
                "case_id": str(entry.case_id),
                "actor_agency_id": str(entry.actor.agency_id),
            }
        )
    return rows


def baseline_single(engine: Engine, table: Table, rows: list[dict[str, Any]]) -> float:
    """INSERT + COMMIT per row, a session per row: the same pattern as the `record` loop."""
    statement = insert(table)
    started = time.perf_counter()
    for row in rows:
        with Session(engine) as session, session.begin():
            session.execute(statement, row)
    return time.perf_counter() - started


def baseline_worker(
    url: str, table_name: str, rows: list[dict[str, Any]], start: Barrier, results: Queue[Any]
) -> None:
    """Run in a spawned process: `baseline_single` over its share, after a common start."""
    engine = make_engine(url)
    _, table = scratch_table(table_name)
    start.wait(timeout=120)
    began = time.monotonic()
    baseline_single(engine, table, rows)
    results.put((began, time.monotonic()))
    engine.dispose()


def baseline_concurrently(
    url: str, table_name: str, rows: list[dict[str, Any]], procs: int
) -> float:
    """The same rows as `baseline_single`, shared by `procs` processes: what the database and
    the disk allow at that concurrency with no log at all. Many writers let PostgreSQL flush
    several commits with one WAL write, so this, not one process, is the fair floor for
    concurrent appends."""
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(procs)
    results: Queue[Any] = context.Queue()
    share = len(rows) // procs
    workers = [
        context.Process(
            target=baseline_worker,
            args=(url, table_name, rows[i * share : (i + 1) * share], start, results),
        )
        for i in range(procs)
    ]
    for worker in workers:
        worker.start()
    spans: list[tuple[float, float]] = [results.get(timeout=600) for _ in workers]
    for worker in workers:
        worker.join()
        if worker.exitcode != 0:
            raise SystemExit(f"a benchmark process failed (exit code {worker.exitcode})")
    return max(ended for _, ended in spans) - min(began for began, _ in spans)


def baseline_single_held(engine: Engine, table: Table, rows: list[dict[str, Any]]) -> float:
    """INSERT + COMMIT per row on one connection: the driver's and the disk's floor."""
    statement = insert(table)
    with engine.connect() as connection:
        started = time.perf_counter()
        for row in rows:
            connection.execute(statement, row)
            connection.commit()
        return time.perf_counter() - started


def baseline_batches(engine: Engine, table: Table, rows: list[dict[str, Any]], size: int) -> float:
    """Seconds to store the rows `size` at a time, by the bulk path `record_many` uses."""
    columns = list(rows[0])
    with engine.connect() as connection:
        started = time.perf_counter()
        for start in range(0, len(rows), size):
            chunk = rows[start : start + size]
            if engine.dialect.name == "postgresql":
                raw: Any = connection.connection.dbapi_connection
                copy_sql = f"COPY {table.name} ({', '.join(columns)}) FROM STDIN"
                with raw.cursor() as cursor, cursor.copy(copy_sql) as copy:
                    for row in chunk:
                        copy.write_row([row[c] for c in columns])
            else:
                connection.execute(insert(table), chunk)
            connection.commit()
        return time.perf_counter() - started


# --- database set-up ------------------------------------------------------------------


def server_settings(engine: Engine) -> dict[str, str]:
    if engine.dialect.name != "postgresql":
        with engine.connect() as connection:
            return {
                "journal_mode": str(connection.exec_driver_sql("PRAGMA journal_mode").scalar()),
                "synchronous": str(connection.exec_driver_sql("PRAGMA synchronous").scalar()),
            }
    names = ("server_version", "synchronous_commit", "fsync", "wal_sync_method", "commit_delay")
    with engine.connect() as connection:
        return {name: str(connection.exec_driver_sql(f"SHOW {name}").scalar()) for name in names}


def timed(label: str, count: int, run: Callable[[], float]) -> float:
    seconds = run()
    rate = count / seconds
    print(f"{label}: {count:,} in {seconds:.2f} s = {rate:,.0f}/s")
    return rate


def timed_appends(
    label: str, count: int, run: Callable[[], tuple[float, float]]
) -> tuple[float, float]:
    """Durable and logged appends per second of one run."""
    durable, logged = run()
    print(
        f"{label}: {count:,} durable in {durable:.2f} s = {count / durable:,.0f}/s, "
        f"all in the log after {logged:.2f} s = {count / logged:,.0f}/s"
    )
    return count / durable, count / logged


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--database-url", help="a disposable, empty database (default: create one)")
    parser.add_argument("--single", type=int, default=5_000, help="appends, one commit each")
    parser.add_argument("--batches", type=int, default=100)
    parser.add_argument("--batch-size", type=int, default=1_000)
    args = parser.parse_args()

    with scratch_database(args.database_url) as url:
        migrations.upgrade(url)
        engine = make_engine(url)
        try:
            figures = run(engine, url, args.single, args.batches, args.batch_size)
        finally:
            engine.dispose()
    print(json.dumps(figures))


def run(engine: Engine, url: str, single: int, batches: int, size: int) -> dict[str, Any]:
    settings = server_settings(engine)
    cpus = os.cpu_count()
    load_start = [round(x, 2) for x in os.getloadavg()]
    print(f"database: {engine.dialect.name} {settings}; {cpus} CPUs, load {load_start}")
    append_one_by_one(engine, entries(WARM_UP))

    metadata, table = scratch_table(f"bench_baseline_{uuid.uuid4().hex[:8]}")
    metadata.create_all(engine)
    try:
        rows = baseline_rows(max(single, batches * size))
        entry_bytes = statistics.mean(len(row["canonical"]) for row in rows[:1000])
        print(f"entries: ~{entry_bytes:.0f} bytes of canonical JSON each")
        base_single = timed(
            "baseline INSERT + COMMIT per row, a session each",
            single,
            lambda: baseline_single(engine, table, rows[:single]),
        )
        metadata.drop_all(engine)
        metadata.create_all(engine)
        shared_rows = single - single % 4
        base_four = timed(
            "baseline INSERT + COMMIT per row, a session each, 4 processes",
            shared_rows,
            lambda: baseline_concurrently(url, table.name, rows[:shared_rows], 4),
        )
        metadata.drop_all(engine)
        metadata.create_all(engine)
        shared_eight = single - single % 8
        base_eight = timed(
            "baseline INSERT + COMMIT per row, a session each, 8 processes",
            shared_eight,
            lambda: baseline_concurrently(url, table.name, rows[:shared_eight], 8),
        )
        metadata.drop_all(engine)
        metadata.create_all(engine)
        base_held = timed(
            "baseline INSERT + COMMIT per row, one connection",
            single,
            lambda: baseline_single_held(engine, table, rows[:single]),
        )
        metadata.drop_all(engine)
        metadata.create_all(engine)
        base_batch = timed(
            f"baseline bulk insert, {size:,} rows per commit",
            batches * size,
            lambda: baseline_batches(engine, table, rows[: batches * size], size),
        )
    finally:
        metadata.drop_all(engine)

    one, one_logged = timed_appends(
        "record, one commit per entry, 1 process",
        single,
        lambda: append_one_by_one(engine, entries(single)),
    )
    shared = single - single % 4  # the same total, split evenly at 2 and at 4 processes
    two, two_logged = timed_appends(
        "record, one commit per entry, 2 processes",
        shared,
        lambda: append_concurrently(url, 2, shared),
    )
    four, four_logged = timed_appends(
        "record, one commit per entry, 4 processes",
        shared,
        lambda: append_concurrently(url, 4, shared),
    )
    eight, eight_logged = timed_appends(
        "record, one commit per entry, 8 processes",
        shared_eight,
        lambda: append_concurrently(url, 8, shared_eight),
    )
    work = [entries(size) for _ in range(batches)]
    many = timed(
        f"record_many, batches of {size:,}", batches * size, lambda: append_in_batches(engine, work)
    )
    python_us = canonicalise_only(work) / (batches * size) * 1e6
    print(f"  of which canonical JSON + leaf hash: {python_us:.1f} us per entry")
    breakdown = record_breakdown(engine, entries(min(single, 2_000)))
    print(f"append, median us per step: {breakdown}")

    return {
        "database": engine.dialect.name,
        "settings": settings,
        "cpus": cpus,
        "load_average_start": load_start,
        "load_average_end": [round(x, 2) for x in os.getloadavg()],
        "entry_bytes_mean": round(entry_bytes),
        "baseline_insert_commit_per_s": round(base_single),
        "baseline_insert_commit_4proc_per_s": round(base_four),
        "ratio_record_4proc_to_baseline_4proc": round(four / base_four, 3),
        "baseline_insert_commit_8proc_per_s": round(base_eight),
        "ratio_record_8proc_to_baseline_8proc": round(eight / base_eight, 3),
        "baseline_insert_commit_one_connection_per_s": round(base_held),
        "record_commit_per_s_1proc": round(one),
        "record_commit_per_s_2proc": round(two),
        "record_commit_per_s_4proc": round(four),
        "record_commit_per_s_8proc": round(eight),
        "record_logged_per_s_1proc": round(one_logged),
        "record_logged_per_s_2proc": round(two_logged),
        "record_logged_per_s_4proc": round(four_logged),
        "record_logged_per_s_8proc": round(eight_logged),
        "baseline_bulk_insert_per_s": round(base_batch),
        "record_many_per_s": round(many),
        "record_many_batch_size": size,
        "ratio_record_to_baseline": round(one / base_single, 3),
        "ratio_record_logged_to_baseline": round(one_logged / base_single, 3),
        "ratio_2proc_to_1proc": round(two / one, 3),
        "ratio_4proc_to_1proc": round(four / one, 3),
        "ratio_8proc_to_1proc": round(eight / one, 3),
        "ratio_record_many_to_baseline_bulk": round(many / base_batch, 3),
        "record_many_canonicalise_us_per_entry": round(python_us, 2),
        "append_step_median_us": breakdown,
        "target_single_per_s": TARGET_SINGLE,
        "target_batch_per_s": TARGET_BATCH,
        "single_target_met": max(one_logged, two_logged, four_logged, eight_logged)
        >= TARGET_SINGLE,
        "batch_target_met": many >= TARGET_BATCH,
    }


if __name__ == "__main__":
    main()
