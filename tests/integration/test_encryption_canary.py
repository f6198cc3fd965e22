"""A copied database reveals no sealed field: seed known strings, search the copy for them.

On SQLite the copy is the database file itself (and its write-ahead log); on PostgreSQL it is
what `pg_dump` writes. A name, which is not sealed, is seeded too: finding it proves that the
search would have found the others had they been stored in clear.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import make_url

from hub import crypto, migrations
from hub.crypto import runtime
from hub.db import make_engine, make_sessionmaker
from hub.demo.agencies import create_organisation
from hub.models import Address
from hub.services.items import ItemInput, annotate_item, edit_item, record_item
from hub.services.people import NameInput, PersonInput, register_person
from hub.settings import Settings
from tests.helpers import new_case

# Each sealed field gets a string found nowhere else; CANARY_NAME is stored in clear.
CANARIES = {
    "HEALTH": "CANARY-HEALTH-Zelvorin clozapine relapse",
    "VICTIM": "CANARY-VICTIM-Ashgrove refuge 14 Tamsin Row",
    "CHILD": "CANARY-CHILD-Pellory school run Tuesdays",
    "INTELLIGENCE": "CANARY-INTEL-Brackwater lock-up unit 9",
    "FINANCIAL": "CANARY-FINANCIAL-card ending 7731 Quillon bank",
    "title": "CANARY-TITLE-Morrowgate assessment",
    "edited": "CANARY-EDITED-second version of the health note",
    "annotation": "CANARY-NOTE-seen at Hollenby clinic",
    "line1": "CANARY-LINE1-27 Skelwith Yard",
    "town": "CANARY-TOWN-Fennimoor",
    "postcode": "ZZ9 9CY",
    "ethnicity": "CANARY-ETHNICITY-Vantari heritage",
    "nhs": "9998887776",
}
CANARY_NAME = "Canaryvelle"


def _seed(url: str, instance: Path) -> None:
    migrations.upgrade(url)
    settings = Settings(database_url=url, instance_path=instance, environment="production")
    engine = make_engine(url)
    try:
        with make_sessionmaker(engine).begin() as session:
            runtime.set_up(settings, session)
        keyring = runtime.open_keyring(settings, engine)
        with crypto.using(keyring), make_sessionmaker(engine).begin() as session:
            org = create_organisation(session, "Test Area")
            person = register_person(
                session,
                org.actor("mosovo"),
                PersonInput(
                    names=[NameInput(given=CANARY_NAME, family="Thornquist")],
                    date_of_birth=date(1981, 8, 9),
                    sex="MALE",
                    identifiers=[("PNC", "1900/0000999C"), ("NHS_NUMBER", CANARIES["nhs"])],
                    ethnicity_text=CANARIES["ethnicity"],
                ),
            ).person
            session.add(
                Address(
                    person_id=person.id,
                    type="HOME",
                    line1=CANARIES["line1"],
                    town=CANARIES["town"],
                    postcode=CANARIES["postcode"],
                    valid_from=date(2025, 2, 1),
                    owning_agency_id=org.agencies["DEMO-POL"].id,
                )
            )
            case = new_case(session, org, person=person)
            actor = org.actor("mosovo")
            items = {
                category: record_item(
                    session,
                    actor,
                    ItemInput(
                        case_id=case.id,
                        category=category,
                        legal_basis="DPA_PART3",
                        title=CANARIES["title"] if category == "HEALTH" else category.title(),
                        content=CANARIES[category],
                    ),
                )
                for category in ("HEALTH", "VICTIM", "CHILD", "INTELLIGENCE", "FINANCIAL")
            }
            # An edit leaves the first version only in free pages and dead tuples: sealed.
            edit_item(session, actor, items["HEALTH"].id, {"content": CANARIES["edited"]})
            annotate_item(
                session,
                org.actor("offender.manager"),
                items["VICTIM"].id,
                CANARIES["annotation"],
            )
    finally:
        engine.dispose()


def _found(copy: bytes) -> list[str]:
    return [name for name, canary in CANARIES.items() if canary.encode() in copy]


def test_no_canary_in_the_sqlite_file(tmp_path: Path) -> None:
    database = tmp_path / "canary.sqlite3"
    _seed(f"sqlite:///{database}", tmp_path)
    files = [p for p in tmp_path.iterdir() if p.name.startswith("canary.sqlite3")]
    copy = b"".join(p.read_bytes() for p in files)  # the database and its write-ahead log
    assert CANARY_NAME.encode() in copy  # the search works: a clear field is found
    assert _found(copy) == []


def test_no_canary_in_a_pg_dump(scratch_database_url: str, tmp_path: Path) -> None:
    url = make_url(scratch_database_url)
    if url.get_backend_name() != "postgresql":
        pytest.skip("pg_dump needs PostgreSQL: run with HUB_TEST_DATABASE_URL")
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        if os.environ.get("CI") == "true":
            pytest.fail("pg_dump is required under CI=true (apt-get install postgresql-client)")
        pytest.skip("pg_dump is not installed")
    _seed(scratch_database_url, tmp_path)
    environment = {**os.environ, "PGPASSWORD": url.password or ""}
    dumped = subprocess.run(
        [
            pg_dump,
            "--no-owner",
            "--host",
            url.host or "127.0.0.1",
            "--port",
            str(url.port or 5432),
            "--username",
            url.username or "postgres",
            url.database or "",
        ],
        env=environment,
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert dumped.returncode == 0, dumped.stderr.decode()[:500]
    assert CANARY_NAME.encode() in dumped.stdout  # the search works
    assert _found(dumped.stdout) == []
