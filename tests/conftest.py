"""Shared fixtures: one migrated database per run, one rolled-back transaction per test.

SQLite is the default. Set HUB_TEST_DATABASE_URL=postgresql+psycopg://... to run the same
suite on PostgreSQL; if that database cannot be reached the run stops with an error (it
never silently falls back to SQLite).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from hub import migrations
from hub.crypto import Keyring, using
from hub.db import make_engine
from hub.demo.agencies import DemoOrganisation, create_organisation
from tests.helpers import scratch_database

# The browser fixtures for every folder (tests/browser, tests/casework, tests/portal): two
# definitions would start Playwright's sync API twice in one process, which it refuses.
pytest_plugins = ["tests.browser.fixtures"]


def _configured_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("HUB_TEST_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = _configured_url(tmp_path_factory)
    engine = make_engine(url)
    try:
        with engine.connect():
            pass
    except OperationalError as exc:
        pytest.exit(
            f"test database {make_url(url).render_as_string()} unreachable: "
            f"{type(exc.orig).__name__}",
            returncode=3,
        )
    finally:
        engine.dispose()
    migrations.downgrade(url, "base")  # a database left by an earlier run starts empty
    migrations.upgrade(url)
    return url


@pytest.fixture(scope="session", autouse=True)
def field_keyring() -> Iterator[Keyring]:
    """A real keyring (fresh random keys, held in memory) so models can seal their fields.

    Tests of key storage, rotation and start-up build their own from a scratch database.
    """
    with using(Keyring.generate()) as keyring:
        yield keyring


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def is_postgres(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session whose commits are SAVEPOINTs inside a transaction rolled back at the end."""
    connection = engine.connect()
    transaction = connection.begin()
    session = Session(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    try:
        yield session
    finally:
        session.close()
        transaction.rollback()
        connection.close()


@pytest.fixture
def org(session: Session) -> DemoOrganisation:
    """Every agency type and a user for every role, as in the demo area."""
    return create_organisation(session, "Test Area")


@pytest.fixture
def scratch_database_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    """A second, empty database on the same server, for tests that migrate or serve."""
    with scratch_database(database_url, tmp_path) as url:
        yield url
