"""Who-accessed reports (DPA 2018 s.62): per person, per case and per owning agency.

The gate that will write CONSULT and DISCLOSE entries does not exist yet, so these tests
append the entries it will write by hand, through the real `hub.audit.record`.
"""

import dataclasses
import uuid

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.actor import Actor
from hub.audit import AuditEntry, record
from hub.audit import reports as reports_module
from hub.audit.reports import accesses_to_agency_items, accesses_to_subject
from hub.audit.sequencer import sequence
from hub.demo.agencies import DemoOrganisation
from hub.models import AuditRecord, InformationItem, MappaCase
from hub.services.items import ItemInput, erase_item, record_item
from hub.vocabulary import AuditOperation
from tests.helpers import new_case


def _reader(org: DemoOrganisation, username: str, justification: str | None = None) -> Actor:
    actor = org.actor(username, purpose="RISK_MANAGEMENT")
    return dataclasses.replace(actor, justification=justification)


def _access(
    session: Session,
    actor: Actor,
    operation: AuditOperation,
    record_type: str,
    record_ids: tuple[uuid.UUID, ...],
    *,
    case: MappaCase | None,
    person_id: uuid.UUID | None = None,
    fields_returned: tuple[str, ...] = ("title", "content"),
    fields_withheld: tuple[str, ...] = (),
    recipients: tuple[str, ...] = (),
    outcome: str | None = None,
) -> int:
    receipt = record(
        session,
        AuditEntry(
            operation=operation,
            actor=actor,
            record_type=record_type,
            record_ids=tuple(str(i) for i in record_ids),
            subject_person_id=case.person_id if case else person_id,
            case_id=case.id if case else None,
            fields_returned=fields_returned,
            fields_withheld=fields_withheld,
            recipients=recipients,
            outcome=outcome,
        ),
    )
    sequence(session)  # into the log, where the reports read
    seq = session.scalar(select(AuditRecord.seq).where(AuditRecord.receipt == receipt))
    assert seq is not None
    return seq


def _item(session: Session, org: DemoOrganisation, case: MappaCase, owner: str) -> InformationItem:
    return record_item(
        session,
        org.actor(owner),
        ItemInput(
            case_id=case.id,
            category="INTELLIGENCE",
            legal_basis="DPA_PART3",
            title="Association report",
            content="Synthetic test content.",
        ),
    )


def test_person_report_lists_every_access_oldest_first_with_its_details(
    session: Session, org: DemoOrganisation
) -> None:
    case = new_case(session, org)
    other_case = new_case(session, org)
    item = _item(session, org, case, "mosovo")
    consulted = _access(
        session,
        _reader(org, "offender.manager"),
        AuditOperation.CONSULT,
        "information_item",
        (item.id,),
        case=case,
        fields_withheld=("source_reference",),
    )
    disclosed = _access(
        session,
        _reader(org, "chair.l3", justification="Level 3 meeting on the 4th"),
        AuditOperation.DISCLOSE,
        "mappa_case",
        (case.id,),
        case=case,
        recipients=(str(org.agencies["DEMO-CSC"].id),),
    )
    denied = _access(
        session,
        _reader(org, "housing.rep"),
        AuditOperation.DENY,
        "information_item",
        (item.id,),
        case=case,
        fields_returned=(),
        outcome="policy:health-needs-consent",
    )
    _access(  # about someone else: never in this person's report
        session,
        _reader(org, "offender.manager"),
        AuditOperation.CONSULT,
        "mappa_case",
        (other_case.id,),
        case=other_case,
    )

    rows = accesses_to_subject(session, person_id=case.person_id)

    # The case's own COLLECT and the item's COLLECT are writes, not accesses.
    assert [(r.seq, r.operation) for r in rows] == [
        (consulted, AuditOperation.CONSULT),
        (disclosed, AuditOperation.DISCLOSE),
        (denied, AuditOperation.DENY),
    ]
    first, second, third = rows
    manager = org.staff["offender.manager"]
    assert first.actor_user_id == manager.id
    assert first.actor_agency_id == org.agencies["DEMO-PRB"].id
    assert first.actor_roles == ("OFFENDER_MANAGER",)
    assert first.actor_client == "hub-demo"
    assert first.purpose == "RISK_MANAGEMENT"
    assert first.record_type == "information_item"
    assert first.record_ids == (str(item.id),)
    assert first.fields_returned == ("content", "title")
    assert first.fields_withheld == ("source_reference",)
    assert first.subject_person_id == case.person_id
    assert first.case_id == case.id
    assert first.time.tzinfo is not None
    assert first.time <= second.time <= third.time
    assert second.justification == "Level 3 meeting on the 4th"
    assert second.recipients == (str(org.agencies["DEMO-CSC"].id),)
    assert third.outcome == "policy:health-needs-consent"
    assert third.fields_returned == ()


def test_case_report_keeps_to_the_case_and_both_filters_narrow(
    session: Session, org: DemoOrganisation
) -> None:
    case = new_case(session, org)
    other_case = new_case(session, org)
    reader = _reader(org, "offender.manager")
    person_read = _access(  # the person's own record, outside any case
        session,
        reader,
        AuditOperation.CONSULT,
        "person",
        (case.person_id,),
        case=None,
        person_id=case.person_id,
    )
    case_read = _access(
        session, reader, AuditOperation.CONSULT, "mappa_case", (case.id,), case=case
    )
    other_read = _access(
        session, reader, AuditOperation.CONSULT, "mappa_case", (other_case.id,), case=other_case
    )

    assert [r.seq for r in accesses_to_subject(session, case_id=case.id)] == [case_read]
    assert [r.seq for r in accesses_to_subject(session, case_id=other_case.id)] == [other_read]
    by_person = accesses_to_subject(session, person_id=case.person_id)
    assert [r.seq for r in by_person] == [person_read, case_read]
    assert by_person[0].case_id is None
    both = accesses_to_subject(session, person_id=case.person_id, case_id=case.id)
    assert [r.seq for r in both] == [case_read]
    assert accesses_to_subject(session, person_id=case.person_id, case_id=other_case.id) == []


def test_break_glass_is_an_access_and_other_operations_can_be_asked_for(
    session: Session, org: DemoOrganisation
) -> None:
    case = new_case(session, org)
    glass = _access(
        session,
        _reader(org, "mosovo", justification="Missing person, immediate risk"),
        AuditOperation.BREAK_GLASS,
        "mappa_case",
        (case.id,),
        case=case,
    )
    assert [r.seq for r in accesses_to_subject(session, case_id=case.id)] == [glass]
    writes = accesses_to_subject(session, case_id=case.id, operations={AuditOperation.COLLECT})
    assert [r.record_type for r in writes] == ["mappa_case"]
    assert writes[0].seq < glass


def test_subject_reports_are_empty_when_nobody_looked(
    session: Session, org: DemoOrganisation
) -> None:
    case = new_case(session, org)
    assert accesses_to_subject(session, person_id=case.person_id) == []
    assert accesses_to_subject(session, case_id=case.id) == []
    assert accesses_to_subject(session, person_id=uuid.uuid4()) == []
    with pytest.raises(ValueError, match="person_id or a case_id"):
        accesses_to_subject(session)


def test_owner_sees_other_agencies_accesses_to_its_items_only(
    session: Session, org: DemoOrganisation
) -> None:
    case = new_case(session, org)
    police_item = _item(session, org, case, "mosovo")
    probation_item = _item(session, org, case, "offender.manager")
    police = org.agencies["DEMO-POL"].id
    probation = org.agencies["DEMO-PRB"].id

    by_probation = _access(
        session,
        _reader(org, "offender.manager"),
        AuditOperation.CONSULT,
        "information_item",
        (police_item.id,),
        case=case,
    )
    _access(  # the owner reading its own item: not the owner's question
        session,
        _reader(org, "mosovo"),
        AuditOperation.CONSULT,
        "information_item",
        (police_item.id,),
        case=case,
    )
    both_items = _access(
        session,
        _reader(org, "chair.l3"),  # police staff: own for one item, other for the other
        AuditOperation.DISCLOSE,
        "information_item",
        (police_item.id, probation_item.id),
        case=case,
        recipients=(str(org.agencies["DEMO-CSC"].id),),
    )
    _access(  # a case-level read names the case, not the item
        session,
        _reader(org, "housing.rep"),
        AuditOperation.CONSULT,
        "mappa_case",
        (case.id,),
        case=case,
    )
    _access(  # refused: nothing was seen, so it is not an access to report to the owner
        session,
        _reader(org, "housing.rep"),
        AuditOperation.DENY,
        "information_item",
        (police_item.id,),
        case=case,
    )
    without_case = _access(  # an entry that omits the case still reaches the owner
        session,
        _reader(org, "health.rep"),
        AuditOperation.CONSULT,
        "information_item",
        (police_item.id,),
        case=None,
    )

    for_police = accesses_to_agency_items(session, police)
    assert [(r.access.seq, r.owned_item_ids) for r in for_police] == [
        (by_probation, (police_item.id,)),
        (without_case, (police_item.id,)),
    ]
    assert {r.access.actor_agency_id for r in for_police} == {
        probation,
        org.agencies["DEMO-NHS"].id,
    }

    for_probation = accesses_to_agency_items(session, probation)
    assert [(r.access.seq, r.owned_item_ids) for r in for_probation] == [
        (both_items, (probation_item.id,))
    ]
    disclosure = for_probation[0].access
    assert disclosure.operation is AuditOperation.DISCLOSE
    assert disclosure.actor_agency_id == police
    assert disclosure.recipients == (str(org.agencies["DEMO-CSC"].id),)


def test_owner_report_narrows_to_given_items_and_ignores_items_of_others(
    session: Session, org: DemoOrganisation
) -> None:
    case = new_case(session, org)
    first = _item(session, org, case, "mosovo")
    second = _item(session, org, case, "mosovo")
    theirs = _item(session, org, case, "offender.manager")
    reader = _reader(org, "health.rep")
    seqs = [
        _access(session, reader, AuditOperation.CONSULT, "information_item", (i.id,), case=case)
        for i in (first, second, theirs)
    ]
    police = org.agencies["DEMO-POL"].id

    only_first = accesses_to_agency_items(session, police, [first.id])
    assert [r.access.seq for r in only_first] == [seqs[0]]
    assert accesses_to_agency_items(session, police, [theirs.id]) == []
    assert accesses_to_agency_items(session, police, []) == []


def test_accesses_to_an_erased_item_stay_reported_to_its_owner(
    session: Session, org: DemoOrganisation
) -> None:
    case = new_case(session, org)
    item = _item(session, org, case, "mosovo")
    seen = _access(
        session,
        _reader(org, "csc.rep"),
        AuditOperation.CONSULT,
        "information_item",
        (item.id,),
        case=case,
    )
    erase_item(session, org.actor("mosovo"), item.id, "Entered against the wrong case")

    rows = accesses_to_agency_items(session, org.agencies["DEMO-POL"].id)
    assert [(r.access.seq, r.owned_item_ids) for r in rows] == [(seen, (item.id,))]


def test_owner_report_is_empty_without_items_or_without_accesses(
    session: Session, org: DemoOrganisation
) -> None:
    case = new_case(session, org)
    assert accesses_to_agency_items(session, org.agencies["DEMO-NHS"].id) == []
    _item(session, org, case, "mosovo")
    assert accesses_to_agency_items(session, org.agencies["DEMO-POL"].id) == []
    assert accesses_to_agency_items(session, uuid.uuid4()) == []


def test_owner_report_is_oldest_first_across_many_cases(
    session: Session, org: DemoOrganisation, monkeypatch: pytest.MonkeyPatch
) -> None:
    # One case id per query batch, so the merge of several queries is what is tested.
    monkeypatch.setattr(reports_module, "_IN_CHUNK", 1)
    cases = [new_case(session, org) for _ in range(3)]
    items = [_item(session, org, case, "mosovo") for case in cases]
    reader = _reader(org, "offender.manager")
    order = [2, 0, 1, 0, 2]
    seqs = [
        _access(
            session,
            reader,
            AuditOperation.CONSULT,
            "information_item",
            (items[i].id,),
            case=cases[i],
        )
        for i in order
    ]

    rows = accesses_to_agency_items(session, org.agencies["DEMO-POL"].id)
    assert [r.access.seq for r in rows] == seqs
    assert [r.owned_item_ids for r in rows] == [(items[i].id,) for i in order]
