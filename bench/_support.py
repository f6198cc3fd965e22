"""What the benchmarks share (not a benchmark itself: `make bench` skips names starting with _)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import make_url, text

from hub.db import make_engine

DEFAULT_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


@contextmanager
def scratch_database(url: str | None = None) -> Iterator[str]:
    """`url` if given (it must name a disposable database), else a new PostgreSQL database
    on the local server, dropped when the block ends."""
    if url is not None:
        yield url
        return
    name = f"hub_bench_{uuid.uuid4().hex[:12]}"
    admin = make_engine(DEFAULT_SERVER, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(DEFAULT_SERVER).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
