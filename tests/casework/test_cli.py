"""`hub casework run` as an operator runs it: a real process, a real database."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import func, select

from hub.casework.models import Task, VisitPlan
from hub.db import make_engine
from hub.models import AuditRecord
from tests.helpers import hub_env, run_hub


def test_run_twice_over_demo_data_creates_tasks_once_and_audits_them(
    scratch_database_url: str, tmp_path: Path
) -> None:
    env = hub_env(scratch_database_url, tmp_path)
    for args in (["db", "upgrade"], ["demo", "load", "--count", "30", "--seed", "5"]):
        done = run_hub(args, env)
        assert done.returncode == 0, done.stderr
    first = run_hub(["casework", "run", "--today", "2031-01-15", "--batch-size", "100"], env)
    assert first.returncode == 0, first.stderr
    report = json.loads(first.stdout.splitlines()[-1])
    assert report["today"] == "2031-01-15"
    assert report["cases"] >= 1
    assert report["tasks_created"] >= 1  # five years on, reviews and visits are overdue
    second = run_hub(["casework", "run", "--today", "2031-01-15"], env)
    assert json.loads(second.stdout.splitlines()[-1])["tasks_created"] == 0
    engine = make_engine(scratch_database_url)
    try:
        with engine.connect() as connection:
            tasks = connection.scalar(select(func.count()).select_from(Task))
            plans = connection.scalar(select(func.count()).select_from(VisitPlan))
            collected = connection.scalar(
                select(func.count())
                .select_from(AuditRecord)
                .where(AuditRecord.canonical.contains('"record_type":"casework_task"'))
            )
    finally:
        engine.dispose()
    assert tasks == report["tasks_created"] == collected
    assert plans == report["visit_plans_created"]


def test_a_bad_date_is_one_line_naming_the_option(tmp_path: Path) -> None:
    env = hub_env(f"sqlite:///{tmp_path / 'x.sqlite3'}", tmp_path)
    result = run_hub(["casework", "run", "--today", "15/01/2031"], env)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "hub: error: --today: must be a date as YYYY-MM-DD; got '15/01/2031'"
    ]
