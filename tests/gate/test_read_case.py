"""Reading a case through the gate: need to know, hidden == missing, audited with the read."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.audit.sequencer import sequence
from hub.demo.agencies import DemoOrganisation
from hub.errors import HubError, NotFound
from hub.gate import Gate, Reader
from hub.models import AccessFollowUp, AuditRecord
from hub.services.cases import add_member
from hub.services.items import ItemInput, record_item
from hub.vocabulary import FollowUpKind
from tests.gate.conftest import ReaderFor
from tests.helpers import audit_documents, new_case


def _item(session: Session, org: DemoOrganisation, case_id: uuid.UUID, user: str, **kw: object):
    details = {
        "category": "RISK",
        "legal_basis": "CJA_S325",
        "title": "Risk note",
        "content": "Synthetic risk content",
        **kw,
    }
    return record_item(session, org.actor(user), ItemInput(case_id=case_id, **details))  # type: ignore[arg-type]


def _denials(session: Session, case_id: uuid.UUID) -> list[dict[str, object]]:
    return [
        d
        for d in audit_documents(session)
        if d["operation"] == "DENY" and str(case_id) in d["record_ids"]
    ]


def test_r16_the_lead_agency_reads_the_case_and_the_read_is_audited(
    session: Session, org: DemoOrganisation, gate: Gate, reader_for: ReaderFor
) -> None:
    case = new_case(session, org, category=2, level=2)
    _item(session, org, case.id, "offender.manager")
    view = gate.read_case(session, reader_for("offender.manager"), case.id)
    assert view.case.fields["category"] == 2
    assert view.person is not None
    assert view.person.fields["date_of_birth"] == "1980-05-17"
    assert [i.fields["summary"] for i in view.items] == ["Risk note"]
    consults = [
        d for d in audit_documents(session, case=str(case.id)) if d["operation"] == "CONSULT"
    ]
    assert {d["record_type"] for d in consults} == {"mappa_case", "person", "information_item"}
    for document in consults:
        assert document["purpose"] == "RISK_MANAGEMENT"
        assert document["policy_decision"]
        assert len(document["policy_bundle"]) == 64
    item_entry = next(d for d in consults if d["record_type"] == "information_item")
    assert "content" in item_entry["fields_returned"]
    assert "Synthetic risk content" not in str(consults)  # ids and field names only


def test_r16_a_case_the_reader_has_no_part_in_is_indistinguishable_from_a_missing_one(
    session: Session, org: DemoOrganisation, gate: Gate, reader_for: ReaderFor
) -> None:
    case = new_case(session, org)
    housing = reader_for("housing.rep")
    with pytest.raises(NotFound) as hidden:
        gate.read_case(session, housing, case.id)
    with pytest.raises(NotFound) as missing:
        gate.read_case(session, housing, uuid.uuid4())
    assert str(hidden.value) == str(missing.value)
    assert type(hidden.value) is type(missing.value)
    # Both refusals are logged (R-16: denials are logged); the caller cannot tell them apart.
    assert len(_denials(session, case.id)) == 1


def test_r16_joining_the_case_gives_the_agency_its_need_to_know(
    session: Session, org: DemoOrganisation, gate: Gate, reader_for: ReaderFor
) -> None:
    case = new_case(session, org)
    add_member(
        session, org.actor("coordinator"), case.id, org.agencies["DEMO-HSG"].id, "AGENCY_CONTACT"
    )
    view = gate.read_case(session, reader_for("housing.rep", "SAFEGUARDING"), case.id)
    assert view.case.id == case.id


def test_r21_no_purpose_no_data(
    session: Session, org: DemoOrganisation, gate: Gate, reader_for: ReaderFor
) -> None:
    case = new_case(session, org)
    with pytest.raises(NotFound):
        gate.read_case(session, reader_for("offender.manager", None), case.id)
    denial = _denials(session, case.id)[-1]
    assert "R-21-purpose-of-use-required" in denial["outcome"]


def test_r51_cosa_roles_read_no_case_record(
    session: Session, org: DemoOrganisation, gate: Gate, reader_for: ReaderFor
) -> None:
    case = new_case(session, org)
    add_member(
        session, org.actor("coordinator"), case.id, org.agencies["DEMO-COSA"].id, "AGENCY_CONTACT"
    )
    with pytest.raises(NotFound):
        gate.read_case(session, reader_for("cosa.coordinator", "COSA_SUPPORT"), case.id)


def test_r19_identity_documents_are_withheld_from_non_police_with_the_reason(
    session: Session, org: DemoOrganisation, gate: Gate, reader_for: ReaderFor
) -> None:
    case = new_case(session, org)
    view = gate.read_case(session, reader_for("offender.manager"), case.id)
    assert view.person is not None
    assert "identity_documents" not in view.person.fields
    assert "police-only" in view.person.withheld["identity_documents"]
    consult = next(
        d for d in audit_documents(session, record_type="person") if d["operation"] == "CONSULT"
    )
    assert "identity_documents" in consult["fields_withheld"]


def test_r14_items_another_agency_may_not_see_are_left_out_and_logged(
    session: Session, org: DemoOrganisation, gate: Gate, reader_for: ReaderFor
) -> None:
    case = new_case(session, org)
    add_member(
        session, org.actor("coordinator"), case.id, org.agencies["DEMO-HSG"].id, "AGENCY_CONTACT"
    )
    health = _item(
        session,
        org,
        case.id,
        "health.rep",
        category="HEALTH",
        legal_basis="CONSENT",
        title="Clinic note",
    )
    view = gate.read_case(session, reader_for("housing.rep", "SAFEGUARDING"), case.id)
    assert health.id not in {i.id for i in view.items}
    assert any(
        str(health.id) in d["record_ids"]
        for d in audit_documents(session)
        if d["operation"] == "DENY"
    )


def test_r16_break_glass_is_recorded_notifies_the_owner_and_is_flagged_for_review(
    session: Session, org: DemoOrganisation, gate: Gate, reader_for: ReaderFor
) -> None:
    case = new_case(session, org)
    urgent = "Police report an imminent risk to a child tonight; need the plan now"
    reader = reader_for("mosovo", justification=urgent, break_glass=True)
    view = gate.read_case(session, reader, case.id)
    assert view.case.id == case.id
    glass = [
        d for d in audit_documents(session, case=str(case.id)) if d["operation"] == "BREAK_GLASS"
    ]
    assert glass
    assert all(d["justification"] == urgent for d in glass)
    follow_ups = session.scalars(
        select(AccessFollowUp).where(AccessFollowUp.case_id == case.id)
    ).all()
    kinds = {(f.kind, f.owning_agency_id) for f in follow_ups}
    assert (FollowUpKind.NOTIFY_OWNER, org.agencies["DEMO-PRB"].id) in kinds
    assert FollowUpKind.REVIEW in {k for k, _ in kinds}
    # Each follow-up names its access's entry in the log by the append's receipt.
    sequence(session)
    receipts = {f.audit_receipt for f in follow_ups}
    assert receipts <= set(session.scalars(select(AuditRecord.receipt)))


def test_r16_break_glass_without_a_long_enough_justification_reads_nothing(
    session: Session, org: DemoOrganisation, gate: Gate, reader_for: ReaderFor
) -> None:
    case = new_case(session, org)
    reader = reader_for("mosovo", justification="urgent", break_glass=True)
    with pytest.raises(NotFound):
        gate.read_case(session, reader, case.id)


def test_an_unknown_agency_reads_nothing(session: Session, org: DemoOrganisation) -> None:
    import dataclasses

    stranger = dataclasses.replace(org.actor("offender.manager"), agency_id=uuid.uuid4())
    with pytest.raises(HubError, match="not registered"):
        Reader.of(session, stranger)
