"""Benchmark bulk ingest: N synthetic police nominal records through `hub import`'s pipeline.

Run: .venv/bin/python bench/ingest.py [--count N] [--batch-size B] [--admin-url URL]
Creates hub_bench_ingest_<random> on PostgreSQL (default 127.0.0.1:5432, user postgres),
migrates it, imports N CSV nominal records (validation, R-56 matching, person, name, PNC
and address rows, sealed fields, COLLECT audit entries, receipts), then COPYs the same rows
raw into a plain table: the floor no pipeline can beat. Reports records/s (target >= 1,000)
and our time as a ratio to COPY. Drops the database at the end. Last line: JSON.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import make_url, text

from connectors.police.csv_nominals import COLUMNS
from connectors.registry import connector
from hub import crypto, migrations
from hub.actor import Actor
from hub.crypto import Keyring
from hub.db import make_engine, make_sessionmaker
from hub.demo.agencies import create_organisation
from hub.ingest.bulk import import_file
from hub.vocabulary import Role


def rows(count: int) -> list[list[str]]:
    out = []
    for n in range(count):
        out.append(
            [
                f"BENCH-{n}",
                f"19{n % 100:02d}/{n:07d}B",
                f"Family{n % 9973}",
                f"Given{n % 613}",
                f"{1950 + n % 50}-{1 + n % 12:02d}-{1 + n % 28:02d}",
                "MALE" if n % 7 else "FEMALE",
                "",
                "",
                "",
                "HOME",
                f"{n % 200} Bench Street",
                "",
                "Demoton",
                f"DM{n % 9} {n % 10}ZZ",
                "2024-01-01",
            ]
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument(
        "--admin-url",
        default=os.environ.get(
            "HUB_BENCH_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
        ),
    )
    args = parser.parse_args()
    name = f"hub_bench_ingest_{uuid.uuid4().hex[:8]}"
    admin = make_engine(args.admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(args.admin_url).set(database=name).render_as_string(hide_password=False)
    header = list(COLUMNS)
    data = rows(args.count)
    try:
        migrations.upgrade(url)
        engine = make_engine(url)
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
                    writer.writerow(header)
                    writer.writerows(data)
                start = time.perf_counter()
                summary = import_file(
                    sessions,
                    actor,
                    connector("police"),
                    path,
                    fmt="csv",
                    batch_size=args.batch_size,
                )
                ours = time.perf_counter() - start
            with engine.begin() as c:
                c.execute(
                    text("CREATE TABLE copy_floor (" + ", ".join(f"{h} text" for h in header) + ")")
                )
            raw = engine.raw_connection()
            try:
                start = time.perf_counter()
                with (
                    raw.cursor() as cursor,
                    cursor.copy(  # type: ignore[attr-defined]
                        f"COPY copy_floor ({', '.join(header)}) FROM STDIN"
                    ) as copy,
                ):
                    for row in data:
                        copy.write_row(row)
                raw.commit()
                floor = time.perf_counter() - start
            finally:
                raw.close()
        engine.dispose()
    finally:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    rate = summary.accepted / ours
    print(f"imported {summary.accepted} of {args.count} in {ours:.1f} s: {rate:.0f} records/s")
    print(f"raw COPY of the same rows: {floor:.2f} s; ratio {ours / floor:.1f}x")
    print(
        json.dumps(
            {
                "benchmark": "ingest",
                "records": args.count,
                "accepted": summary.accepted,
                "rejected": len(summary.rejected),
                "batch_size": args.batch_size,
                "seconds": round(ours, 2),
                "records_per_second": round(rate, 1),
                "target_records_per_second": 1000,
                "copy_seconds": round(floor, 3),
                "ratio_to_copy": round(ours / floor, 1),
                "load_average": os.getloadavg()[0],
            }
        )
    )


if __name__ == "__main__":
    main()
