"""Engine, sessions and the declarative base, for SQLite and PostgreSQL alike.

Datetimes are always timezone-aware UTC in Python. SQLite has no time zone type, so the
UTC value is stored naive and the zone is put back on load; PostgreSQL sessions run in UTC.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, Engine, MetaData, Uuid, create_engine, event
from sqlalchemy import Enum as SAEnum
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.sql.expression import Executable
from sqlalchemy.types import TypeDecorator

# Stable constraint names let Alembic drop and alter constraints on both databases.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A datetime column that only accepts and only returns timezone-aware UTC values."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            # A naive datetime is ambiguous; refusing it keeps every stored time comparable.
            raise ValueError("naive datetime given; the hub stores timezone-aware UTC only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), uuid.UUID: Uuid()}


class Entity:
    """Columns every aggregate root carries (domain.md §8): identity, times, optimistic lock."""

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)


# A pooled PostgreSQL connection idle this long is pinged before it is lent again: long enough
# idle for the server, a proxy or a firewall to have dropped it. SQLAlchemy's pool_pre_ping
# pings on every checkout instead: one more round trip per request, 3-7% of a loaded case
# read's profile samples (bench/api.py under py-spy).
PING_AFTER_IDLE_SECONDS = 5.0


def make_engine(url: str, *, ping_after: float = PING_AFTER_IDLE_SECONDS, **kwargs: Any) -> Engine:
    """Create an engine with the hub's per-database settings applied."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, **kwargs)
        _configure_sqlite(engine)
        return engine
    connect_args = kwargs.pop("connect_args", {})
    # The hub runs short OLTP queries, mostly "the first page of what this reader may see".
    # JIT off: the list filter's EXISTS inflate the planner's cost estimates enough to trigger
    # JIT compilation, 200-300 ms per query against a 10-100 ms plan. No parallel workers:
    # starting them cost 10 ms on a page query that stops after 50 rows, and under load they
    # compete with other requests for the same cores (both measured with bench/case_list.py).
    connect_args.setdefault(
        "options", "-c timezone=UTC -c jit=off -c max_parallel_workers_per_gather=0"
    )
    # A gunicorn thread can hold two connections at once (its request's and a check the
    # request makes in a transaction of its own), and the audit sequencer holds one: with
    # SQLAlchemy's default of 5 kept, connections beyond them were closed on return and
    # reopened on the next request, a new server process each time (bench/api.py: +25%).
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 10)
    engine = create_engine(url, connect_args=connect_args, **kwargs)
    _ping_when_idle(engine, ping_after)
    return engine


def _ping_when_idle(engine: Engine, after: float) -> None:
    """Check a connection that sat idle `after` seconds or more before lending it again.

    A dead one makes the pool discard it and lend a fresh one (DisconnectionError). One
    that dies while in use fails its statement; SQLAlchemy then invalidates the whole pool,
    so its other stale connections are replaced on their next checkout.
    """

    @event.listens_for(engine, "checkin")
    def _returned(_dbapi_connection: Any, record: Any) -> None:
        record.info["hub.idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _lent(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.pop("hub.idle_since", None)
        if since is None or time.monotonic() - since < after:
            return  # new, or back in use within moments
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as exc:
            raise DisconnectionError("pooled connection failed its ping") from exc
        if not alive:
            raise DisconnectionError("pooled connection failed its ping")


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin: without
        # this, SAVEPOINTs (used for nested writes and test isolation) do not work.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA busy_timeout = 10000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # Every hub transaction writes (reads are audited too), so take the write lock up
        # front: a deferred BEGIN could fail later on a stale snapshot under concurrency.
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_sessionmaker(engine: Engine) -> sessionmaker[Any]:
    """Sessions for the hub: their audit appends are sequenced once they commit."""
    from hub.audit import sequencer  # hub.audit's models import this module

    factory = sessionmaker(bind=engine, expire_on_commit=False)
    sequencer.install(factory)
    return factory


def core_rows(session: Session, statement: Executable, parameters: Mapping[str, Any]) -> Any:
    """Run a prebuilt SELECT on the session's connection and return its plain rows.

    For the hot read paths, whose statements select columns, never ORM objects: executing
    them through the Session costs its per-statement ORM work (compile state, result
    wrapping), about a fifth of a case read's CPU (bench/request_cpu.py). Pending changes
    are flushed first, as `session.execute` would, so a read still sees what the session added.
    """
    if session.autoflush:
        session.flush()
    return session.connection().execute(statement, parameters)


def enum_type(enum_class: type[Any], name: str | None = None) -> SAEnum:
    """Store an enum as its value in a VARCHAR guarded by a CHECK constraint.

    Native PostgreSQL enums are avoided: adding a value would need a migration that SQLite
    cannot mirror, and a CHECK gives the same integrity on both databases.
    """
    return SAEnum(
        enum_class,
        name=name or _snake(enum_class.__name__),
        native_enum=False,
        create_constraint=True,
        length=max(len(m.value) for m in enum_class),
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")
