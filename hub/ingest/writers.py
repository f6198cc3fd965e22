"""Writing canonical records through the services, each with its COLLECT audit entry.

Records with no service of their own yet (intelligence, visits, breaches, licence conditions,
contacts, concerns, circle reports, clinical resources) arrive as information items already;
addresses have a model but no service, so the one write here that is not a service call is an
address row, validated, flushed and audited exactly as a service would.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from connectors.records import (
    AddressRecord,
    AssessmentRecord,
    CaseRecord,
    ItemRecord,
    NotificationEventRecord,
    OrderRecord,
    PersonRecord,
    Record,
)
from hub.actor import Actor
from hub.audit import AuditEntry, record_many
from hub.ingest.matching import Unmappable, find_subject, match_or_register, open_case_of
from hub.models import Address, NotificationRequirement, Person
from hub.services import assessments, cases, items, notifications, orders
from hub.services.checks import optional_text, parse_enum, required_text
from hub.vocabulary import AddressType, AuditOperation, NotificationRegime


def write(session: Session, actor: Actor, record: Record) -> tuple[Person, list[str]]:
    """Store one record; return its subject and what was written, as "table:id"."""
    if isinstance(record, PersonRecord):
        return _person(session, actor, record)
    person = find_subject(session, record.subject)
    if isinstance(record, ItemRecord):
        case = open_case_of(session, person)
        if case is None:
            raise Unmappable("subject", "has no open MAPPA case to attach the item to")
        item = items.record_item(
            session,
            actor,
            items.ItemInput(
                case_id=case.id,
                category=record.category,
                legal_basis=record.legal_basis,
                title=record.title,
                content=record.content,
                classification=record.classification,
                originator_control=record.originator_control,
                source_system=record.provenance.source_system,
                source_reference=record.provenance.source_reference,
                received_at=record.provenance.received_at,
            ),
        )
        return person, [f"information_item:{item.id}"]
    if isinstance(record, AssessmentRecord):
        case = open_case_of(session, person)
        assessment = assessments.record_assessment(
            session,
            actor,
            assessments.AssessmentInput(
                person_id=person.id,
                case_id=case.id if case else None,
                tool=record.tool,
                algorithm_version=record.algorithm_version,
                band=record.band,
                score=record.score,
                assessed_at=record.assessed_at,
                source_system=record.provenance.source_system,
                source_reference=record.provenance.source_reference,
                assessor=record.assessor,
                no_sexual_offence_history=record.no_sexual_offence_history,
            ),
        )
        return person, [f"risk_assessment:{assessment.id}"]
    if isinstance(record, CaseRecord):
        return person, _case(session, actor, person, record)
    if isinstance(record, NotificationEventRecord):
        return person, _notification(session, actor, person, record)
    if isinstance(record, OrderRecord):
        order = orders.record_order(
            session,
            actor,
            orders.OrderInput(
                person_id=person.id,
                type=record.type,
                court=record.court,
                made_date=record.made_date,
                prohibitions=[
                    orders.ProhibitionInput(p.category, p.text, p.end_date, p.until_further_order)
                    for p in record.prohibitions
                ],
                end_date=record.end_date,
                until_further_order=record.until_further_order,
                passport_surrendered=record.passport_surrendered,
            ),
        )
        return person, [f"civil_order:{order.id}"]
    raise TypeError(f"no writer for {type(record).__name__}")


def _person(session: Session, actor: Actor, record: PersonRecord) -> tuple[Person, list[str]]:
    person, how = match_or_register(session, actor, record)
    written = [] if how == "MATCHED" else [f"person:{person.id}"]
    held = set()
    if how == "MATCHED" and record.addresses:  # a new person has none to compare with
        held = {(a.type, a.line1, a.town, a.postcode, a.valid_from) for a in person.addresses}
    elif how != "MATCHED":
        # Known to be empty: appending to it must not load it (one SELECT a message).
        set_committed_value(person, "addresses", [])
    fresh = []
    for i, address in enumerate(record.addresses):
        key = (AddressType(address.type), address.line1, address.town, address.postcode)
        if (*key, address.valid_from) not in held:
            fresh.append(_address(person, check_address(address, i), actor))
    if fresh:
        # One flush and one audit append for all of the message's addresses.
        session.flush()
        record_many(
            session,
            [
                AuditEntry(
                    operation=AuditOperation.COLLECT,
                    actor=actor,
                    record_type="address",
                    record_ids=(str(a.id),),
                    subject_person_id=person.id,
                    fields_written=ADDRESS_FIELDS,
                )
                for a in fresh
            ],
        )
        written += [f"address:{a.id}" for a in fresh]
    return person, written


@dataclass(frozen=True)
class CheckedAddress:
    """An address record that passed the checks an address row needs."""

    type: AddressType
    line1: str
    line2: str | None
    town: str
    postcode: str | None
    valid_from: date
    valid_to: date | None


# What an address's COLLECT entry says was written (the batch path writes the same).
ADDRESS_FIELDS = ("type", "line1", "line2", "town", "postcode", "valid_from", "valid_to")


def check_address(record: AddressRecord, index: int) -> CheckedAddress:
    path = f"addresses[{index}]"
    if record.valid_to is not None and record.valid_to < record.valid_from:
        raise Unmappable(f"{path}.valid_to", "cannot be before valid_from")
    return CheckedAddress(
        type=parse_enum(AddressType, record.type, f"{path}.type"),
        line1=required_text(record.line1, f"{path}.line1", max_length=200),
        line2=optional_text(record.line2, f"{path}.line2", max_length=200),
        town=required_text(record.town, f"{path}.town", max_length=100),
        postcode=optional_text(record.postcode, f"{path}.postcode", max_length=10),
        valid_from=record.valid_from,
        valid_to=record.valid_to,
    )


def _address(person: Person, checked: CheckedAddress, actor: Actor) -> Address:
    address = Address(
        person_id=person.id,
        type=checked.type,
        valid_from=checked.valid_from,
        valid_to=checked.valid_to,
        owning_agency_id=actor.agency_id,
    )
    address.line1 = checked.line1
    address.line2 = checked.line2
    address.town = checked.town
    address.postcode = checked.postcode
    person.addresses.append(address)
    return address


def _case(session: Session, actor: Actor, person: Person, record: CaseRecord) -> list[str]:
    decision = cases.LevelDecision(
        level=record.level,
        reason=record.level_reason,
        level_two_basis=record.level_two_basis,
        rmp_gaps_at_level_two=record.rmp_gaps_at_level_two,
        next_review_due=record.next_review_due,
    )
    case = open_case_of(session, person)
    source = f"{record.provenance.source_system} {record.provenance.source_reference}"
    if case is None:
        case = cases.open_case(
            session,
            actor,
            cases.CaseOpening(
                person_id=person.id,
                category=record.category,
                lead_agency_id=actor.agency_id,
                mappa_area=record.mappa_area,
                start_date=record.start_date,
                level=decision,
                category_reason=f"Category as held in {source}",
            ),
        )
        return [f"mappa_case:{case.id}"]
    if case.category != record.category:
        cases.change_category(
            session, actor, case.id, record.category, f"Category changed in {source}"
        )
    if case.current_level != record.level:
        cases.change_level(session, actor, case.id, decision)
    return [f"mappa_case:{case.id}"]


def _notification(
    session: Session, actor: Actor, person: Person, record: NotificationEventRecord
) -> list[str]:
    regime = parse_enum(NotificationRegime, record.requirement.regime, "requirement.regime")
    requirement = session.scalar(
        select(NotificationRequirement)
        .where(
            NotificationRequirement.person_id == person.id,
            NotificationRequirement.regime == regime,
        )
        .order_by(NotificationRequirement.relevant_date.desc())
        .limit(1)
    )
    written = []
    if requirement is None:
        r = record.requirement
        requirement = notifications.record_requirement(
            session,
            actor,
            notifications.RequirementInput(
                person_id=person.id,
                regime=regime,
                relevant_date=r.relevant_date,
                indefinite=r.indefinite,
                period_years=r.period_years,
                prescribed_station=r.prescribed_station,
            ),
        )
        written.append(f"notification_requirement:{requirement.id}")
    event = notifications.record_event(
        session,
        actor,
        requirement.id,
        type=record.type,
        trigger_date=record.trigger_date,
        due_by=record.due_by,
        received_at=record.notified_at,
        station=record.station,
    )
    return [*written, f"notification_event:{event.id}"]
