"""Many processes appending at once still make one gapless, verifiable log.

Each process commits every entry on its own, the way request handlers do, through the hub's
own session factory. On PostgreSQL the appends queue without a lock and each commit is
followed by sequencing, which the head's row lock serialises: whichever process holds it
numbers everything committed so far. On SQLite the single writer serialises everything
(BEGIN IMMEDIATE, busy timeout 10 s). SQLite runs
a smaller load: its writers queue on a file lock, and the property is the same.
"""

import itertools
import json
import multiprocessing
import time
import uuid
from multiprocessing.synchronize import Barrier

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub import migrations
from hub.actor import Actor
from hub.audit import AuditEntry, record
from hub.audit.checkpoint import generate_signing_key, make_keyring, sign_checkpoint
from hub.audit.merkle import leaf_hash, root
from hub.audit.verify import Entry, verify_log
from hub.db import make_engine, make_sessionmaker
from hub.models import AuditQueued, AuditRecord
from hub.vocabulary import AuditOperation, Role

# (processes, appends per process, pause after each commit in seconds). SQLite's busy
# handler lets a waiting writer sleep while the one that just committed takes the lock
# again, so without a pause one process appends in long runs and the race is barely run.
LOAD = {"postgresql": (8, 1_000, 0.0), "sqlite": (4, 250, 0.002)}
ORIGIN = "mappa-hub/concurrency-test"


def append_entries(url: str, worker: int, count: int, pause: float, start: Barrier) -> None:
    """Run in a spawned process: `count` appends, one transaction (and commit) each."""
    engine = make_engine(url)
    actor = Actor(
        agency_id=uuid.uuid4(),
        user_id=uuid.uuid4(),
        roles=frozenset({Role.OFFENDER_MANAGER}),
        client_id="concurrency-test",
        purpose="RISK_MANAGEMENT",
    )
    case_id = uuid.uuid4()
    sessions = make_sessionmaker(engine)
    start.wait(timeout=60)  # every process starts appending together
    for n in range(count):
        with sessions.begin() as session:
            record(
                session,
                AuditEntry(
                    operation=AuditOperation.CONSULT,
                    actor=actor,
                    record_type="information_item",
                    record_ids=(str(uuid.uuid4()),),
                    case_id=case_id,
                    fields_returned=("title",),
                    extra={"worker": str(worker), "n": str(n)},
                ),
            )
        if pause:
            time.sleep(pause)
    engine.dispose()


def test_concurrent_appends_make_one_gapless_verifiable_log(scratch_database_url: str) -> None:
    url = scratch_database_url
    migrations.upgrade(url)
    engine = make_engine(url)
    processes, per_process, pause = LOAD[engine.dialect.name]
    total = processes * per_process

    context = multiprocessing.get_context("spawn")
    start = context.Barrier(processes)
    workers = [
        context.Process(target=append_entries, args=(url, worker, per_process, pause, start))
        for worker in range(processes)
    ]
    began = time.monotonic()
    for process in workers:
        process.start()
    for process in workers:
        process.join(timeout=max(0.0, 240 - (time.monotonic() - began)))
    stuck = [process for process in workers if process.is_alive()]
    for process in stuck:
        process.kill()
        process.join()
    assert not stuck, f"{len(stuck)} appending processes did not finish in time"
    assert [process.exitcode for process in workers] == [0] * processes

    with Session(engine) as session:
        rows = session.execute(
            select(AuditRecord.seq, AuditRecord.canonical, AuditRecord.leaf_hash).order_by(
                AuditRecord.seq
            )
        ).all()
        # Every commit returned only once its entry was sequenced: nothing is left queued.
        assert session.scalar(select(func.count()).select_from(AuditQueued)) == 0
    engine.dispose()

    assert len(rows) == total
    assert [seq for seq, _, _ in rows] == list(range(total))
    entries = [Entry(seq, canonical.encode(), stored) for seq, canonical, stored in rows]
    assert all(entry.leaf_hash == leaf_hash(entry.canonical) for entry in entries)
    documents = [json.loads(canonical) for _, canonical, _ in rows]
    assert [d["seq"] for d in documents] == list(range(total))
    # The appends really raced: the log interleaves the processes, not one after another.
    order = [d["extra"]["worker"] for d in documents]
    switches = sum(1 for a, b in itertools.pairwise(order) if a != b)
    print(f"{total} appends by {processes} processes; the writer changed {switches} times")
    assert switches >= total // 10
    # Each process's own appends are all there, in the order it made them.
    for worker in range(processes):
        mine = [int(d["extra"]["n"]) for d in documents if d["extra"]["worker"] == str(worker)]
        assert mine == list(range(per_process))

    signer = generate_signing_key()
    head = sign_checkpoint(signer, ORIGIN, total, root([entry.leaf_hash for entry in entries]))
    verdict = verify_log(entries, [head], make_keyring([signer.public_key()]))
    assert verdict.ok, verdict.message
    assert verdict.entries_checked == total
