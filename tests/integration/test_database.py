"""The database layer: UTC datetimes, foreign keys, constraints, migrations on both engines."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import Uuid, bindparam, inspect, text
from sqlalchemy.exc import IntegrityError, OperationalError, StatementError
from sqlalchemy.orm import Session

from hub import migrations
from hub.db import make_engine
from hub.demo.agencies import DemoOrganisation
from hub.models import Agency, InformationItem
from tests.helpers import new_case


def test_datetimes_come_back_timezone_aware_utc(session: Session, org: DemoOrganisation) -> None:
    agency = org.agencies["DEMO-POL"]
    paris = timezone(timedelta(hours=1))
    agency.created_at = datetime(2026, 3, 1, 13, 30, tzinfo=paris)
    session.flush()
    session.expire_all()
    stored = session.get_one(Agency, agency.id).created_at
    assert stored == datetime(2026, 3, 1, 12, 30, tzinfo=UTC)
    assert stored.utcoffset() == timedelta(0)


def test_a_naive_datetime_is_refused(session: Session, org: DemoOrganisation) -> None:
    org.agencies["DEMO-POL"].created_at = datetime(2026, 3, 1, 12, 0)  # noqa: DTZ001
    with pytest.raises(StatementError, match="naive datetime"):
        session.flush()


def test_foreign_keys_are_enforced(session: Session, org: DemoOrganisation) -> None:
    import uuid

    session.add(
        InformationItem(
            case_id=uuid.uuid4(),
            owning_agency_id=org.agencies["DEMO-POL"].id,
            category="OTHER",
            legal_basis="DPA_PART3",
            title="t",
            content="c",
            source_system="MANUAL",
            received_at=datetime.now(UTC),
        )
    )
    with pytest.raises(IntegrityError):
        session.flush()


def test_r02_database_refuses_category_3_at_level_1(
    session: Session, org: DemoOrganisation
) -> None:
    case = new_case(session, org, category=3, level=2)
    with pytest.raises(IntegrityError):
        session.execute(
            text("UPDATE mappa_case SET current_level = 1 WHERE id = :id").bindparams(
                bindparam("id", type_=Uuid())
            ),
            {"id": case.id},
        )


def test_migrations_upgrade_downgrade_and_upgrade_again(scratch_database_url: str) -> None:
    migrations.upgrade(scratch_database_url)
    engine = make_engine(scratch_database_url)
    try:
        assert migrations.current_revision(engine) == migrations.head_revision()
        assert "mappa_case" in inspect(engine).get_table_names()
        migrations.downgrade(scratch_database_url, "base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        migrations.upgrade(scratch_database_url)
        assert migrations.current_revision(engine) == migrations.head_revision()
    finally:
        engine.dispose()


def test_models_and_migrations_agree(scratch_database_url: str) -> None:
    """Alembic is the only way the schema changes: no model change without its migration."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from hub.db import Base

    migrations.upgrade(scratch_database_url)
    engine = make_engine(scratch_database_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()
    assert differences == []


def test_every_table_is_registered(session: Session) -> None:
    names = set(inspect(session.bind).get_table_names())
    expected = {
        "agency",
        "hub_user",
        "person",
        "person_identifier",
        "person_name",
        "address",
        "mappa_case",
        "case_change",
        "case_membership",
        "information_item",
        "risk_assessment",
        "civil_order",
        "order_prohibition",
        "notification_requirement",
        "notification_event",
        "audit_entry",
    }
    assert expected <= names


def _backend_pid(engine: Any) -> int:
    with engine.connect() as connection:
        return int(connection.scalar(text("SELECT pg_backend_pid()")))


@contextmanager
def _dropped_while_idle(database_url: str, ping_after: float) -> Iterator[tuple[Any, int]]:
    """A one-connection pool whose connection the server dropped while it sat in the pool,
    as a server restart or a firewall would; yields the pool and the dropped backend."""
    engine = make_engine(database_url, pool_size=1, max_overflow=0, ping_after=ping_after)
    admin = make_engine(database_url)
    try:
        dropped = _backend_pid(engine)
        with admin.begin() as connection:
            connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": dropped})
        yield engine, dropped
    finally:
        admin.dispose()
        engine.dispose()


@pytest.fixture
def server_url(database_url: str, is_postgres: bool) -> str:
    if not is_postgres:
        pytest.skip("SQLite has no server to drop a connection")
    return database_url


def test_a_pooled_connection_dropped_while_idle_is_replaced_unnoticed(server_url: str) -> None:
    with _dropped_while_idle(server_url, ping_after=0.0) as (engine, dropped):
        assert _backend_pid(engine) != dropped  # the ping found it dead; the pool reconnected


def test_a_connection_back_in_use_at_once_is_lent_without_a_ping(server_url: str) -> None:
    """Under load a connection returns and is lent again within moments: no extra round trip."""
    with _dropped_while_idle(server_url, ping_after=60.0) as (engine, dropped):
        with pytest.raises(OperationalError):  # not pinged, so its first use finds it dead
            _backend_pid(engine)
        assert _backend_pid(engine) != dropped  # and the pool has replaced it since
