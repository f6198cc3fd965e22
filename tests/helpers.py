"""Builders for tests: a person and a case in a few words."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event, make_url, select, text
from sqlalchemy.orm import Session, sessionmaker

from hub.audit import sequencer
from hub.db import make_engine
from hub.demo.agencies import DemoOrganisation
from hub.models import AuditRecord, MappaCase, Person
from hub.services.cases import CaseOpening, LevelDecision, open_case
from hub.services.people import NameInput, PersonInput, register_person

_numbers = itertools.count(1)
TODAY = date.today()  # noqa: DTZ011


def new_person(
    session: Session,
    org: DemoOrganisation,
    *,
    given: str = "Tavrin",
    family: str = "Olskeby",
    dob: date = date(1980, 5, 17),
    sex: str = "MALE",
    identifiers: list[tuple[str, str]] | None = None,
) -> Person:
    n = next(_numbers)
    ids = (
        identifiers
        if identifiers is not None
        else [("PNC", f"1900/{n:07d}T"), ("CRN", f"Z9{n:05d}")]
    )
    return register_person(
        session,
        org.actor("mosovo"),
        PersonInput(
            names=[NameInput(given=given, family=family)],
            date_of_birth=dob,
            sex=sex,
            identifiers=ids,
        ),
    ).person


def new_case(
    session: Session,
    org: DemoOrganisation,
    *,
    category: int = 1,
    level: int = 1,
    person: Person | None = None,
    **level_args: Any,
) -> MappaCase:
    person = person or new_person(session, org)
    if level > 1:
        level_args.setdefault("next_review_due", TODAY + timedelta(weeks=8))
        level_args.setdefault("level_two_basis", "EXCEPTIONAL_COORDINATION" if level == 2 else None)
        level_args.setdefault("rmp_gaps_at_level_two", "Surveillance" if level == 3 else None)
    return open_case(
        session,
        org.actor("coordinator"),
        CaseOpening(
            person_id=person.id,
            category=category,
            lead_agency_id=org.agencies["DEMO-PRB"].id,
            mappa_area="Test Area",
            start_date=TODAY,
            level=LevelDecision(level=level, reason="Screened at referral", **level_args),
        ),
    )


def savepoint_sessions(session: Session) -> sessionmaker[Session]:
    """Sessions on the test session's connection whose commits are SAVEPOINTs, as the app's
    factory: their audit appends are sequenced inline, in the transaction that appends."""
    factory = sessionmaker(bind=session.connection(), join_transaction_mode="create_savepoint")
    sequencer.install(factory)
    return factory


def audit_documents(session: Session, **filters: Any) -> list[dict[str, Any]]:
    sequencer.sequence(session)  # what this transaction appended, in the log
    rows = session.scalars(select(AuditRecord).order_by(AuditRecord.seq)).all()
    documents = [json.loads(r.canonical) for r in rows]
    return [d for d in documents if all(d.get(k) == v for k, v in filters.items())]


@contextmanager
def scratch_database(database_url: str, folder: Path) -> Iterator[str]:
    """A second, empty database beside the test database: a file in `folder` on SQLite, a new
    database on the same PostgreSQL server (dropped afterwards). For tests that migrate,
    commit for real, or serve the hub from another process."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        yield f"sqlite:///{folder / 'scratch.sqlite3'}"
        return
    name = f"hub_scratch_{uuid.uuid4().hex[:12]}"
    admin = make_engine(
        url.set(database="postgres").render_as_string(hide_password=False),
        isolation_level="AUTOCOMMIT",
    )
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def hub_env(database_url: str, instance: Path, **extra: str) -> dict[str, str]:
    """The environment of a `hub` command run as an operator would: this machine's, minus
    any HUB_* of the developer's, plus the given database and instance folder."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env.update(HUB_DATABASE_URL=database_url, HUB_INSTANCE_PATH=str(instance), **extra)
    return env


def run_hub(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The real `hub` command in its own process (exit code, stdout and stderr kept)."""
    return subprocess.run(
        [sys.executable, "-m", "hub.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


@dataclass(frozen=True)
class Sent:
    """A statement as the database driver was given it."""

    sql: str
    pipelined: bool  # sent in PostgreSQL's pipeline mode, with its neighbours, in one go


@contextmanager
def statements_sent(engine: Engine) -> Iterator[list[Sent]]:
    """The statements the hub gives the driver while the block runs, from every thread.

    On PostgreSQL they are seen at psycopg's cursors, which also see what the hub sends past
    SQLAlchemy (hub.dbpipeline, a bulk chunk's COPY); on SQLite, SQLAlchemy's cursor event
    sees them all. A spy, not a fake: each call goes on to the real driver.
    """
    sent: list[Sent] = []
    if engine.dialect.name != "postgresql":

        def seen(_c: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            sent.append(Sent(statement, pipelined=False))

        event.listen(engine, "before_cursor_execute", seen)
        try:
            yield sent
        finally:
            event.remove(engine, "before_cursor_execute", seen)
        return
    import psycopg
    from psycopg import pq

    originals = psycopg.Cursor.execute, psycopg.Cursor.executemany

    def spied(original: Any) -> Any:
        def call(cursor: psycopg.Cursor[Any], query: Any, *args: Any, **kwargs: Any) -> Any:
            text_ = query if isinstance(query, str) else query.as_string(cursor)
            pipelined = cursor.connection.pgconn.pipeline_status != pq.PipelineStatus.OFF
            sent.append(Sent(text_, pipelined))
            return original(cursor, query, *args, **kwargs)

        return call

    psycopg.Cursor.execute = spied(originals[0])  # type: ignore[method-assign]
    psycopg.Cursor.executemany = spied(originals[1])  # type: ignore[method-assign]
    try:
        yield sent
    finally:
        psycopg.Cursor.execute, psycopg.Cursor.executemany = originals  # type: ignore[method-assign]
