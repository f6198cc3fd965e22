"""Benchmark one request's own CPU, in-process: a case read and a push, without gunicorn.

Run: .venv/bin/python bench/request_cpu.py [--batches B] [--requests N]
Creates hub_bench_<random> on PostgreSQL at 127.0.0.1:5432, sets it up as bench/api.py and
bench/push.py do, builds the app in this process and sends it requests through Flask's test
client, one at a time. For each request kind it times B batches of N requests by the calling
thread's CPU clock and reports the fastest batch and the median, per request.

Why: on a shared 2-core machine the served benchmarks' rates swing by a third from run to
run, more than most changes move them. The thread's CPU time leaves out waiting (the
database's work, the network) and the audit sequencer's thread, so it isolates what a
change to the request path costs or saves; the fastest batch is the least disturbed by
neighbours. Compare two versions by running this on each, alternately, more than once.
Last line: JSON.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _support import scratch_database
from api import hub, police_case, set_up
from push import PATH, message


def per_request(send: Callable[[], int], batches: int, requests: int) -> dict[str, float]:
    for _ in range(requests):  # warm: caches, prepared statements
        if send() not in {200, 202}:
            raise SystemExit("a warm-up request failed")
    times = []
    failed = 0
    for _ in range(batches):
        started = time.thread_time()
        for _ in range(requests):
            failed += send() not in {200, 202}
        times.append((time.thread_time() - started) / requests * 1000)
    if failed:
        raise SystemExit(f"{failed} measured requests failed")
    return {"fastest_ms": round(min(times), 3), "median_ms": round(statistics.median(times), 3)}


def client_credentials(created: str) -> tuple[str, str]:
    client_id = re.search(r"^client_id: (\S+)$", created, re.MULTILINE)
    secret = re.search(r"^client_secret: (\S+)$", created, re.MULTILINE)
    if client_id is None or secret is None:
        raise SystemExit("`hub clients create` printed no id and secret")
    return client_id.group(1), secret.group(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=7)
    parser.add_argument("--requests", type=int, default=150)
    args = parser.parse_args()
    print(f"load average at start: {os.getloadavg()}")
    with scratch_database() as url, tempfile.TemporaryDirectory() as instance:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("HUB_")},
            "HUB_DATABASE_URL": url,
            "HUB_INSTANCE_PATH": instance,
            "HUB_API_RATE_LIMIT": "1000000/minute",
            "HUB_OAUTH_ISSUER": "http://localhost",
            "HUB_LOG_LEVEL": "WARNING",
        }
        set_up(env, "--count", "50", "--seed", "11")
        reader = client_credentials(
            hub(env, "clients", "create", "DEMO-POL", "--name", "bench reader",
                "--auth-method", "client_secret_basic", "--scopes", "cases:read")
        )  # fmt: skip
        sender = client_credentials(
            hub(env, "clients", "create", "DEMO-POL", "--name", "bench sender",
                "--auth-method", "client_secret_basic", "--scopes", "ingest:write")
        )  # fmt: skip
        case_id = police_case(url)
        results = measure(env, reader, sender, f"/api/v1/cases/{case_id}", args)
    for name, figures in results.items():
        print(f"{name}: {figures}")
    print(json.dumps({"batches": args.batches, "requests": args.requests, **results}))


def measure(
    env: dict[str, str],
    reader: tuple[str, str],
    sender: tuple[str, str],
    case_path: str,
    args: Any,
) -> dict[str, dict[str, float]]:
    from hub import create_app
    from hub.settings import Settings

    app = create_app(Settings.from_env(env))
    client = app.test_client()
    try:

        def bearer(credentials: tuple[str, str]) -> dict[str, str]:
            issued = client.post(
                "/oauth/token", data={"grant_type": "client_credentials"}, auth=credentials
            )
            if issued.status_code != 200:
                raise SystemExit(f"in-process token refused: {issued.get_data(as_text=True)}")
            return {"Authorization": f"Bearer {issued.json['access_token']}"}  # type: ignore[index]

        read_headers = {
            **bearer(reader),
            "Hub-Purpose": "RISK_MANAGEMENT",
            "Hub-On-Behalf-Of": "pc.bench.0001",
        }
        push_headers = bearer(sender)
        numbers = itertools.count(1)

        def push() -> int:
            n = next(numbers)
            return client.post(
                PATH,
                data=message(n),
                content_type="application/json",
                headers={**push_headers, "Idempotency-Key": f"c-{n}"},
            ).status_code

        return {
            "bare": per_request(lambda: client.get("/healthz").status_code, args.batches,
                                args.requests),
            "case_read": per_request(
                lambda: client.get(case_path, headers=read_headers).status_code,
                args.batches,
                args.requests,
            ),
            "push": per_request(push, args.batches, args.requests),
        }  # fmt: skip
    finally:
        app.extensions["hub.engine"].dispose()


if __name__ == "__main__":
    main()
