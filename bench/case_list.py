"""Benchmark a filtered page of the case list: 50 cases out of 100,000, on PostgreSQL.

Run: .venv/bin/python bench/case_list.py [--database-url URL] [--cases N] [--requests N]
Without a URL it creates hub_bench_<random> on PostgreSQL at 127.0.0.1:5432 (user postgres),
migrates it, seeds it and drops it at the end. A URL you give must name a disposable, empty
database.

The seed is one MAPPA area's worth of synthetic cases, written with bulk inserts straight into
the tables (the services' per-case audit would make seeding take an hour and is not what is
measured). Each case has probation as lead; police are members of 60%, children's services of
20%, health of 10%, and a quarter of cases have ended memberships that must not count.

Measured in one run, per reader (demo staff of different agencies, so the filter keeps from
all cases to none):
* `Gate.list_cases` for a page of 50 at a random page of the first 40, in its own transaction
  with its CONSULT entries committed: what an API request or a page of the chairs' UI costs;
* the baseline: the same page and (capped) count of the same table with no filter and no
  audit.
p50/p95/p99 in ms, and the gate's p95 as a ratio of the baseline's. Target (issue 4): p95 of
100 ms or less. Prints human-readable lines, then one JSON object as the last line.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _support import scratch_database
from sqlalchemy import Engine, func, insert, select
from sqlalchemy.orm import Session

from hub import migrations
from hub.crypto import Keyring, using
from hub.db import make_engine, make_sessionmaker
from hub.demo.agencies import DemoOrganisation, create_organisation
from hub.gate import Gate, Reader
from hub.models import Agency, CaseMembership, MappaCase, Person, User
from hub.policy import PolicySet
from hub.settings import default_policy_path
from hub.vocabulary import MembershipRole

TARGET_P95_MS = 100.0
PAGE = 50
TODAY = datetime.now(UTC).date()  # what the gate takes as today
READERS = [
    # (demo user, purpose): from "sees every case" to "sees none".
    ("offender.manager", "RISK_MANAGEMENT"),
    ("coordinator", "MAPPA_MEETING"),
    ("mosovo", "RISK_MANAGEMENT"),
    ("csc.rep", "SAFEGUARDING"),
]


def existing(engine: Engine) -> DemoOrganisation | None:
    """The organisation of an earlier run's seed (--database-url kept), else None."""
    with Session(engine, expire_on_commit=False) as session:
        agencies = {a.code: a for a in session.scalars(select(Agency))}
        if not agencies:
            return None
        staff = {u.username: u for u in session.scalars(select(User))}
        for user in staff.values():
            _ = user.roles  # loaded now, used after the session closes
        return DemoOrganisation(agencies, staff)


def seed(engine: Engine, count: int, rng: random.Random) -> DemoOrganisation:
    factory = make_sessionmaker(engine)
    with factory.begin() as session:
        org = create_organisation(session, "Bench Area")
    ids = {code: agency.id for code, agency in org.agencies.items()}
    persons, cases, members = [], [], []
    for n in range(count):
        person_id, case_id = uuid.uuid4(), uuid.uuid4()
        persons.append(
            {
                "id": person_id,
                "date_of_birth": date(1960, 1, 1) + timedelta(days=rng.randrange(15_000)),
                "sex": rng.choice(["MALE", "FEMALE"]),
                "owning_agency_id": ids["DEMO-PRB"],
            }
        )
        level = rng.choice([1, 1, 1, 2, 3])
        cases.append(
            {
                "id": case_id,
                "person_id": person_id,
                "mappa_area": "Bench Area",
                "category": rng.choice([1, 2]),
                "current_level": level,
                "lead_agency_id": ids["DEMO-PRB"],
                "start_date": TODAY - timedelta(days=rng.randrange(2_000)),
                "next_review_due": (
                    TODAY + timedelta(days=rng.randrange(-30, 120)) if level > 1 else None
                ),
                "owning_agency_id": ids["DEMO-PRB"],
            }
        )

        def member(code: str, role: MembershipRole, ended: bool = False) -> None:
            members.append(
                {
                    "id": uuid.uuid4(),
                    "case_id": case_id,  # noqa: B023  (used at once, inside this iteration)
                    "agency_id": ids[code],
                    "user_id": None,
                    "role": role.value,
                    "since": TODAY - timedelta(days=400),
                    "until": TODAY - timedelta(days=1) if ended else None,
                }
            )

        member("DEMO-PRB", MembershipRole.LEAD_CASE_MANAGER)
        ended = n % 4 == 0
        if n % 10 < 6:
            member("DEMO-POL", MembershipRole.CASE_MANAGER, ended)
        if n % 5 == 1:
            member("DEMO-CSC", MembershipRole.AGENCY_CONTACT, ended)
        if n % 10 == 3:
            member("DEMO-NHS", MembershipRole.AGENCY_CONTACT)
    chunk = 10_000
    with engine.begin() as connection:
        for table, rows in (
            (Person.__table__, persons),
            (MappaCase.__table__, cases),
            (CaseMembership.__table__, members),
        ):
            for start in range(0, len(rows), chunk):
                connection.execute(insert(table), rows[start : start + chunk])
        connection.exec_driver_sql("ANALYZE")
    return org


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    return {
        "p50_ms": round(statistics.median(ordered) * 1000, 2),
        "p95_ms": round(at(0.95) * 1000, 2),
        "p99_ms": round(at(0.99) * 1000, 2),
    }


def timed(requests: int, one: Callable[[int], Any], rng: random.Random) -> list[float]:
    samples = []
    for _ in range(requests):
        page = rng.randrange(1, 41)
        started = time.perf_counter()
        one(page)
        samples.append(time.perf_counter() - started)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url")
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    rng = random.Random(7)
    print(f"load average at start: {os.getloadavg()}")
    with scratch_database(args.database_url) as url, using(Keyring.generate()):
        migrations.upgrade(url)
        engine = make_engine(url, pool_size=2)
        started = time.perf_counter()
        org = existing(engine)
        if org is None:
            org = seed(engine, args.cases, rng)
            print(f"seeded {args.cases:,} cases in {time.perf_counter() - started:.1f} s")
        with engine.connect() as connection:
            args.cases = connection.scalar(select(func.count()).select_from(MappaCase))
        factory = make_sessionmaker(engine)
        gate = Gate(PolicySet.load(default_policy_path()))

        def baseline(page: int) -> None:
            # The gate's two queries with no filter: the capped count and the page.
            with factory.begin() as session:
                found = select(MappaCase.id).limit(gate.count_cap + 1).subquery()
                session.scalar(select(func.count()).select_from(found))
                session.scalars(
                    select(MappaCase)
                    .order_by(MappaCase.next_review_due.asc().nulls_last(), MappaCase.id)
                    .limit(PAGE)
                    .offset((page - 1) * PAGE)
                ).all()

        timed(20, baseline, rng)  # warm the caches and the pool
        base = percentiles(timed(args.requests, baseline, rng))
        print(f"baseline (no filter, no audit): {base}")
        results: dict[str, Any] = {"cases": args.cases, "page": PAGE, "baseline": base}
        worst = 0.0
        for username, purpose in READERS:
            with Session(engine) as session:
                actor = org.actor(username, purpose)
                reader = Reader.of(session, actor)
            totals: list[int] = []

            def listed(page: int, reader: Reader = reader, totals: list[int] = totals) -> None:
                with factory.begin() as session:
                    totals.append(gate.list_cases(session, reader, page=page).total)

            timed(10, listed, rng)
            figures = percentiles(timed(args.requests, listed, rng))
            figures["visible_cases"] = totals[-1]
            figures["p95_vs_baseline"] = round(figures["p95_ms"] / base["p95_ms"], 2)
            worst = max(worst, figures["p95_ms"])
            results[username] = figures
            print(f"{username} ({purpose}): {figures}")
        engine.dispose()
    results["worst_p95_ms"] = worst
    results["target_p95_ms"] = TARGET_P95_MS
    results["meets_target"] = worst <= TARGET_P95_MS
    results["load_average_end"] = os.getloadavg()[0]
    print(json.dumps(results))


if __name__ == "__main__":
    main()
