"""Benchmark the push API: POST /api/v1/connectors/police/messages under gunicorn.

Run: .venv/bin/python bench/push.py [--seconds S] [--senders N]
Creates hub_bench_<random> on PostgreSQL at 127.0.0.1:5432, sets it up as an operator would
(`hub audit keygen`, `db upgrade`, `demo load`, `clients create`), serves it with `hub serve`
(the shipped gunicorn settings) and drops it at the end.

Measured in one run, against the same server:
* the baseline: `/healthz`, a bare Flask endpoint behind the same middleware;
* the push: N senders (default 8), each on a keep-alive connection, push distinct police
  nominal messages back to back, each with its own Idempotency-Key. Each accepted message is
  validated, matched (R-56), written with its person, names and sealed address, audited
  (COLLECT) and receipted, and committed before its 202.
Before serving, in-process, the statements of --floor-pushes accepted pushes are captured and
replayed over plain psycopg into a copy of the database taken before them (bench/_floor.py):
the push's SQL floor, and the ceiling 1 / (1/bare + 1/floor) a server would reach if a push
cost only the bare endpoint's work plus its statements'.
The load generator shares the machine's cores with the server, so the ratio to the bare
endpoint is the figure that travels between machines. Target (issue 7): at least 300
accepted messages/s with 8 senders. Last line: JSON.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import os
import re
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _floor import Transaction, capture, ceiling, database_copy, replay, server_layout
from _support import scratch_database
from api import hub, load, served, set_up, token

PATH = "/api/v1/connectors/police/messages"


def message(n: int) -> bytes:
    return json.dumps(
        {
            "type": "nominal",
            "source_reference": f"BENCH-{n:08d}",
            "pnc_id": f"2011/{n:07d}B",
            "names": [{"type": "PRIMARY", "given": "Orrin", "family": f"Benchley{n % 997}"}],
            "date_of_birth": f"19{60 + n % 40}-0{1 + n % 9}-1{n % 9}",
            "sex": "MALE",
            "addresses": [
                {"line1": f"{n % 300} Quarry Lane", "town": "Demoton", "valid_from": "2024-06-01"}
            ],
        }
    ).encode()


def push(port: int, access: str, senders: int, seconds: float, numbers: Any) -> dict[str, Any]:
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    stop = time.monotonic() + seconds
    headers = {"Authorization": f"Bearer {access}", "Content-Type": "application/json"}

    def sender() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine: list[float] = []
        seen: dict[int, int] = {}
        while time.monotonic() < stop:
            with lock:
                n = next(numbers)
            started = time.perf_counter()
            connection.request(
                "POST", PATH, body=message(n), headers={**headers, "Idempotency-Key": f"b-{n}"}
            )
            response = connection.getresponse()
            response.read()
            mine.append(time.perf_counter() - started)
            seen[response.status] = seen.get(response.status, 0) + 1
        connection.close()
        with lock:
            latencies.extend(mine)
            for status, count in seen.items():
                statuses[status] = statuses.get(status, 0) + count

    threads = [threading.Thread(target=sender) for _ in range(senders)]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - began
    ordered = sorted(latencies)
    return {
        "accepted_per_second": round(statuses.get(202, 0) / elapsed, 1),
        "p50_ms": round(statistics.median(ordered) * 1000, 2),
        "p99_ms": round(ordered[int(0.99 * (len(ordered) - 1))] * 1000, 2),
        "accepted": statuses.get(202, 0),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
    }


def push_statements(
    env: dict[str, str], client_id: str, secret: str, count: int, numbers: Any
) -> list[Transaction]:
    """The SQL statements of `count` accepted pushes, each its own (in-process, warm)."""
    from hub import create_app
    from hub.settings import Settings

    settings = {**env, "HUB_LOG_LEVEL": "WARNING", "HUB_OAUTH_ISSUER": "http://localhost"}
    app = create_app(Settings.from_env(settings))
    client = app.test_client()
    try:
        issued = client.post(
            "/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(client_id, secret),
        )
        if issued.status_code != 200:
            raise SystemExit(f"in-process token refused: {issued.get_data(as_text=True)}")
        headers = {"Authorization": f"Bearer {issued.json['access_token']}"}  # type: ignore[index]
        answers: list[int] = []

        def send() -> None:
            n = next(numbers)
            answers.append(
                client.post(
                    PATH,
                    data=message(n),
                    content_type="application/json",
                    headers={**headers, "Idempotency-Key": f"f-{n}"},
                ).status_code
            )

        send()  # warm: agency types, the token's client
        pushes = [capture(send) for _ in range(count)]
    finally:
        app.extensions["hub.engine"].dispose()
    if set(answers) != {202}:
        raise SystemExit(f"the in-process pushes were not all accepted: {sorted(set(answers))}")
    return pushes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--senders", type=int, default=8)
    parser.add_argument("--floor-pushes", type=int, default=2000)
    args = parser.parse_args()
    workers, _threads = server_layout()
    print(f"load average at start: {os.getloadavg()}")
    with scratch_database() as url, tempfile.TemporaryDirectory() as instance:
        env = {  # a worker layout set for the experiment reaches the server and the floor
            k: v
            for k, v in os.environ.items()
            if not k.startswith("HUB_") or k in {"HUB_WORKERS", "HUB_THREADS"}
        }
        # The per-client rate limit would measure itself, not the pipeline.
        env.update(
            HUB_DATABASE_URL=url, HUB_INSTANCE_PATH=instance, HUB_API_RATE_LIMIT="1000000/minute"
        )
        set_up(env, "--count", "1")
        created = hub(
            env, "clients", "create", "DEMO-POL", "--name", "bench sender",
            "--auth-method", "client_secret_basic", "--scopes", "ingest:write",
        )  # fmt: skip
        client_id = re.search(r"^client_id: (\S+)$", created, re.MULTILINE)
        secret = re.search(r"^client_secret: (\S+)$", created, re.MULTILINE)
        if client_id is None or secret is None:
            raise SystemExit("`hub clients create` printed no id and secret")
        numbers = itertools.count(1)
        # The floor's copy is taken before its pushes are captured, so each is new there.
        with database_copy(url) as copy:
            pushes = push_statements(
                env, client_id.group(1), secret.group(1), args.floor_pushes, numbers
            )
            floor = replay(copy, pushes, processes=workers, threads=max(1, args.senders // workers))
        with served(env) as (base, port):
            access = token(base, client_id.group(1), secret.group(1))
            load(port, "/healthz", {}, args.senders, 2)  # warm both paths and every worker
            push(port, access, args.senders, 2, numbers)
            bare = load(port, "/healthz", {}, args.senders, args.seconds)
            print(f"bare /healthz: {bare}")
            pushed = push(port, access, args.senders, args.seconds, numbers)
            print(f"POST {PATH}: {pushed}")
    ratio = pushed["accepted_per_second"] / bare["requests_per_second"]
    best = ceiling(bare["requests_per_second"], floor)
    print(f"SQL floor (a push's statements over psycopg): {floor:.1f}/s; "
          f"ceiling (bare + floor costs): {best:.1f}/s")  # fmt: skip
    print(
        json.dumps(
            {
                "senders": args.senders,
                "seconds": args.seconds,
                "bare": bare,
                "push": pushed,
                "push_vs_bare": round(ratio, 3),
                "statements_per_push": round(sum(map(len, pushes)) / len(pushes), 1),
                "sql_floor_per_second": round(floor, 1),
                "ceiling_per_second": round(best, 1),
                "push_vs_ceiling": round(pushed["accepted_per_second"] / best, 3),
                "target_accepted_per_second": 300,
                "meets_target": pushed["accepted_per_second"] >= 300,
            }
        )
    )


if __name__ == "__main__":
    main()
