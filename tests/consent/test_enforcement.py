"""The gate shares health items only on a live basis, read fresh on every request (R-18, R-28)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from hub.consent.public_interest import record_decision
from hub.consent.records import record_consent
from hub.db import utcnow
from hub.demo.agencies import DemoOrganisation
from hub.gate import Gate
from tests.consent.conftest import HealthCase, ReaderFor, health_item
from tests.helpers import audit_documents


def _seen(gate: Gate, session: Session, reader_for: ReaderFor, hc: HealthCase, user: str, **kw):  # type: ignore[no-untyped-def]
    view = gate.read_case(session, reader_for(user, **kw), hc.case.id)
    return {i.id for i in view.items}


def _entries(session: Session, item_id: object, operation: str) -> list[dict[str, object]]:
    return [
        d
        for d in audit_documents(session, operation=operation)
        if str(item_id) in d["record_ids"]  # type: ignore[operator]
    ]


def test_r18_health_items_reach_only_consent_recipients_and_the_owner(
    session: Session,
    org: DemoOrganisation,
    gate: Gate,
    reader_for: ReaderFor,
    health_case: HealthCase,
) -> None:
    hc = health_case
    consent = record_consent(
        session,
        org.actor("health.rep"),
        hc.consent(recipient_agency_ids=[hc.agency("DEMO-PRB")]),
    )
    both = {hc.relapse.id, hc.medication.id}
    assert both <= _seen(gate, session, reader_for, hc, "offender.manager")
    # Police work the case too, but the consent does not name them.
    assert not both & _seen(gate, session, reader_for, hc, "mosovo")
    assert both <= _seen(gate, session, reader_for, hc, "health.rep")

    consults = _entries(session, hc.relapse.id, "CONSULT")
    by_agency = {d["actor"]["agency"]: d["extra"]["basis"] for d in consults}  # type: ignore[index]
    assert by_agency[str(hc.agency("DEMO-PRB"))] == f"CONSENT:{consent.id}"
    assert by_agency[str(hc.agency("DEMO-NHS"))] == "OWNER"
    denied = _entries(session, hc.relapse.id, "DENY")
    assert denied[0]["extra"]["consent_state"] == "NOT_COVERING"  # type: ignore[index]


def test_r18_a_public_interest_decision_reaches_only_its_recipients_and_items(
    session: Session,
    org: DemoOrganisation,
    gate: Gate,
    reader_for: ReaderFor,
    health_case: HealthCase,
) -> None:
    hc = health_case
    decision = record_decision(
        session,
        org.actor("health.discloser"),
        hc.decision(recipient_agency_ids=[hc.agency("DEMO-POL")]),
    )
    assert _seen(gate, session, reader_for, hc, "mosovo") & {hc.relapse.id, hc.medication.id} == {
        hc.relapse.id
    }
    assert not {hc.relapse.id, hc.medication.id} & _seen(
        gate, session, reader_for, hc, "offender.manager"
    )
    police = [
        d
        for d in _entries(session, hc.relapse.id, "CONSULT")
        if d["actor"]["agency"] == str(hc.agency("DEMO-POL"))  # type: ignore[index]
    ]
    assert police[0]["extra"]["basis"] == f"PUBLIC_INTEREST:{decision.id}"  # type: ignore[index]


def test_r28_a_health_item_without_a_basis_is_not_shared(
    session: Session,
    org: DemoOrganisation,
    gate: Gate,
    reader_for: ReaderFor,
    health_case: HealthCase,
) -> None:
    hc = health_case
    assert not {hc.relapse.id} & _seen(gate, session, reader_for, hc, "offender.manager")
    assert _entries(session, hc.relapse.id, "DENY")[0]["extra"]["consent_state"] == "NONE"  # type: ignore[index]
    # Consent for meetings only does not cover day-to-day risk management.
    record_consent(session, org.actor("health.rep"), hc.consent(purposes=["MAPPA_MEETING"]))
    assert hc.relapse.id not in _seen(gate, session, reader_for, hc, "offender.manager")
    assert hc.relapse.id in _seen(
        gate, session, reader_for, hc, "offender.manager", purpose="MAPPA_MEETING"
    )
    # A court order is a basis of its own, and the audit says so.
    ordered = health_item(session, org, hc.case.id, "Hospital order summary", "COURT_ORDER")
    assert ordered.id in _seen(gate, session, reader_for, hc, "offender.manager")
    assert _entries(session, ordered.id, "CONSULT")[0]["extra"]["basis"] == "COURT_ORDER"  # type: ignore[index]


def test_r28_expiry_takes_effect_on_the_next_request(
    session: Session,
    org: DemoOrganisation,
    gate: Gate,
    reader_for: ReaderFor,
    health_case: HealthCase,
) -> None:
    hc = health_case
    expires = utcnow() + timedelta(hours=1)
    record_consent(session, org.actor("health.rep"), hc.consent(expires_at=expires))
    assert hc.relapse.id in _seen(gate, session, reader_for, hc, "offender.manager")
    later = expires + timedelta(seconds=1)
    assert hc.relapse.id not in _seen(gate, session, reader_for, hc, "offender.manager", now=later)
    assert _entries(session, hc.relapse.id, "DENY")[-1]["extra"]["consent_state"] == "EXPIRED"  # type: ignore[index]
    # The owner keeps using its own record.
    assert hc.relapse.id in _seen(gate, session, reader_for, hc, "health.rep", now=later)


def test_r28_one_read_loads_consents_and_decisions_once_not_per_item(
    session: Session,
    org: DemoOrganisation,
    gate: Gate,
    reader_for: ReaderFor,
    health_case: HealthCase,
) -> None:
    from sqlalchemy import event

    hc = health_case
    record_consent(session, org.actor("health.rep"), hc.consent())
    record_decision(session, org.actor("health.discloser"), hc.decision())
    for n in range(6):
        health_item(session, org, hc.case.id, f"Ward note {n}")
    reader = reader_for("offender.manager")
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", count)
    try:
        gate.read_case(session, reader, hc.case.id)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert sum("FROM consent" in s for s in statements) == 1
    assert sum("FROM public_interest_decision" in s for s in statements) == 1
