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

from _support import scratch_database
from api import hub, load, served, token

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--senders", type=int, default=8)
    args = parser.parse_args()
    print(f"load average at start: {os.getloadavg()}")
    with scratch_database() as url, tempfile.TemporaryDirectory() as instance:
        env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
        # The per-client rate limit would measure itself, not the pipeline.
        env.update(
            HUB_DATABASE_URL=url, HUB_INSTANCE_PATH=instance, HUB_API_RATE_LIMIT="1000000/minute"
        )
        hub(env, "audit", "keygen")
        hub(env, "db", "upgrade")
        hub(env, "demo", "load", "--count", "1")
        created = hub(
            env, "clients", "create", "DEMO-POL", "--name", "bench sender",
            "--auth-method", "client_secret_basic", "--scopes", "ingest:write",
        )  # fmt: skip
        client_id = re.search(r"^client_id: (\S+)$", created, re.MULTILINE)
        secret = re.search(r"^client_secret: (\S+)$", created, re.MULTILINE)
        if client_id is None or secret is None:
            raise SystemExit("`hub clients create` printed no id and secret")
        numbers = itertools.count(1)
        with served(env) as (base, port):
            access = token(base, client_id.group(1), secret.group(1))
            load(port, "/healthz", {}, args.senders, 2)  # warm both paths and every worker
            push(port, access, args.senders, 2, numbers)
            bare = load(port, "/healthz", {}, args.senders, args.seconds)
            print(f"bare /healthz: {bare}")
            pushed = push(port, access, args.senders, args.seconds, numbers)
            print(f"POST {PATH}: {pushed}")
    ratio = pushed["accepted_per_second"] / bare["requests_per_second"]
    print(
        json.dumps(
            {
                "senders": args.senders,
                "seconds": args.seconds,
                "bare": bare,
                "push": pushed,
                "push_vs_bare": round(ratio, 3),
                "target_accepted_per_second": 300,
                "meets_target": pushed["accepted_per_second"] >= 300,
            }
        )
    )


if __name__ == "__main__":
    main()
