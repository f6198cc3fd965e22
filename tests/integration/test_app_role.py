"""The serving role cannot rewrite the audit log even if the triggers were gone (issue 3)."""

import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import ProgrammingError
from sqlalchemy.orm import Session

from hub.audit.sequencer import sequence
from hub.dbrole import grant_app_role
from hub.demo.agencies import create_organisation
from hub.errors import InvalidInput
from tests.helpers import new_case


@pytest.fixture
def app_role(engine: Engine, is_postgres: bool) -> Iterator[str]:
    if not is_postgres:
        pytest.skip("database roles exist only on PostgreSQL; SQLite relies on its triggers")
    role = f"hub_app_{uuid.uuid4().hex[:8]}"
    with engine.begin() as connection:
        connection.execute(text(f"CREATE ROLE {role} NOLOGIN"))
    yield role
    with engine.begin() as connection:
        connection.execute(text(f"DROP OWNED BY {role}"))
        connection.execute(text(f"DROP ROLE {role}"))


def test_the_app_role_writes_the_record_and_appends_to_the_log(
    engine: Engine, app_role: str
) -> None:
    granted = grant_app_role(engine, app_role)
    assert granted["audit_entry"] == "SELECT, INSERT"
    assert granted["mappa_case"] == "SELECT, INSERT, UPDATE, DELETE"
    assert granted["encryption_key"] == "SELECT"
    with engine.connect() as connection, connection.begin() as transaction:
        connection.execute(text(f"SET LOCAL ROLE {app_role}"))
        with Session(bind=connection, join_transaction_mode="create_savepoint") as session:
            org = create_organisation(session, "App Role Area")
            new_case(session, org)  # a business write and its COLLECT entries
            assert sequence(session) > 0  # the queued entries into the log, as the app role
            session.flush()
        # The outbound-event worker's job queue (procrastinate's schema, migration 0014).
        assert granted["procrastinate.procrastinate_jobs"] == "SELECT, INSERT, UPDATE, DELETE"
        connection.execute(text("SELECT count(*) FROM procrastinate.procrastinate_jobs"))
        for statement in (
            "UPDATE audit_entry SET operation = 'CONSULT' WHERE seq = 0",
            "DELETE FROM audit_entry WHERE seq = 0",
            "TRUNCATE audit_entry",
            "DELETE FROM audit_checkpoint",
            # A server cannot plant a key of its choosing or shred data by destroying one.
            "UPDATE encryption_key SET status = 'DESTROYED', wrapped_key = NULL",
            "DELETE FROM encryption_key",
        ):
            # The privilege check comes before any trigger: refused for lack of rights.
            with (
                pytest.raises(ProgrammingError, match="permission denied"),
                connection.begin_nested(),
            ):
                connection.execute(text(statement))
        transaction.rollback()


def test_bad_role_names_and_unknown_roles_are_refused(engine: Engine, is_postgres: bool) -> None:
    if not is_postgres:
        with pytest.raises(InvalidInput, match="only on PostgreSQL"):
            grant_app_role(engine, "hub_app")
        return
    with pytest.raises(InvalidInput, match=r"^role: a role name"):
        grant_app_role(engine, 'x"; DROP TABLE person; --')
    with pytest.raises(InvalidInput, match=r"^role: no role"):
        grant_app_role(engine, f"hub_missing_{uuid.uuid4().hex[:8]}")
