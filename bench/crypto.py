"""Benchmark field encryption: cost per field, and rewrapping a million fields after a rotation.

Run: .venv/bin/python bench/crypto.py [--database-url URL | --sqlite] [--fields N]
Without a URL it creates hub_bench_<random> on PostgreSQL at 127.0.0.1:5432 (user postgres),
migrates it and drops it at the end; --sqlite uses a temporary SQLite file instead. A URL you
give must name a disposable, empty database.
Prints human-readable lines, then one JSON object as the last line.

Measured in one run:
* seal and open (AES-256-GCM, base64, associated data) per field, for a short identifier,
  an item title and an item content, against a baseline of encoding the same text to UTF-8
  and base64 without encryption;
* the ORM round trip of one item (seal at flush, open on first read);
* `hub keys rewrap` of N fields (item titles and contents, N/2 items) from a retired key to
  the active one, in batches, with the time spent in cryptography separated from the time
  spent in the database, and the projected time for 1,000,000 fields (target: 60 s).
The machine's load average is printed at start and end: the figures are only as quiet as the
machine was.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _support import scratch_database
from sqlalchemy import Engine, insert, make_url, select
from sqlalchemy.orm import Session

from hub import crypto, migrations
from hub.crypto import envelope, rewrap, store
from hub.crypto.fields import StoredForm
from hub.crypto.kek import LocalKeyEncryptionKey, new_secret
from hub.crypto.keyring import Keyring
from hub.db import make_engine, make_sessionmaker
from hub.demo.agencies import create_organisation
from hub.models import InformationItem, MappaCase
from hub.services.cases import CaseOpening, LevelDecision, open_case
from hub.services.items import ItemInput, record_item
from hub.services.people import NameInput, PersonInput, register_person

TARGET_FIELDS = 1_000_000
TARGET_SECONDS = 60.0
SAMPLES = {
    "identifier (10 chars)": "9990001112",
    "title (40 chars)": "Engagement with the forensic team (B2)..",
    "content (400 chars)": (
        "Attending appointments; relapse indicators discussed with consent. " * 6
    )[:400],
}


@contextmanager
def database(url: str | None, sqlite: bool) -> Iterator[str]:
    if sqlite and not url:
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite:///{folder}/bench.sqlite3"
        return
    with scratch_database(url) as chosen:
        yield chosen


def per_call_us(work: Callable[[], object], seconds: float = 1.0) -> float:
    """Median of five timed runs, each long enough to swamp the timer's resolution."""
    rounds = []
    count = 1000
    while True:
        started = time.perf_counter()
        for _ in range(count):
            work()
        elapsed = time.perf_counter() - started
        if elapsed >= seconds / 5:
            break
        count *= 2
    rounds.append(elapsed / count)
    for _ in range(4):
        started = time.perf_counter()
        for _ in range(count):
            work()
        rounds.append((time.perf_counter() - started) / count)
    return sorted(rounds)[2] * 1e6


def field_costs(keyring: Keyring) -> dict[str, dict[str, float]]:
    context = envelope.field_context("information_item", uuid.uuid4(), "content")
    costs = {}
    for label, plaintext in SAMPLES.items():
        sealed = keyring.seal(plaintext, context)
        costs[label] = {
            "baseline_encode_us": per_call_us(lambda p=plaintext: base64.b64encode(p.encode())),
            "seal_us": per_call_us(lambda p=plaintext: keyring.seal(p, context)),
            "open_us": per_call_us(lambda s=sealed: keyring.open(s, context)),
            "stored_chars": len(sealed),
        }
        print(
            f"{label:<22} seal {costs[label]['seal_us']:6.2f} us  open "
            f"{costs[label]['open_us']:6.2f} us  (encode-only baseline "
            f"{costs[label]['baseline_encode_us']:.2f} us; {len(sealed)} chars stored)"
        )
    return costs


def orm_round_trip(engine: Engine, case_id: uuid.UUID, org: Any) -> float:
    """One item recorded through the service, flushed, expired and read back."""
    sessions = make_sessionmaker(engine)
    actor = org.actor("health.rep")
    total, runs = 0.0, 200
    with sessions() as session:
        for n in range(runs):
            started = time.perf_counter()
            item = record_item(
                session,
                actor,
                ItemInput(
                    case_id=case_id,
                    category="HEALTH",
                    legal_basis="CONSENT",
                    title="Engagement with the forensic team",
                    content=SAMPLES["content (400 chars)"],
                    source_reference=f"bench-{n}",
                ),
            )
            session.expire(item)
            assert item.content == SAMPLES["content (400 chars)"]
            total += time.perf_counter() - started
        session.rollback()
    return total / runs * 1e6


def seed_items(engine: Engine, keyring: Keyring, case: Any, agency_id: uuid.UUID, n: int) -> None:
    """N items sealed under the current key, written in bulk (COPY on PostgreSQL)."""
    now = datetime.now(UTC)
    content = SAMPLES["content (400 chars)"]
    title = SAMPLES["title (40 chars)"]
    columns = [
        "id",
        "case_id",
        "owning_agency_id",
        "category",
        "classification",
        "legal_basis",
        "title",
        "content",
        "originator_control",
        "source_system",
        "received_at",
        "created_at",
        "updated_at",
        "version",
    ]
    batch = 50_000
    for start in range(0, n, batch):
        rows = []
        for _ in range(min(batch, n - start)):
            row_id = uuid.uuid4()
            rows.append(
                (
                    row_id,
                    case.id,
                    agency_id,
                    "HEALTH",
                    "OFFICIAL_SENSITIVE",
                    "CONSENT",
                    keyring.seal(
                        title, envelope.field_context("information_item", row_id, "title")
                    ),
                    keyring.seal(
                        content, envelope.field_context("information_item", row_id, "content")
                    ),
                    False,
                    "MANUAL",
                    now,
                    now,
                    now,
                    1,
                )
            )
        with engine.begin() as connection:
            if engine.dialect.name == "postgresql":
                raw: Any = connection.connection.driver_connection
                with raw.cursor().copy(
                    f"COPY information_item ({', '.join(columns)}) FROM STDIN"
                ) as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                table = InformationItem.__table__
                # Already sealed above: StoredForm tells the column type so.
                sealed = [(*r[:6], StoredForm(r[6]), StoredForm(r[7]), *r[8:]) for r in rows]
                connection.execute(
                    insert(table), [dict(zip(columns, r, strict=True)) for r in sealed]
                )
        print(f"  seeded {start + len(rows)} items", file=sys.stderr)


def synthetic_case(session: Session, org: Any) -> MappaCase:
    person = register_person(
        session,
        org.actor("mosovo"),
        PersonInput(
            names=[NameInput(given="Benchar", family="Quorvale")],
            date_of_birth=datetime(1980, 5, 17, tzinfo=UTC).date(),
            sex="MALE",
            identifiers=[("PNC", "1900/0000001B"), ("NHS_NUMBER", "9990001112")],
        ),
    ).person
    return open_case(
        session,
        org.actor("coordinator"),
        CaseOpening(
            person_id=person.id,
            category=1,
            lead_agency_id=org.agencies["DEMO-PRB"].id,
            mappa_area="Bench Area",
            start_date=datetime.now(UTC).date(),
            level=LevelDecision(level=1, reason="Screened at referral"),
        ),
    )


def orm_crypto_us(per_field: dict[str, dict[str, float]]) -> float:
    """An item's title and content sealed at flush, its content opened on read."""
    title, content = per_field["title (40 chars)"], per_field["content (400 chars)"]
    return title["seal_us"] + content["seal_us"] + content["open_us"]


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url")
    parser.add_argument("--sqlite", action="store_true")
    parser.add_argument("--fields", type=int, default=TARGET_FIELDS)
    parser.add_argument("--batch-size", type=int, default=2000)
    args = parser.parse_args()
    print(f"load average at start: {load_average()}")
    kek = LocalKeyEncryptionKey(new_secret(), "bench")
    results: dict[str, Any] = {}
    with database(args.database_url, args.sqlite) as url:
        migrations.upgrade(url)
        engine = make_engine(url)
        try:
            with make_sessionmaker(engine).begin() as session:
                store.create_keys(session, kek)
            keyring = Keyring(source=store.DatabaseKeySource(engine, kek))
            keyring.load()
            with crypto.using(keyring):
                results["per_field"] = field_costs(keyring)
                with make_sessionmaker(engine).begin() as session:
                    org = create_organisation(session, "Bench Area")
                    case = synthetic_case(session, org)
                    agency_id = org.agencies["DEMO-NHS"].id
                results["orm_record_and_read_item_us"] = orm_round_trip(engine, case.id, org)
                print(
                    "ORM: record an item through the service (with its audit entry), expire "
                    f"it and read it back: {results['orm_record_and_read_item_us']:.0f} us, of "
                    f"which sealing and opening {orm_crypto_us(results['per_field']):.0f} us"
                )
                items = args.fields // 2
                seed_items(engine, keyring, case, agency_id, items)
                with make_sessionmaker(engine).begin() as session:
                    store.rotate(session, kek)
                keyring.load()
                with engine.connect() as connection:
                    todo = sum(rewrap.pending(connection, keyring).values())
                started = time.perf_counter()
                outcome = rewrap.run(engine, keyring, batch_size=args.batch_size)
                elapsed = time.perf_counter() - started
                with engine.connect() as connection:
                    left = sum(rewrap.pending(connection, keyring).values())
                    sample = connection.scalar(select(InformationItem.content_stored).limit(1))
                assert sample is not None
                assert envelope.key_id_of(sample) == keyring.active_key_id
        finally:
            engine.dispose()
    crypto_us = (
        results["per_field"]["content (400 chars)"]["seal_us"]
        + results["per_field"]["content (400 chars)"]["open_us"]
        + results["per_field"]["title (40 chars)"]["seal_us"]
        + results["per_field"]["title (40 chars)"]["open_us"]
    ) / 2
    rate = outcome.rewritten / elapsed
    projected = TARGET_FIELDS / rate
    results["rewrap"] = {
        "database": make_url(url).get_backend_name(),
        "fields": todo,
        "rewritten": outcome.rewritten,
        "left": left,
        "batch_size": args.batch_size,
        "seconds": round(elapsed, 2),
        "fields_per_second": round(rate),
        "projected_seconds_for_1m": round(projected, 1),
        "target_seconds_for_1m": TARGET_SECONDS,
        "crypto_share": round(crypto_us * outcome.rewritten / 1e6 / elapsed, 2),
    }
    print(
        f"rewrap: {outcome.rewritten} of {todo} fields in {elapsed:.1f} s = {rate:,.0f} fields/s; "
        f"1,000,000 fields would take {projected:.1f} s (target {TARGET_SECONDS:.0f} s); "
        f"cryptography is {results['rewrap']['crypto_share']:.0%} of it"
    )
    print(f"load average at end: {load_average()}")
    print(json.dumps(results, sort_keys=True))


if __name__ == "__main__":
    main()
