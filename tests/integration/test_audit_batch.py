"""Appending a batch of audit entries: gapless, hashed like single appends, all or nothing."""

import json
import uuid

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from hub.audit import AuditEntry, record
from hub.audit.log import record_many
from hub.audit.merkle import leaf_hash
from hub.audit.sequencer import sequence
from hub.demo.agencies import DemoOrganisation, create_organisation
from hub.models import AuditQueued, AuditRecord
from hub.vocabulary import AuditOperation
from tests.helpers import new_case


def _entries(
    org: DemoOrganisation, count: int, case_id: uuid.UUID | None = None
) -> list[AuditEntry]:
    actor = org.actor("offender.manager", purpose="RISK_MANAGEMENT")
    return [
        AuditEntry(
            operation=AuditOperation.CONSULT,
            actor=actor,
            record_type="information_item",
            record_ids=(str(uuid.uuid4()),),
            case_id=case_id,
            fields_returned=("title",),
            extra={"n": str(n)},
        )
        for n in range(count)
    ]


def _last_seq(session: Session) -> int | None:
    return session.scalar(select(func.max(AuditRecord.seq)))


def test_a_batch_continues_the_sequence_without_gaps(
    session: Session, org: DemoOrganisation
) -> None:
    case = new_case(session, org)
    sequence(session)
    before = _last_seq(session)
    assert before is not None
    entries = _entries(org, 500, case.id)

    receipts = record_many(session, entries)
    single = record(session, _entries(org, 1)[0])
    assert receipts == sorted(set(receipts))
    assert single > receipts[-1]
    assert _last_seq(session) == before  # queued: not in the log until sequenced
    assert sequence(session) == 501

    stored = session.scalars(select(AuditRecord).order_by(AuditRecord.seq)).all()
    assert [r.seq for r in stored] == list(range(len(stored)))
    assert all(r.leaf_hash == leaf_hash(r.canonical.encode()) for r in stored)
    batch = stored[before + 1 : before + 501]
    assert [r.receipt for r in batch] == receipts
    assert stored[before + 501].receipt == single
    documents = [json.loads(r.canonical) for r in batch]
    # In the order given, each entry's seq inside its hashed bytes, one time for the batch.
    assert [d["extra"]["n"] for d in documents] == [str(n) for n in range(500)]
    assert [d["seq"] for d in documents] == [r.seq for r in batch]
    assert {d["record_ids"][0] for d in documents} == {e.record_ids[0] for e in entries}
    assert len({d["time"] for d in documents}) == 1
    assert {r.case_id for r in batch} == {str(case.id)}
    assert {r.actor_agency_id for r in batch} == {str(org.agencies["DEMO-PRB"].id)}
    assert {r.operation for r in batch} == {AuditOperation.CONSULT}


def test_an_empty_batch_writes_nothing(session: Session, org: DemoOrganisation) -> None:
    sequence(session)
    before = _last_seq(session)
    assert record_many(session, []) == []
    assert sequence(session) == 0
    assert _last_seq(session) == before


def test_a_batch_rolls_back_with_its_transaction(engine: Engine) -> None:
    with Session(engine) as session:
        before = _last_seq(session)
        org = create_organisation(session, "Batch Rollback Area")
        record_many(session, _entries(org, 500))
        sequenced = sequence(session)
        assert sequenced > 500  # the organisation's entries, then the batch
        assert _last_seq(session) == (-1 if before is None else before) + sequenced
        session.rollback()
    with Session(engine) as session:
        assert _last_seq(session) == before
        assert session.scalar(select(func.count()).select_from(AuditQueued)) == 0


def test_a_failure_after_the_batch_takes_the_batch_with_it(
    session: Session, org: DemoOrganisation
) -> None:
    sequence(session)
    before = _last_seq(session)
    assert before is not None
    with pytest.raises(RuntimeError, match="business write failed"), session.begin_nested():
        _append_then_fail(session, _entries(org, 50))
    assert sequence(session) == 0
    assert _last_seq(session) == before
    # The rolled-back batch took no numbers: the next appends continue the sequence.
    record(session, _entries(org, 1)[0])
    record_many(session, _entries(org, 2))
    assert sequence(session) == 3
    assert _last_seq(session) == before + 3


def _append_then_fail(session: Session, entries: list[AuditEntry]) -> None:
    record_many(session, entries)
    raise RuntimeError("business write failed")
