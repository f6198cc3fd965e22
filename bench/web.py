"""Benchmark the chairs' dashboard and a case page with 100,000 cases on PostgreSQL.

Run: .venv/bin/python bench/web.py [--database-url URL] [--cases N] [--requests N]
Without a URL it creates hub_bench_<random> on PostgreSQL at 127.0.0.1:5432 (user postgres),
migrates it, seeds it (bench/case_list.py's bulk seed: probation leads every case, police,
children's services and health work some) and drops it at the end.

The requests go through the whole Flask application in this process (the test client, no
network): a demo coordinator signs in with password and TOTP code, chooses a purpose, and
then each request carries that session cookie, as a browser's would. Every page read is
gated and audited, and its audit entries are committed before the page is rendered, exactly
as in production. Three items are recorded (through the services) on each of 200 cases, and
the case pages measured are those.

Measured in one run:
* baseline: GET /healthz (the same stack: WSGI, request hooks, session, no case data);
* GET /dashboard: every registered panel (this module's and the other modules' panels);
* GET /cases/<id>: a case page with its person and items.
p50/p95/p99 in ms and each p95 as a ratio of the baseline's. Target (issue 8): p95 of
200 ms or less for the dashboard and the case page. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _support import scratch_database
from case_list import existing, percentiles, seed
from sqlalchemy import func, select

from hub import create_app, migrations
from hub.accounts import totp
from hub.accounts.policy import AccountPolicy
from hub.crypto import Keyring, using
from hub.db import make_engine, make_sessionmaker
from hub.demo.sign_ins import DEMO_PASSWORD, create_demo_sign_ins
from hub.models import MappaCase
from hub.services.items import ItemInput, record_item
from hub.settings import Settings

TARGET_P95_MS = 200.0
OPENED_CASES = 200
_CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]{64})"')


def with_items(url: str, org: Any, rng: random.Random) -> tuple[list[uuid.UUID], dict[str, str]]:
    """Items on the cases to open, and the demo sign-ins: (case ids, username -> TOTP key)."""
    engine = make_engine(url)
    settings = Settings(database_url=url, environment="test")
    try:
        with make_sessionmaker(engine).begin() as session:
            ids = list(session.scalars(select(MappaCase.id).order_by(MappaCase.id).limit(5_000)))
            chosen = rng.sample(ids, OPENED_CASES)
            for case_id in chosen:
                for user, category, title in (
                    ("mosovo", "CONVICTION", "Index offence"),
                    ("offender.manager", "RISK", "Risk summary"),
                    ("mosovo", "LOCATION", "Address history"),
                ):
                    record_item(
                        session,
                        org.actor(user),
                        ItemInput(
                            case_id=case_id,
                            category=category,
                            legal_basis="DPA_PART3",
                            title=title,
                            content=f"Synthetic {title.lower()} for the benchmark",
                        ),
                    )
            secrets = {
                made.username: made.secret
                for made in create_demo_sign_ins(session, AccountPolicy.from_settings(settings))
            }
    finally:
        engine.dispose()
    return chosen, secrets


def sign_in(client: Any, username: str, secret: str) -> None:
    def token(path: str) -> str:
        found = _CSRF.search(client.get(path).get_data(as_text=True))
        assert found, f"no form on {path}"
        return found.group(1)

    client.post(
        "/sign-in",
        data={"username": username, "password": DEMO_PASSWORD, "csrf_token": token("/sign-in")},
    )
    code = totp.code_at(secret, datetime.now(UTC))
    done = client.post("/sign-in/code", data={"code": code, "csrf_token": token("/sign-in/code")})
    assert done.status_code == 303, done.get_data(as_text=True)[:300]
    chosen = client.post(
        "/purpose",
        data={"purpose": "MAPPA_MEETING", "next": "/dashboard", "csrf_token": token("/purpose")},
    )
    assert chosen.status_code == 303


def panel_costs(app: Any, org: Any, repeats: int = 20) -> dict[str, float]:
    """Each dashboard panel on its own (its gate reads and audit entries, rolled back), so a
    slow dashboard can be traced to the panel that makes it slow."""
    from hub.app import db_session
    from hub.gate import Gate, Reader
    from hub.web.dashboard import PANEL_COUNT_CAP
    from hub.web.panels import PanelContext, _sources
    from hub.web.reading import gate, today

    costs = {}
    with app.test_request_context("/dashboard"):
        session = db_session()
        reader = Reader.of(session, org.actor("coordinator", "MAPPA_MEETING"))
        for key, registered in sorted(_sources.items(), key=lambda kv: kv[1].order):
            samples = []
            for _ in range(repeats):
                panel_gate = Gate(gate().policy, count_cap=PANEL_COUNT_CAP)  # as /dashboard
                context = PanelContext(session, panel_gate, reader, today())
                started = time.perf_counter()
                registered.source(context)
                samples.append(time.perf_counter() - started)
                session.rollback()
            costs[key] = percentiles(samples)["p50_ms"]
    return costs


def timed(requests: int, one: Callable[[], Any]) -> list[float]:
    samples = []
    for _ in range(requests):
        started = time.perf_counter()
        one()
        samples.append(time.perf_counter() - started)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url")
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    rng = random.Random(11)
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
        engine.dispose()
        opened, secrets = with_items(url, org, rng)
        app = create_app(Settings(database_url=url, mappa_area="Bench Area", environment="test"))
        client = app.test_client()
        sign_in(client, "coordinator", secrets["coordinator"])

        def get(path: str) -> Callable[[], None]:
            def one() -> None:
                response = client.get(path)
                assert response.status_code == 200, (path, response.status_code)

            return one

        def case_page() -> None:
            get(f"/cases/{rng.choice(opened)}")()

        results: dict[str, Any] = {"cases": args.cases, "requests": args.requests}
        for name, one in (
            ("baseline_healthz", get("/healthz")),
            ("dashboard", get("/dashboard")),
            ("case_page", case_page),
        ):
            timed(10, one)  # warm the caches and the pool
            results[name] = percentiles(timed(args.requests, one))
            print(f"{name}: {results[name]}")
        base = results["baseline_healthz"]["p95_ms"]
        worst = 0.0
        for name in ("dashboard", "case_page"):
            results[name]["p95_vs_baseline"] = round(results[name]["p95_ms"] / base, 2)
            worst = max(worst, results[name]["p95_ms"])
        results["panels_p50_ms"] = panel_costs(app, org)
        print(f"dashboard panels, p50 each: {results['panels_p50_ms']}")
        app.extensions["hub.engine"].dispose()
    results["worst_p95_ms"] = worst
    results["target_p95_ms"] = TARGET_P95_MS
    results["meets_target"] = worst <= TARGET_P95_MS
    results["load_average_end"] = os.getloadavg()[0]
    print(json.dumps(results))


if __name__ == "__main__":
    main()
