"""Benchmark `hub casework run` over 100,000 cases on PostgreSQL.

Run: .venv/bin/python bench/casework.py [--database-url URL] [--cases N] [--batch-size N]
Without a URL it creates hub_bench_<random> on PostgreSQL at 127.0.0.1:5432 (user postgres),
migrates it, seeds it and drops it at the end. A URL you give must name a disposable, empty
database.

The seed (bulk inserts, not the services: their per-row audit is not what is measured): one
area's cases, half Category 1, a quarter at level 2/3 with review dates around today; every
Category 1 person has a police ARMS assessment (about half LOW for years), one in ten has a
notification requirement, one in twenty a civil order ending within the year.

Measured, each in its own run over the same database:
* the first run, which makes every visit plan and reactive-management record and the tasks;
* a second run the same day, which finds everything done (the steady state of a nightly job);
* the baseline, between the two (warm, as the second run finds the cache): a plain count of
  the active cases, and a keyset walk of their ids in the same batches (what any pass over
  the rows costs, with no rule evaluated).
Seconds, cases per second, and the second run as a ratio of the walk. Prints human-readable
lines, then one JSON object as the last line.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _support import scratch_database
from sqlalchemy import Engine, func, insert, select

from hub import migrations
from hub.casework.models import Task
from hub.casework.run import run
from hub.crypto import Keyring, using
from hub.db import make_engine, make_sessionmaker
from hub.demo.agencies import create_organisation
from hub.models import (
    CaseMembership,
    CivilOrder,
    MappaCase,
    NotificationRequirement,
    Person,
    RiskAssessment,
)
from hub.settings import Settings
from hub.vocabulary import CaseStatus, MembershipRole

TODAY = datetime.now(UTC).date()


def seed(engine: Engine, count: int, rng: random.Random) -> None:
    factory = make_sessionmaker(engine)
    with factory.begin() as session:
        org = create_organisation(session, "Bench Area")
    ids = {code: agency.id for code, agency in org.agencies.items()}
    rows: dict[Any, list[dict[str, Any]]] = {
        Person.__table__: [],
        MappaCase.__table__: [],
        CaseMembership.__table__: [],
        RiskAssessment.__table__: [],
        NotificationRequirement.__table__: [],
        CivilOrder.__table__: [],
    }
    now = datetime.now(UTC)
    for n in range(count):
        person_id, case_id = uuid.uuid4(), uuid.uuid4()
        category = 1 if n % 2 == 0 else rng.choice([2, 3])
        level = rng.choice([1, 1, 1, 2, 3]) if category != 3 else rng.choice([2, 3])
        rows[Person.__table__].append(
            {
                "id": person_id,
                "date_of_birth": date(1960, 1, 1) + timedelta(days=rng.randrange(15_000)),
                "sex": "MALE",
                "owning_agency_id": ids["DEMO-PRB"],
            }
        )
        rows[MappaCase.__table__].append(
            {
                "id": case_id,
                "person_id": person_id,
                "mappa_area": "Bench Area",
                "category": category,
                "current_level": level,
                "lead_agency_id": ids["DEMO-PRB"],
                "start_date": TODAY - timedelta(days=rng.randrange(3_000)),
                "next_review_due": (
                    TODAY + timedelta(days=rng.randrange(-30, 120)) if level > 1 else None
                ),
                "owning_agency_id": ids["DEMO-PRB"],
            }
        )
        for code, role in (
            ("DEMO-PRB", MembershipRole.LEAD_CASE_MANAGER),
            ("DEMO-POL", MembershipRole.CASE_MANAGER),
        ):
            rows[CaseMembership.__table__].append(
                {
                    "id": uuid.uuid4(),
                    "case_id": case_id,
                    "agency_id": ids[code],
                    "role": role.value,
                    "since": TODAY - timedelta(days=400),
                }
            )
        if category == 1:
            band = rng.choice(["LOW", "LOW", "LOW", "MEDIUM", "HIGH", "VERY_HIGH"])
            rows[RiskAssessment.__table__].append(
                {
                    "id": uuid.uuid4(),
                    "person_id": person_id,
                    "case_id": case_id,
                    "tool": "ARMS",
                    "algorithm_version": "bench",
                    "band": band,
                    "assessed_at": now - timedelta(days=rng.randrange(2_000)),
                    "owning_agency_id": ids["DEMO-POL"],
                    "source_system": "VISOR_MAPPS",
                    "status": "COMPLETE",
                }
            )
            if n % 10 == 0:
                rows[NotificationRequirement.__table__].append(
                    {
                        "id": uuid.uuid4(),
                        "person_id": person_id,
                        "regime": "SOA_PART2",
                        "relevant_date": TODAY - timedelta(days=rng.randrange(3_000)),
                        "indefinite": True,
                        "weekly_required": n % 100 == 0,
                        "owning_agency_id": ids["DEMO-POL"],
                    }
                )
        if n % 20 == 1:
            rows[CivilOrder.__table__].append(
                {
                    "id": uuid.uuid4(),
                    "person_id": person_id,
                    "type": "SRO",
                    "court": "Bench Court",
                    "made_date": TODAY - timedelta(days=700),
                    "end_date": TODAY + timedelta(days=rng.randrange(1, 365)),
                    "owning_agency_id": ids["DEMO-POL"],
                }
            )
    chunk = 10_000
    with engine.begin() as connection:
        for table, values in rows.items():
            for start in range(0, len(values), chunk):
                connection.execute(insert(table), values[start : start + chunk])
        connection.exec_driver_sql("ANALYZE")


def timed_run(engine: Engine, settings: Settings, batch_size: int) -> tuple[float, dict[str, Any]]:
    session = make_sessionmaker(engine)()
    try:
        started = time.perf_counter()
        report = run(session, settings, TODAY, batch_size=batch_size, commit=session.commit)
        session.commit()
        return time.perf_counter() - started, report.as_dict()
    finally:
        session.close()


def baseline(engine: Engine, batch_size: int) -> tuple[float, float]:
    """A plain count of the active cases, and a keyset walk of their ids in batches."""
    active = MappaCase.status == CaseStatus.ACTIVE
    with engine.connect() as connection:
        started = time.perf_counter()
        connection.scalar(select(func.count()).select_from(MappaCase).where(active))
        counted = time.perf_counter() - started
        started = time.perf_counter()
        last = None
        while True:
            query = select(MappaCase.id).where(active)
            if last is not None:
                query = query.where(MappaCase.id > last)
            ids = connection.scalars(query.order_by(MappaCase.id).limit(batch_size)).all()
            if not ids:
                break
            last = ids[-1]
        walked = time.perf_counter() - started
    return counted, walked


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--database-url")
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--batch-size", type=int, default=2000)
    args = parser.parse_args()
    rng = random.Random(11)
    print(f"load average at start: {os.getloadavg()}")
    settings = Settings(environment="test")
    with scratch_database(args.database_url) as url, using(Keyring.generate()):
        migrations.upgrade(url)
        engine = make_engine(url, pool_size=2)
        started = time.perf_counter()
        seed(engine, args.cases, rng)
        print(f"seeded {args.cases:,} cases in {time.perf_counter() - started:.1f} s")
        first_s, first = timed_run(engine, settings, args.batch_size)
        print(f"first run: {first_s:.1f} s {first}")
        baseline(engine, args.batch_size)  # warm, as the second run finds the cache
        count_s, walk_s = baseline(engine, args.batch_size)
        print(f"baseline: count {count_s * 1000:.1f} ms, keyset walk {walk_s * 1000:.1f} ms")
        second_s, second = timed_run(engine, settings, args.batch_size)
        print(f"second run: {second_s:.1f} s {second}")
        with engine.connect() as connection:
            tasks = connection.scalar(select(func.count()).select_from(Task))
        engine.dispose()
    results = {
        "cases": args.cases,
        "batch_size": args.batch_size,
        "first_run_s": round(first_s, 2),
        "first_run_cases_per_s": round(args.cases / first_s),
        "second_run_s": round(second_s, 2),
        "second_run_cases_per_s": round(args.cases / second_s),
        "tasks_after_first_run": tasks,
        "tasks_created_second_run": second["tasks_created"],
        "baseline_count_ms": round(count_s * 1000, 1),
        "baseline_walk_ms": round(walk_s * 1000, 1),
        "second_run_vs_walk": round(second_s / walk_s, 1),
        "second_run_vs_count": round(second_s / count_s, 1),
        "load_average_end": os.getloadavg()[0],
    }
    print(json.dumps(results))


if __name__ == "__main__":
    main()
