"""Every write records COLLECT, ALTER, COMBINE or ERASE in its own transaction (DPA s.62)."""

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from hub.audit.merkle import leaf_hash
from hub.audit.sequencer import sequence
from hub.demo.agencies import DemoOrganisation, create_organisation
from hub.errors import HubError, RuleViolation
from hub.models import AuditRecord, MappaCase
from hub.services.cases import change_category
from tests.helpers import audit_documents, new_case


def test_writes_are_audited_without_content(session: Session, org: DemoOrganisation) -> None:
    case = new_case(session, org)
    documents = audit_documents(session, case=str(case.id))
    assert [d["record_type"] for d in documents] == ["mappa_case"]
    entry = documents[0]
    assert entry["operation"] == "COLLECT"
    assert entry["actor"]["user"] == str(org.staff["coordinator"].id)
    assert entry["subject_person"] == str(case.person_id)
    person_entries = audit_documents(session, record_type="person")
    assert "Olskeby" not in str(person_entries)  # names are content: never in the log


def test_sequence_is_gapless_and_leaf_hashes_cover_the_canonical_bytes(
    session: Session, org: DemoOrganisation
) -> None:
    new_case(session, org)
    sequence(session)
    rows = session.scalars(select(AuditRecord).order_by(AuditRecord.seq)).all()
    assert [r.seq for r in rows] == list(range(len(rows)))
    assert all(r.leaf_hash == leaf_hash(r.canonical.encode()) for r in rows)


def test_a_refused_write_leaves_no_audit_entry(session: Session, org: DemoOrganisation) -> None:
    case = new_case(session, org, category=2)
    before = len(audit_documents(session))
    with pytest.raises(RuleViolation):
        change_category(session, org.actor("coordinator"), case.id, 3, "Would be category three")
    assert len(audit_documents(session)) == before


def test_a_rolled_back_business_write_takes_its_entry_with_it(engine: Engine) -> None:
    with Session(engine) as session:
        before = session.scalar(select(AuditRecord.seq).order_by(AuditRecord.seq.desc()).limit(1))
        org = create_organisation(session, "Rollback Area")
        new_case(session, org)
        assert len(audit_documents(session)) > 0
        session.rollback()
    with Session(engine) as session:
        after = session.scalar(select(AuditRecord.seq).order_by(AuditRecord.seq.desc()).limit(1))
        assert after == before
        assert (
            session.scalar(select(MappaCase.id).where(MappaCase.mappa_area == "Rollback Area"))
            is None
        )


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_entry SET operation = 'CONSULT' "
        "WHERE seq = (SELECT MIN(seq) FROM audit_entry)",
        "DELETE FROM audit_entry WHERE seq = (SELECT MIN(seq) FROM audit_entry)",
    ],
)
def test_the_database_refuses_to_alter_audit_entries(
    session: Session, org: DemoOrganisation, statement: str
) -> None:
    new_case(session, org)
    sequence(session)
    with pytest.raises(DBAPIError, match="append-only"), session.begin_nested():
        session.execute(text(statement))


def test_the_whole_log_cannot_be_emptied(
    session: Session, org: DemoOrganisation, is_postgres: bool
) -> None:
    new_case(session, org)
    sequence(session)
    # PostgreSQL has TRUNCATE; SQLite's equivalent is an unqualified DELETE.
    statement = "TRUNCATE audit_entry" if is_postgres else "DELETE FROM audit_entry"
    with pytest.raises(DBAPIError, match="append-only"), session.begin_nested():
        session.execute(text(statement))


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_log_head SET next_seq = next_seq - 1",
        "UPDATE audit_log_head SET next_seq = 0",
        "DELETE FROM audit_log_head",
    ],
)
def test_the_log_head_only_moves_forward(
    session: Session, org: DemoOrganisation, statement: str
) -> None:
    # Moving the head back would let the next append reuse a number: a fork in the log.
    new_case(session, org)
    sequence(session)
    with pytest.raises(DBAPIError, match="only moves forward"), session.begin_nested():
        session.execute(text(statement))


def test_a_missing_log_head_fails_closed(engine: Engine, is_postgres: bool) -> None:
    # Stand-in for a damaged database: the head row disappears (triggers off for the test).
    with engine.connect() as connection, connection.begin() as transaction:
        if is_postgres:
            connection.execute(text("ALTER TABLE audit_log_head DISABLE TRIGGER USER"))
            connection.execute(text("DELETE FROM audit_log_head"))
        else:
            connection.execute(text("DROP TRIGGER audit_log_head_no_delete"))
            connection.execute(text("DELETE FROM audit_log_head"))
        with Session(bind=connection) as session:
            create_organisation(session, "Headless Area")
            with pytest.raises(HubError, match="log head"):
                sequence(session)
        transaction.rollback()


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_queue SET operation = 'CONSULT'",
        "UPDATE audit_queue SET after_seq = after_seq",
    ],
)
def test_the_database_refuses_to_edit_a_queued_entry(
    session: Session, org: DemoOrganisation, statement: str
) -> None:
    # A queued entry is not yet in the Merkle tree: editing it before it is sequenced would
    # go undetected, so the database refuses it as it refuses editing the log.
    new_case(session, org)
    with pytest.raises(DBAPIError, match="never edited"), session.begin_nested():
        session.execute(text(statement))


def test_the_queue_cannot_be_truncated(
    session: Session, org: DemoOrganisation, is_postgres: bool
) -> None:
    if not is_postgres:
        pytest.skip("SQLite has no TRUNCATE; its DELETE is how entries are sequenced")
    new_case(session, org)
    with pytest.raises(DBAPIError, match="never edited"), session.begin_nested():
        session.execute(text("TRUNCATE audit_queue"))
