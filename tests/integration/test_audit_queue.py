"""Appends queue without a lock; the sequencer numbers them into the log after they commit.

These are the guarantees the queue must keep for the log to stay complete and gapless:
what an appender commits reaches the log without anyone asking (at once on SQLite, within
moments on PostgreSQL, where a thread of the appending process sequences), appenders never
wait for one another's transactions, and entries a stopped process left queued are not lost.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from hub import migrations
from hub.actor import Actor
from hub.audit import AuditEntry, record
from hub.audit.entry import canonical_bytes, join_canonical, split_canonical
from hub.db import make_engine, make_sessionmaker, utcnow
from hub.models import AuditQueued, AuditRecord
from hub.vocabulary import AuditOperation, Role
from tests.helpers import hub_env, run_hub


def _entry(note: str = "") -> AuditEntry:
    actor = Actor(
        agency_id=uuid.uuid4(),
        user_id=uuid.uuid4(),
        roles=frozenset({Role.OFFENDER_MANAGER}),
        client_id="queue-test",
        purpose="RISK_MANAGEMENT",
    )
    return AuditEntry(
        operation=AuditOperation.CONSULT,
        actor=actor,
        record_type="information_item",
        record_ids=(str(uuid.uuid4()),),
        fields_returned=("title",),
        extra={"note": note},
    )


@settings(max_examples=200, deadline=None)
@given(note=st.text(), seq=st.integers(min_value=0, max_value=2**62))
def test_the_split_canonical_text_joins_to_exactly_the_canonical_bytes(note: str, seq: int) -> None:
    # The sequencer hashes before + seq + after; a verifier hashes canonical_bytes of the
    # document. Any difference would make every queued entry fail verification.
    document = _entry(note).to_document(seq, utcnow())
    before, after = split_canonical(document)
    assert join_canonical(before, seq, after) == canonical_bytes(document)


def _log(engine: Engine) -> list[tuple[int, int | None, dict[str, object]]]:
    with Session(engine) as session:
        rows = session.execute(
            select(AuditRecord.seq, AuditRecord.receipt, AuditRecord.canonical).order_by(
                AuditRecord.seq
            )
        ).all()
    return [(seq, receipt, json.loads(canonical)) for seq, receipt, canonical in rows]


def _queued(engine: Engine) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(AuditQueued)) or 0


def _until_sequenced(engine: Engine, seconds: float = 10.0) -> None:
    """Wait, as a reader of the log would, for the queue to empty; fail if it does not."""
    deadline = time.monotonic() + seconds
    while _queued(engine):
        assert time.monotonic() < deadline, "queued entries never reached the log"
        time.sleep(0.02)


@pytest.fixture
def log_engine(scratch_database_url: str) -> Engine:
    migrations.upgrade(scratch_database_url)
    return make_engine(scratch_database_url)


def test_a_committed_append_reaches_the_log_without_anyone_asking(log_engine: Engine) -> None:
    sessions = make_sessionmaker(log_engine)
    with sessions.begin() as session:
        receipt = record(session, _entry("first"))
    _until_sequenced(log_engine)
    log = _log(log_engine)
    assert [(r, d["extra"]) for _, r, d in log if r == receipt] == [(receipt, {"note": "first"})]
    assert [seq for seq, _, _ in log] == list(range(len(log)))
    assert _queued(log_engine) == 0
    log_engine.dispose()


def test_a_rolled_back_append_leaves_nothing_queued_or_logged(log_engine: Engine) -> None:
    sessions = make_sessionmaker(log_engine)
    before = _log(log_engine)
    with sessions() as session:
        record(session, _entry("never"))
        session.rollback()
    assert _log(log_engine) == before
    assert _queued(log_engine) == 0
    log_engine.dispose()


def test_entries_a_stopped_process_left_queued_are_sequenced_next_in_receipt_order(
    log_engine: Engine, scratch_database_url: str, tmp_path: Path
) -> None:
    # A plain session has no commit hook: it stands for a process killed between its
    # commit and sequencing. Its entries are stored, queued, and not yet in the log.
    with Session(log_engine) as session, session.begin():
        left = [record(session, _entry(f"left {n}")) for n in range(3)]
    assert _queued(log_engine) == 3
    assert not any(receipt in left for _, receipt, _ in _log(log_engine))

    env = hub_env(scratch_database_url, tmp_path)
    verified = run_hub(["audit", "verify"], env)
    assert verified.returncode == 0, verified.stderr
    assert "3 appended entries are queued" in verified.stdout

    # The next append anywhere sequences them too, oldest receipt first, before its own.
    sessions = make_sessionmaker(log_engine)
    with sessions.begin() as session:
        mine = record(session, _entry("next"))
    _until_sequenced(log_engine)
    log = _log(log_engine)
    assert [receipt for _, receipt, _ in log[-4:]] == [*left, mine]
    assert [seq for seq, _, _ in log] == list(range(len(log)))
    log_engine.dispose()


def test_hub_audit_sequence_puts_queued_entries_in_the_log(
    log_engine: Engine, scratch_database_url: str, tmp_path: Path
) -> None:
    with Session(log_engine) as session, session.begin():
        record(session, _entry("left"))
    env = hub_env(scratch_database_url, tmp_path)
    done = run_hub(["audit", "sequence"], env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "1 queued entries sequenced"
    assert _queued(log_engine) == 0
    again = run_hub(["audit", "sequence"], env)
    assert again.stdout.strip() == "nothing was queued"
    verified = run_hub(["audit", "verify"], env)
    assert verified.returncode == 0
    assert "queued" not in verified.stdout
    log_engine.dispose()


def test_an_open_transaction_that_appended_does_not_hold_up_other_appenders(
    log_engine: Engine, scratch_database_url: str
) -> None:
    if log_engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time by design; the queue changes nothing there")
    # Before the queue, the quick append waited for the open transaction to end: with a lock
    # timeout, a regression fails here instead of hanging.
    engine = make_engine(scratch_database_url, connect_args={"options": "-c lock_timeout=5000"})
    sessions = make_sessionmaker(engine)
    slow = sessions()
    try:
        slow_receipt = record(slow, _entry("slow"))  # appended, its transaction still open
        with sessions.begin() as quick:
            quick_receipt = record(quick, _entry("quick"))
        assert quick_receipt > slow_receipt
        deadline = time.monotonic() + 10
        while quick_receipt not in {receipt for _, receipt, _ in _log(log_engine)}:
            assert time.monotonic() < deadline, "the quick append waited for the slow one"
            time.sleep(0.02)
        slow.commit()
    finally:
        slow.close()
    _until_sequenced(log_engine)
    log = _log(log_engine)
    # The log keeps commit order: the quick append committed first and comes first.
    assert [receipt for _, receipt, _ in log[-2:]] == [quick_receipt, slow_receipt]
    assert [seq for seq, _, _ in log] == list(range(len(log)))
    engine.dispose()
    log_engine.dispose()


def test_appends_in_savepoints_are_sequenced_when_the_outer_transaction_commits(
    log_engine: Engine,
) -> None:
    # An import chunk gives each record a SAVEPOINT and rolls back the bad ones; releasing
    # or rolling back a SAVEPOINT must neither sequence early nor forget the chunk's appends.
    sessions = make_sessionmaker(log_engine)
    with sessions.begin() as session:
        with session.begin_nested():
            kept = record(session, _entry("kept"))
        dropped: list[int] = []
        with pytest.raises(ValueError, match="bad record"), session.begin_nested():
            _append_then_fail(session, dropped)
        last = record(session, _entry("last"))
    _until_sequenced(log_engine)
    log = _log(log_engine)
    assert [(receipt, d["extra"]) for _, receipt, d in log[-2:]] == [
        (kept, {"note": "kept"}),
        (last, {"note": "last"}),
    ]
    assert dropped  # appended, then rolled back with its SAVEPOINT: never in the log
    assert {"note": "dropped"} not in [d["extra"] for _, _, d in log]
    assert _queued(log_engine) == 0
    log_engine.dispose()


def _append_then_fail(session: Session, receipts: list[int]) -> None:
    receipts.append(record(session, _entry("dropped")))
    raise ValueError("bad record")


_APPEND_AND_EXIT = """
import sys
from tests.integration.test_audit_queue import _entry
from hub.audit import record
from hub.db import make_engine, make_sessionmaker
sessions = make_sessionmaker(make_engine(sys.argv[1]))
for n in range(int(sys.argv[2])):
    with sessions.begin() as session:
        record(session, _entry(f"exiting {n}"))
"""


def test_a_process_that_exits_right_after_appending_leaves_nothing_queued(
    log_engine: Engine, scratch_database_url: str
) -> None:
    # The process ends while its sequencing thread may not have run: the exit sequences
    # what it committed, so a command such as `hub import` leaves a complete log behind.
    before = len(_log(log_engine))
    done = subprocess.run(
        [sys.executable, "-c", _APPEND_AND_EXIT, scratch_database_url, "50"],
        capture_output=True,
        text=True,
        check=False,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert done.returncode == 0, done.stderr
    assert _queued(log_engine) == 0
    log = _log(log_engine)
    assert len(log) == before + 50
    assert [seq for seq, _, _ in log] == list(range(len(log)))
    log_engine.dispose()
