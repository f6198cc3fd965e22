"""Withdrawing consent (R-29 a-d) and domain.md §10 scenario 1, without meetings yet."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.exc import DatabaseError
from sqlalchemy.orm import Session

from hub.consent.public_interest import AuditedRefusal, record_decision, unit_of_work
from hub.consent.records import record_consent, withdraw_consent
from hub.consent.withdrawal import NO_ONWARD_DISSEMINATION
from hub.db import utcnow
from hub.demo.agencies import DemoOrganisation
from hub.errors import InvalidInput
from hub.gate import Gate
from hub.models import AuditRecord, Consent, ConsentTask, InformationItem, ItemDisseminationFlag
from hub.vocabulary import ConsentTaskKind
from tests.consent.conftest import HealthCase, ReaderFor
from tests.helpers import audit_documents, savepoint_sessions


def _seen(gate: Gate, session: Session, reader_for: ReaderFor, hc: HealthCase, user: str) -> set:  # type: ignore[type-arg]
    return {i.id for i in gate.read_case(session, reader_for(user), hc.case.id).items}


def _shared_then_withdrawn(
    session: Session, org: DemoOrganisation, gate: Gate, reader_for: ReaderFor, hc: HealthCase
) -> Consent:
    consent = record_consent(session, org.actor("health.rep"), hc.consent())
    for user in ("offender.manager", "mosovo"):
        assert {hc.relapse.id, hc.medication.id} <= _seen(gate, session, reader_for, hc, user)
    withdraw_consent(session, org.actor("health.rep"), consent.id, "Patient withdrew at clinic")
    return consent


def test_r29a_withdrawal_blocks_sharing_on_the_very_next_read(
    session: Session,
    org: DemoOrganisation,
    gate: Gate,
    reader_for: ReaderFor,
    health_case: HealthCase,
) -> None:
    hc = health_case
    _shared_then_withdrawn(session, org, gate, reader_for, hc)
    for user in ("offender.manager", "mosovo"):
        assert not {hc.relapse.id, hc.medication.id} & _seen(gate, session, reader_for, hc, user)
    denied = [
        d
        for d in audit_documents(session, operation="DENY")
        if str(hc.relapse.id) in d["record_ids"]
    ]
    assert {d["extra"]["consent_state"] for d in denied} == {"WITHDRAWN"}


def test_r29b_recipients_are_told_and_their_copies_flagged_no_onward_dissemination(
    session: Session,
    org: DemoOrganisation,
    gate: Gate,
    reader_for: ReaderFor,
    health_case: HealthCase,
) -> None:
    hc = health_case
    consent = _shared_then_withdrawn(session, org, gate, reader_for, hc)
    notices = session.scalars(
        select(ConsentTask).where(
            ConsentTask.consent_id == consent.id,
            ConsentTask.kind == ConsentTaskKind.RECIPIENT_NOTICE,
        )
    ).all()
    assert {(n.agency_id, n.item_count) for n in notices} == {
        (hc.agency("DEMO-PRB"), 2),
        (hc.agency("DEMO-POL"), 2),
    }
    flags = session.scalars(
        select(ItemDisseminationFlag).where(ItemDisseminationFlag.consent_id == consent.id)
    ).all()
    assert {(f.item_id, f.agency_id) for f in flags} == {
        (item, hc.agency(code))
        for item in (hc.relapse.id, hc.medication.id)
        for code in ("DEMO-PRB", "DEMO-POL")
    }
    assert {f.flag for f in flags} == {NO_ONWARD_DISSEMINATION}
    written = {d["record_type"] for d in audit_documents(session, operation="COLLECT")}
    assert {"consent_task", "item_dissemination_flag"} <= written


def test_r29c_the_owning_health_agency_gets_a_public_interest_task(
    session: Session,
    org: DemoOrganisation,
    gate: Gate,
    reader_for: ReaderFor,
    health_case: HealthCase,
) -> None:
    hc = health_case
    consent = _shared_then_withdrawn(session, org, gate, reader_for, hc)
    task = session.scalars(
        select(ConsentTask).where(
            ConsentTask.consent_id == consent.id,
            ConsentTask.kind == ConsentTaskKind.PUBLIC_INTEREST_REVIEW,
        )
    ).one()
    assert task.agency_id == hc.agency("DEMO-NHS")
    assert task.done_at is None
    decision = record_decision(session, org.actor("health.discloser"), hc.decision())
    session.refresh(task)
    assert task.done_at is not None
    assert task.decision_id == decision.id


def test_r29d_nothing_already_disclosed_is_deleted(
    session: Session,
    org: DemoOrganisation,
    gate: Gate,
    reader_for: ReaderFor,
    health_case: HealthCase,
) -> None:
    hc = health_case
    entries_before = session.scalar(select(func.count()).select_from(AuditRecord))
    consent = _shared_then_withdrawn(session, org, gate, reader_for, hc)
    assert session.get(InformationItem, hc.relapse.id) is not None
    assert session.get(Consent, consent.id) is not None
    assert session.scalar(select(func.count()).select_from(AuditRecord)) > entries_before  # type: ignore[operator]
    # The database itself refuses to delete a consent, even one the hub wrongly tried to.
    with pytest.raises(DatabaseError), session.begin_nested():
        session.execute(delete(Consent).where(Consent.id == consent.id))


def test_r29_a_consent_is_withdrawn_once(
    session: Session, org: DemoOrganisation, health_case: HealthCase
) -> None:
    consent = record_consent(session, org.actor("health.rep"), health_case.consent())
    withdraw_consent(session, org.actor("health.rep"), consent.id, "Patient withdrew")
    with pytest.raises(InvalidInput) as refused:
        withdraw_consent(session, org.actor("health.rep"), consent.id, "Again")
    assert refused.value.field == "withdrawn_at"


def test_scenario_1_consent_withdrawn_before_a_level_3_meeting(
    session: Session,
    org: DemoOrganisation,
    gate: Gate,
    reader_for: ReaderFor,
    health_case: HealthCase,
) -> None:
    """A restricted patient withdraws consent for the forensic team to share relapse
    indicators three days before the meeting (domain.md §10, scenario 1)."""
    hc = health_case
    consent = record_consent(
        session, org.actor("health.rep"), hc.consent(given_at=utcnow() - timedelta(days=200))
    )
    for user in ("offender.manager", "mosovo"):
        assert {hc.relapse.id, hc.medication.id} <= _seen(gate, session, reader_for, hc, user)

    withdraw_consent(session, org.actor("health.rep"), consent.id, "Withdrew on the ward")
    # Health items become non-shareable; recipients are told; the consultant gets a task.
    for user in ("offender.manager", "mosovo", "chair.l3"):
        assert not {hc.relapse.id, hc.medication.id} & _seen(gate, session, reader_for, hc, user)
    tasks = session.scalars(select(ConsentTask).where(ConsentTask.consent_id == consent.id)).all()
    assert {t.kind for t in tasks} == set(ConsentTaskKind)

    # The chair can proceed, but cannot make the public-interest call ...
    sessions = savepoint_sessions(session)
    with pytest.raises(AuditedRefusal), unit_of_work(sessions) as chair_session:
        record_decision(chair_session, org.actor("chair.l3"), hc.decision())
    assert [
        d["outcome"]
        for d in audit_documents(session, operation="DENY")
        if d["record_type"] == "public_interest_decision"
    ] == ["R-30"]

    # ...the consultant can: only the items the decision covers reappear.
    record_decision(session, org.actor("health.discloser"), hc.decision())
    for user in ("offender.manager", "mosovo"):
        seen = _seen(gate, session, reader_for, hc, user)
        assert hc.relapse.id in seen
        assert hc.medication.id not in seen
