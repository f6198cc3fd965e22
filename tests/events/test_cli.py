"""`hub events ...` and `hub worker --once` through the real `hub` command, on a scratch
database: subscribe, a delivery that dies while its receiver is down, listed with --failed,
retried, then delivered (inline on SQLite, by procrastinate on PostgreSQL)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from sqlalchemy import func, select

from hub.db import make_engine
from hub.events.signing import verify
from hub.models import MappaCase
from tests.events.receiver import Receiver
from tests.integration.test_cli import _env, _run


def test_subscribe_fail_list_retry_and_deliver(scratch_database_url: str, tmp_path: Path) -> None:
    env = _env(scratch_database_url, tmp_path)
    for args in (["db", "upgrade"], ["demo", "load", "--count", "1"]):
        result = _run(args, env)
        assert result.returncode == 0, result.stderr
    made = _run(
        [
            "clients",
            "create",
            "DEMO-POL",  # the demo case is the police's: its system may read it
            "--name",
            "case system",
            "--auth-method",
            "client_secret_basic",
            "--scopes",
            "cases:read",
        ],
        env,
    )
    assert made.returncode == 0, made.stderr
    client_id = re.search(r"client_id: (\S+)", made.stdout)
    assert client_id is not None
    receiver = Receiver()
    try:
        bad = _run(
            ["events", "subscribe", client_id[1], "--url", receiver.url, "--events", "nope"], env
        )
        assert bad.returncode == 1
        assert bad.stderr.startswith("hub: error: --events: unknown event type 'nope'")
        subscribed = _run(
            [
                "events",
                "subscribe",
                client_id[1],
                "--url",
                receiver.url,
                "--events",
                "item.created",
            ],
            env,
        )
        assert subscribed.returncode == 0, subscribed.stderr
        secret = re.search(r"(whsec_\S+)", subscribed.stdout)
        assert secret is not None

        receiver.stop()
        once = ["worker", "--once", "--max-attempts", "1"]
        assert _run(once, env).returncode == 0
        failed = _run(["events", "list", "--failed", "--json"], env)
        assert failed.returncode == 0, failed.stderr
        dead = [json.loads(line) for line in failed.stdout.splitlines()]
        assert dead  # the demo case's items, none delivered
        assert {d["event"] for d in dead} == {"item.created"}
        assert all(d["attempts"] == 1 for d in dead)

        receiver.start()
        for row in dead:
            assert _run(["events", "retry", row["id"]], env).returncode == 0
        assert _run(once, env).returncode == 0
        assert len(receiver.received) == len(dead)
        for received in receiver.received:
            verify(secret[1], received.headers, received.body)
        assert _run(["events", "list", "--failed", "--json"], env).stdout == ""
        listed = _run(["events", "list", "--json"], env)
        assert json.loads(listed.stdout)["delivered"] == len(dead)
    finally:
        receiver.stop()


def test_r06_emit_due_reviews_twice_from_cron_emits_once_then_prune(
    scratch_database_url: str, tmp_path: Path
) -> None:
    env = _env(scratch_database_url, tmp_path)
    for args in (["db", "upgrade"], ["demo", "load", "--count", "20"]):
        result = _run(args, env)
        assert result.returncode == 0, result.stderr
    engine = make_engine(scratch_database_url)
    try:
        with engine.connect() as connection:
            latest = connection.scalar(
                select(func.max(MappaCase.next_review_due)).where(
                    MappaCase.current_level.in_((2, 3)), MappaCase.status == "ACTIVE"
                )
            )
    finally:
        engine.dispose()
    assert latest is not None  # the demo has level 2/3 cases, each with a review date
    today = ["events", "emit-due-reviews", "--today", latest.isoformat()]
    first = _run(today, env)
    assert first.returncode == 0, first.stderr
    once = json.loads(first.stdout)
    assert once["emitted"] == once["due"] >= 1
    second = _run([*today, "--batch-size", "2"], env)
    assert second.returncode == 0, second.stderr
    assert json.loads(second.stdout) == {**once, "emitted": 0}  # idempotent

    pruned = _run(["events", "prune", "--retention-days", "1", "--batch-size", "50"], env)
    assert pruned.returncode == 0, pruned.stderr
    # Nothing is finished yet (no worker ran): nothing goes.
    assert json.loads(pruned.stdout) | {"before": None} == {
        "before": None,
        "events": 0,
        "deliveries": 0,
        "batches": 0,
    }


def test_bad_options_of_the_housekeeping_commands_name_the_option(tmp_path: Path) -> None:
    env = _env("sqlite:///x.db", tmp_path)
    cases = [
        (["events", "prune", "--retention-days", "ten"], "--retention-days"),
        (["events", "prune", "--retention-days", "0"], "--retention-days"),
        (["events", "prune", "--batch-size", "-5"], "--batch-size"),
        (["events", "emit-due-reviews", "--today", "2026-13-01"], "--today"),
        (["events", "emit-due-reviews", "--batch-size", "lots"], "--batch-size"),
    ]
    for args, option in cases:
        result = _run(args, env)
        assert result.returncode == 1, args
        assert result.stderr.startswith(f"hub: error: {option}: "), result.stderr
        assert "Traceback" not in result.stderr
    bad_setting = _run(["events", "prune"], {**env, "HUB_EVENT_RETENTION_DAYS": "forever"})
    assert bad_setting.returncode == 1
    assert bad_setting.stderr.startswith("hub: error: setting HUB_EVENT_RETENTION_DAYS ")
