"""`hub import`'s batch path writes exactly what the one-record path writes (R-56, exactly once).

Each test imports the same file into two databases, one chunk at a time through
`ingest_many` and one record at a time through `ingest`, and compares what each holds
afterwards: people and their status, identifiers, names, sealed addresses (read back through
the models), receipts, duplicate reviews, dead letters and the COLLECT audit entries.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event, func, select
from sqlalchemy.orm import Session, sessionmaker

from hub import migrations
from hub.actor import Actor
from hub.audit.sequencer import sequence
from hub.crypto import current
from hub.crypto.fields import cleartext
from hub.db import make_engine, make_sessionmaker, utcnow
from hub.demo.agencies import create_organisation
from hub.ingest.batch import _read
from hub.ingest.bulk import Summary, import_file
from hub.ingest.models import DeadLetter, IngestReceipt
from hub.ingest.newcomers import _Rows
from hub.models import (
    Address,
    AuditRecord,
    DuplicateReview,
    Person,
    PersonIdentifier,
    PersonName,
)
from hub.models.person import identifier_is
from hub.services.people import NameInput, PersonInput, register_person
from hub.vocabulary import IdentifierScheme
from tests.connectors import messages as msg
from tests.connectors.conftest import police_connector, sender
from tests.helpers import scratch_database

HEADER = (
    "source_reference,pnc_id,crn,family_name,given_name,aliases,date_of_birth,sex,"
    "address_line1,address_town,address_postcode,address_from\n"
)


@dataclass
class Hub:
    """A migrated database with the demo agencies, as `hub import` sees it."""

    engine: Engine
    sessions: sessionmaker[Session]
    police: Actor

    def load(self, path: Path, *, batched: bool, batch_size: int = 4) -> Summary:
        return import_file(
            self.sessions,
            self.police,
            police_connector,
            path,
            fmt="csv" if path.suffix == ".csv" else "jsonl",
            batch_size=batch_size,
            batched=batched,
        )


@pytest.fixture(scope="module")
def hubs(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Hub, Hub]]:
    """Two databases: one loaded chunk by chunk, one record by record."""
    with (
        scratch_database(database_url, tmp_path_factory.mktemp("batched")) as first,
        scratch_database(database_url, tmp_path_factory.mktemp("single")) as second,
    ):
        made = []
        for url in (first, second):
            migrations.upgrade(url)
            engine = make_engine(url)
            sessions = make_sessionmaker(engine)
            with sessions.begin() as session:
                org = create_organisation(session, "Bulk Area")
                made.append(Hub(engine, sessions, sender(org, "DEMO-POL")))
        try:
            yield made[0], made[1]
        finally:
            for hub in made:
                hub.engine.dispose()


def _counts(hub: Hub) -> Counter[str]:
    """How many rows of each kind the database holds; audit entries by kind and outcome."""
    counts: Counter[str] = Counter()
    with hub.sessions() as session:
        sequence(session)  # every entry the imports appended, numbered in the log now
        for model in (PersonIdentifier, PersonName, Address, IngestReceipt, DuplicateReview):
            counts[model.__tablename__] = (
                session.scalar(select(func.count()).select_from(model)) or 0
            )
        for status, n in session.execute(
            select(Person.status, func.count()).group_by(Person.status)
        ):
            counts[f"person {status}"] = n
        for stage, n in session.execute(
            select(DeadLetter.stage, func.count()).group_by(DeadLetter.stage)
        ):
            counts[f"dead letter {stage}"] = n
        for canonical in session.scalars(select(AuditRecord.canonical)):
            d = json.loads(canonical)
            counts[f"audit {d['operation']} {d['record_type']} {d['outcome']}"] += 1
            # Everything an entry says but its ids, number and time: the same either way.
            said = {k: v for k, v in d.items() if k not in {"seq", "time", "record_ids"}}
            said["subject_person"] = said["subject_person"] is not None
            said["actor"] = said["actor"]["roles"]  # each database has its own agency ids
            said.pop("correlation_id")
            counts[json.dumps(said, sort_keys=True)] += 1
    return counts


def _people(hub: Hub, year: str) -> set[tuple[Any, ...]]:
    """The people whose PNC is of `year`, as a reader would see them (addresses unsealed)."""
    with hub.sessions() as session:
        people = session.scalars(
            select(Person)
            .join(PersonIdentifier)
            .where(PersonIdentifier.scheme == IdentifierScheme.PNC)
            .where(PersonIdentifier.value_stored.startswith(cleartext(f"{year}/")))
        ).unique()
        return {
            (
                str(p.status),
                p.date_of_birth,
                str(p.sex),
                tuple(sorted((str(i.scheme), i.value, i.claims) for i in p.identifiers)),
                tuple(sorted((str(n.type), n.given, n.family) for n in p.names)),
                tuple(
                    sorted(
                        (str(a.type), a.line1, a.town, a.postcode, a.valid_from)
                        for a in p.addresses
                    )
                ),
                len(
                    session.scalars(
                        select(DuplicateReview).where(DuplicateReview.held_person_id == p.id)
                    ).all()
                ),
            )
            for p in people
        }


def _summary(s: Summary) -> dict[str, Any]:
    return s.as_dict()


def _both(hubs: tuple[Hub, Hub], path: Path, year: str, **kwargs: Any) -> Summary:
    """Import into both databases; assert they changed alike; return the batch summary."""
    batched, single = hubs
    before = (_counts(batched), _counts(single))
    by_chunk = batched.load(path, batched=True, **kwargs)
    by_record = single.load(path, batched=False, **kwargs)
    assert _summary(by_chunk) == _summary(by_record)
    after = (_counts(batched), _counts(single))
    assert after[0] - before[0] == after[1] - before[1]
    assert _people(batched, year) == _people(single, year)
    return by_chunk


def _csv(tmp_path: Path, name: str, rows: list[str], tail: bytes = b"") -> Path:
    path = tmp_path / name
    path.write_bytes((HEADER + "".join(r + "\n" for r in rows)).encode() + tail)
    return path


def test_r56_the_batch_path_stores_what_the_one_record_path_stores(
    hubs: tuple[Hub, Hub], tmp_path: Path
) -> None:
    """New people, a match on PNC (R-56), ambiguous matches for the resolution queue (R-56),
    a re-sent reference, refused rows: the same outcome and rows either way."""
    rows = [
        "EQ-1,2011/0000001A,,Brannock,Ilsa,Ily Bran,1985-01-02,FEMALE,"
        "3 Quarry Lane,Demoton,DM1 1ZZ,2023-05-01",
        "EQ-2,2011/0000002B,X12345,Tiverly,Osk,,1990-11-30,MALE,,,,",
        # The same PNC and date of birth, a new reference: the same person, a new address.
        "EQ-3,2011/0000001A,,Brannock,Ilsa,,1985-01-02,FEMALE,9 Mill Road,Demoton,,2024-02-01",
        # The same PNC, another date of birth: held for a coordinator.
        "EQ-4,2011/0000002B,,Tiverly,Oskar,,1991-11-30,MALE,,,,",
        "EQ-1,2011/0000001A,,Brannock,Ilsa,,1985-01-02,FEMALE,,,,",  # sent again
        "EQ-6,2011/0000006F,,Marrow,Jed,,1988-02-31,MALE,,,,",  # no such date
        "EQ-7,2011/0000007G,,Short,Row",  # too few fields
        # A new PNC but a CRN someone holds: held.
        "EQ-8,2011/0000008H,X12345,Tiverly,Osk,,1990-11-30,MALE,,,,",
        *(
            f"EQ-{n},2011/00000{n:02d}Z,,Family{n},Given{n},,19{n}-03-04,MALE,"
            f"{n} Bench Street,Demoton,DM{n} 1ZZ,2024-01-01"
            for n in range(10, 30)
        ),
        "EQ-10,2011/0000010Z,,Family10,Given10,,1910-03-04,MALE,,,,",  # sent again
    ]
    path = _csv(tmp_path, "nominals.csv", rows, b"EQ-99,2011/000009")  # cut short
    summary = _both(hubs, path, "2011")
    assert (summary.accepted, summary.duplicates, summary.held_for_review) == (25, 2, 2)
    assert [r.position for r in summary.rejected] == ["line 7", "line 8", "line 31"]

    # A whole file at once, in one chunk, changes nothing of that.
    rows = [r.replace("EQ-", "EQ1-").replace("2011/", "2012/").replace("X1", "Y1") for r in rows]
    summary = _both(hubs, _csv(tmp_path, "one-chunk.csv", rows), "2012", batch_size=1000)
    assert (summary.accepted, summary.duplicates, summary.held_for_review) == (25, 2, 2)


def test_importing_the_same_file_again_is_all_duplicates(
    hubs: tuple[Hub, Hub], tmp_path: Path
) -> None:
    batched, _ = hubs
    rows = [
        f"AGAIN-{n},2013/00000{n:02d}A,,Family{n},Given{n},,1970-01-{n + 1:02d},FEMALE,"
        f"{n} Quay,Demoton,,2024-01-01"
        for n in range(25)
    ]
    path = _csv(tmp_path, "again.csv", rows)
    first = batched.load(path, batched=True, batch_size=10)
    before = _counts(batched)
    again = batched.load(path, batched=True, batch_size=10)
    assert (first.accepted, first.duplicates) == (25, 0)
    assert (again.accepted, again.duplicates, len(again.rejected)) == (0, 25, 0)
    assert _counts(batched) == before  # not one row, not one audit entry more


def test_a_duplicate_inside_one_chunk_is_one_record(hubs: tuple[Hub, Hub], tmp_path: Path) -> None:
    rows = [
        "IN-1,2014/0000001A,,Aldwick,Corvin,,1979-03-14,MALE,12 Fenwold Row,Demoton,,2024-06-01",
        "IN-2,2014/0000002B,,Pell,Rosa,,1982-05-06,FEMALE,,,,",
        "IN-1,2014/0000001A,,Aldwick,Corvin,,1979-03-14,MALE,12 Fenwold Row,Demoton,,2024-06-01",
        # Another reference for the same person, in the same chunk: matched, not a second person.
        "IN-4,2014/0000001A,,Aldwick,Corvin,,1979-03-14,MALE,12 Fenwold Row,Demoton,,2024-06-01",
    ]
    summary = _both(hubs, _csv(tmp_path, "in-chunk.csv", rows), "2014", batch_size=500)
    assert (summary.accepted, summary.duplicates, len(summary.rejected)) == (3, 1, 0)
    with hubs[0].sessions() as session:
        people = session.scalar(
            select(func.count(func.distinct(PersonIdentifier.person_id))).where(
                identifier_is(IdentifierScheme.PNC, "2014/0000001A")
            )
        )
    assert people == 1


def test_one_bad_record_in_a_chunk_blocks_none_of_the_good_ones(
    hubs: tuple[Hub, Hub], tmp_path: Path
) -> None:
    good = [
        f"BAD-{n},2015/00000{n:02d}A,,Family{n},Given{n},,1975-02-{n + 1:02d},MALE,,,,"
        for n in range(9)
    ]
    rows = [*good[:4], "BAD-X,2015/0000099X,,Family,Given,,1975-02-01,ROBOT,,,,", *good[4:]]
    summary = _both(hubs, _csv(tmp_path, "one-bad.csv", rows), "2015", batch_size=500)
    assert (summary.accepted, len(summary.rejected)) == (9, 1)
    assert summary.rejected[0].position == "line 6"
    assert "sex" in str(summary.rejected[0].problems[0])


def test_bad_input_is_rejected_record_by_record(hubs: tuple[Hub, Hub], tmp_path: Path) -> None:
    """Wrong encodings, short rows, oversized rows, a file cut short, a header missing a
    column: each a rejection with its reason, in either path."""
    good = "ENC-1,2016/0000001A,,Gr\u00fcn,Ada,,1970-01-01,FEMALE,,,,\n"
    data = HEADER.encode() + good.encode()
    data += "ENC-2,2016/0000002B,,Gr\u00fcn,Ada,,1970-01-01,FEMALE,,,,\n".encode("latin-1")
    data += b"ENC-3,2016/0000003C,,Short\n"
    huge = "x" * 1_100_000  # an address line longer than any message the connector takes
    data += f"ENC-4,2016/0000004D,,Long,Line,,1970-01-01,MALE,{huge},Demoton,,2024-01-01\n".encode()
    data += b"ENC-5,2016/0000005E,,Cut,Off,,1970-01-0"
    path = tmp_path / "bad.csv"
    path.write_bytes(data)
    summary = _both(hubs, path, "2016")
    assert summary.accepted == 1
    reasons = {r.position: " ".join(str(p) for p in r.problems) for r in summary.rejected}
    assert set(reasons) == {"line 3", "line 4", "line 5", "line 6"}
    assert "UTF-8" in reasons["line 3"]
    assert "fields" in reasons["line 4"]
    assert "larger than" in reasons["line 5"]
    assert "date_of_birth" in reasons["line 6"] or "fields" in reasons["line 6"]

    missing = tmp_path / "missing.csv"
    missing.write_text("source_reference,pnc_id,family_name\nENC-9,2016/0000009Z,Nobody\n")
    summary = _both(hubs, missing, "2016")
    assert summary.accepted == 0
    assert "column is missing" in str(summary.rejected[0].problems[0])

    lines = tmp_path / "mixed.jsonl"
    nominal = json.dumps(msg.nominal("JL-1", pnc="2016/0000011K"))
    unknown = json.dumps(msg.intelligence("JL-2", pnc="2016/0000012L"))
    lines.write_text(f'{nominal}\n{unknown}\n{{"type": "nominal"\n{nominal[:60]}')
    summary = _both(hubs, lines, "2016")
    assert (summary.accepted, len(summary.rejected)) == (1, 3)


@pytest.mark.postgres_only
def test_a_chunk_a_concurrent_writer_spoils_is_redone_record_by_record(
    hubs: tuple[Hub, Hub], tmp_path: Path, is_postgres: bool
) -> None:
    """Another writer registers one of the chunk's people between the chunk's reads and its
    writes: the chunk's INSERT hits the claimed-PNC index, nothing of it is kept, and it is
    redone one record at a time, where that record matches the other writer's person (R-56)."""
    if not is_postgres:
        pytest.skip("needs PostgreSQL: SQLite serialises writers, so none can come between")
    batched, _ = hubs
    rows = [
        f"RACE-{n},2017/00000{n:02d}A,,Family{n},Given{n},,1960-04-{n + 1:02d},MALE,,,,"
        for n in range(6)
    ]
    path = _csv(tmp_path, "race.csv", rows)
    fired = []

    def other_writer(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if fired or "person_identifier" not in statement or not statement.startswith("SELECT"):
            return
        fired.append(True)
        with batched.sessions.begin() as session:
            register_person(
                session,
                batched.police,
                PersonInput(
                    names=[NameInput(given="Given3", family="Family3")],
                    date_of_birth=date(1960, 4, 4),
                    sex="MALE",
                    identifiers=[("PNC", "2017/0000003A")],
                ),
            )

    before = _counts(batched)
    event.listen(batched.engine, "after_cursor_execute", other_writer)
    try:
        summary = batched.load(path, batched=True, batch_size=500)
    finally:
        event.remove(batched.engine, "after_cursor_execute", other_writer)
    assert fired
    assert (summary.accepted, summary.duplicates, summary.held_for_review) == (6, 0, 0)
    changed = _counts(batched) - before
    assert changed["person ACTIVE"] == 6  # five from the file, one from the other writer
    assert changed["ingest_receipt"] == 6
    assert changed["audit COLLECT ingest_receipt None"] == 6


def test_sealed_rows_written_in_bulk_read_back_and_stay_sealed(
    hubs: tuple[Hub, Hub], tmp_path: Path
) -> None:
    batched, _ = hubs
    rows = [
        "SEAL-1,2018/0000001A,,Vane,Ada,,1969-09-09,FEMALE,4 Sealed Way,Demoton,DM4 4ZZ,2024-03-01"
    ]
    batched.load(_csv(tmp_path, "sealed.csv", rows), batched=True)
    with batched.sessions() as session:
        address = session.scalars(
            select(Address)
            .join(PersonIdentifier, PersonIdentifier.person_id == Address.person_id)
            .where(identifier_is(IdentifierScheme.PNC, "2018/0000001A"))
        ).one()
        assert address.line1_stored.startswith("$hub$")
        assert (address.line1, address.town, address.postcode) == (
            "4 Sealed Way",
            "Demoton",
            "DM4 4ZZ",
        )
        assert address.line2 is None


def test_a_chunk_of_new_people_takes_a_handful_of_statements_not_thousands(
    hubs: tuple[Hub, Hub], tmp_path: Path
) -> None:
    batched, single = hubs
    rows = [
        f"FEW-{n},2019/0000{n:03d}A,,Family{n},Given{n},,1971-05-{n % 28 + 1:02d},MALE,"
        f"{n} Few Street,Demoton,,2024-01-01"
        for n in range(200)
    ]
    path = _csv(tmp_path, "few.csv", rows)
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(batched.engine, "before_cursor_execute", count)
    try:
        summary = batched.load(path, batched=True, batch_size=500)
    finally:
        event.remove(batched.engine, "before_cursor_execute", count)
    assert summary.accepted == 200
    assert len(statements) < 25  # one receipt query, one identifier query, the writes
    # Written as the one-record path writes them.
    assert single.load(path, batched=False).accepted == 200
    assert _people(batched, "2019") == _people(single, "2019")


def test_bulk_rows_give_every_column_of_their_tables() -> None:
    """COPY applies no Python-side column default: a column added to one of these tables
    must be given a value by the batch path too, or this fails."""
    line = (
        "COL-1,2020/0000001A,X765432,Vane,Ada,Ady Vane,1969-09-09,FEMALE,4 Way,Demoton,,2024-03-01"
    )
    raw = next(police_connector.split([HEADER.encode(), line.encode() + b"\n"], "csv"))
    newcomer = _read(police_connector, raw).newcomer
    assert newcomer is not None
    actor = Actor(agency_id=uuid.uuid4())
    rows = _Rows(actor, "police", current(), utcnow())
    rows.add(newcomer)
    for model, values in (
        (Person, rows.persons),
        (PersonName, rows.names),
        (PersonIdentifier, rows.identifiers),
        (Address, rows.addresses),
        (IngestReceipt, rows.receipts),
    ):
        assert set(values[0]) == {c.name for c in model.__table__.columns}, model.__tablename__
