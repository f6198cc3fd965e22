"""Benchmark bulk ingest: N synthetic police nominal records through `hub import`'s pipeline.

Run: .venv/bin/python bench/ingest.py [--count N] [--batch-size B] [--one-at-a-time]
                                      [--database-url URL]
Migrates a scratch PostgreSQL database (a new one on 127.0.0.1:5432, dropped at the end, or
the disposable one given), imports N CSV nominal records exactly as `hub import police FILE`
does (validation, R-56 matching, person, name, PNC/CRN and address rows, sealed fields,
receipts, COLLECT audit entries, a transaction per chunk), then COPYs the same rows raw into
a plain table: the floor no pipeline can beat. Reports records/s (target >= 1,000) and our
time as a ratio to COPY. `--one-at-a-time` measures the record-by-record path instead (the
one a failed chunk falls back to). Last line: JSON.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _support import scratch_database
from sqlalchemy import Engine, event, text

from connectors.police.csv_nominals import COLUMNS
from connectors.registry import connector
from hub import crypto, migrations
from hub.actor import Actor
from hub.crypto import Keyring
from hub.db import make_engine, make_sessionmaker
from hub.demo.agencies import create_organisation
from hub.ingest.bulk import Summary, import_file
from hub.vocabulary import Role


@dataclass
class Measured:
    summary: Summary
    seconds: float  # the import, wall clock
    client_cpu: float  # CPU seconds of this process during the import
    server_cpu: float | None  # CPU seconds of its PostgreSQL backends, if readable
    copy_seconds: float  # the raw COPY of the same rows


def rows(count: int) -> list[list[str]]:
    """Invented people, each with a PNC of their own; a third with a CRN, a fifth aliased."""
    out = []
    for n in range(count):
        row = {
            "source_reference": f"BENCH-{n}",
            "pnc_id": f"19{n % 100:02d}/{n:07d}B",
            "crn": f"B{n:06d}" if n % 3 == 0 else "",
            "family_name": f"Family{n % 9973}",
            "given_name": f"Given{n % 613}",
            "aliases": f"Alias{n % 71} Other{n % 97}" if n % 5 == 0 else "",
            "date_of_birth": f"{1950 + n % 50}-{1 + n % 12:02d}-{1 + n % 28:02d}",
            "sex": "MALE" if n % 7 else "FEMALE",
            "nationality": "",
            "address_type": "HOME",
            "address_line1": f"{n % 200} Bench Street",
            "address_line2": "",
            "address_town": "Demoton",
            "address_postcode": f"DM{n % 9} {n % 10}ZZ",
            "address_from": "2024-01-01",
        }
        out.append([row[c] for c in COLUMNS])
    return out


def copy_floor(engine: Engine, data: list[list[str]]) -> float:
    """Seconds to COPY the same rows, as text, into a table with no index and no check."""
    with engine.begin() as c:
        c.execute(text("CREATE TABLE copy_floor (" + ", ".join(f"{h} text" for h in COLUMNS) + ")"))
    raw = engine.raw_connection()
    try:
        start = time.perf_counter()
        with (
            raw.cursor() as cursor,
            cursor.copy(  # type: ignore[attr-defined]
                f"COPY copy_floor ({', '.join(COLUMNS)}) FROM STDIN"
            ) as copy,
        ):
            for row in data:
                copy.write_row(row)
        raw.commit()
        return time.perf_counter() - start
    finally:
        raw.close()


class ServerTime:
    """CPU seconds the import's PostgreSQL backends spent (from /proc: the server must run on
    this machine). With our own process's CPU time, it says what the import costs however
    busy the machine is with other work, which wall-clock records/s cannot."""

    def __init__(self, engine: Engine) -> None:
        self.pids: set[int] = set()
        event.listen(engine, "connect", self._connected)

    def _connected(self, dbapi_connection: Any, _record: Any) -> None:
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            self.pids.add(int(cursor.fetchone()[0]))
        dbapi_connection.commit()

    def seconds(self) -> float | None:
        total = 0
        try:
            for pid in self.pids:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                total += int(fields[11]) + int(fields[12])  # utime, stime
        except (OSError, IndexError, ValueError):
            return None
        return total / os.sysconf("SC_CLK_TCK")


def run(url: str, count: int, batch_size: int, batched: bool) -> Measured:
    data = rows(count)
    migrations.upgrade(url)
    engine = make_engine(url)
    server = ServerTime(engine)
    try:
        with crypto.using(Keyring.generate()):
            sessions = make_sessionmaker(engine)
            with sessions.begin() as session:
                org = create_organisation(session, "Bench Area")
                actor = Actor(
                    agency_id=org.agencies["DEMO-POL"].id,
                    roles=frozenset({Role.SYSTEM_API_CLIENT}),
                    client_id="bench",
                )
            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / "nominals.csv"
                with path.open("w", newline="") as f:
                    writer = csv.writer(f, lineterminator="\n")
                    writer.writerow(COLUMNS)
                    writer.writerows(data)
                start, cpu_start = time.perf_counter(), time.process_time()
                server_start = server.seconds() or 0.0
                summary = import_file(
                    sessions,
                    actor,
                    connector("police"),
                    path,
                    fmt="csv",
                    batch_size=batch_size,
                    batched=batched,
                )
                ours = time.perf_counter() - start
                client_cpu = time.process_time() - cpu_start
                server_end = server.seconds()
                server_cpu = None if server_end is None else server_end - server_start
        floor = copy_floor(engine, data)
    finally:
        engine.dispose()
    return Measured(summary, ours, client_cpu, server_cpu, floor)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--one-at-a-time", action="store_true")
    parser.add_argument("--database-url", default=None, help="a disposable, empty database")
    args = parser.parse_args()
    with scratch_database(args.database_url) as url:
        m = run(url, args.count, args.batch_size, not args.one_at_a_time)
    summary, ours, floor = m.summary, m.seconds, m.copy_seconds
    rate = summary.accepted / ours
    cpu = m.client_cpu + (m.server_cpu or 0.0)
    path = "one at a time" if args.one_at_a_time else "batched"
    print(
        f"imported {summary.accepted} of {args.count} ({path}, chunks of {args.batch_size}) "
        f"in {ours:.1f} s: {rate:.0f} records/s"
    )
    print(f"raw COPY of the same rows: {floor:.2f} s; ours is {ours / floor:.1f}x that")
    server = "unknown" if m.server_cpu is None else f"{m.server_cpu:.1f} s"
    print(
        f"CPU: {m.client_cpu:.1f} s in the importer, {server} in PostgreSQL; "
        f"{summary.accepted / cpu:.0f} records per CPU-second "
        f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)"
    )
    print(
        json.dumps(
            {
                "benchmark": "ingest",
                "path": "single" if args.one_at_a_time else "batch",
                "records": args.count,
                "accepted": summary.accepted,
                "duplicates": summary.duplicates,
                "rejected": len(summary.rejected),
                "batch_size": args.batch_size,
                "seconds": round(ours, 2),
                "records_per_second": round(rate, 1),
                "target_records_per_second": 1000,
                "copy_seconds": round(floor, 3),
                "ratio_to_copy": round(ours / floor, 1),
                "client_cpu_seconds": round(m.client_cpu, 2),
                "server_cpu_seconds": None if m.server_cpu is None else round(m.server_cpu, 2),
                "records_per_cpu_second": round(summary.accepted / cpu, 1),
                "load_average": os.getloadavg()[0],
            }
        )
    )


if __name__ == "__main__":
    main()
