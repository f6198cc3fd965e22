"""Finding the person a message is about, by identifiers (R-56).

A nominal record either matches one active person on every decisive identifier it carries
(PNC, CRN) and their date of birth, or goes through `register_person`, which holds anything
ambiguous in the duplicate-review queue. Every other record names an existing person; a
reference that finds nobody, or more than one person, cannot be mapped and is dead-lettered
(replayable once the nominal arrives or the review is resolved).
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from connectors.records import PersonRecord, SubjectRef
from hub.actor import Actor
from hub.errors import InvalidInput
from hub.models import MappaCase, Person, PersonIdentifier
from hub.models.person import identifier_is
from hub.services.cases import OPEN_STATUSES
from hub.services.checks import parse_enum
from hub.services.people import NameInput, PersonInput, register_person
from hub.vocabulary import DECISIVE_SCHEMES, IdentifierScheme, PersonStatus


class Unmappable(InvalidInput):
    """The message is valid but names something the hub does not hold (yet)."""


def _holders(session: Session, scheme: IdentifierScheme, value: str) -> set[tuple[uuid.UUID, str]]:
    rows = session.execute(
        select(Person.id, Person.status)
        .join(PersonIdentifier)
        .where(identifier_is(scheme, value), Person.status != PersonStatus.MERGED)
    )
    return {(person_id, str(status)) for person_id, status in rows}


def subject_identifiers(ref: SubjectRef) -> list[tuple[IdentifierScheme, str]]:
    return [
        (parse_enum(IdentifierScheme, s, f"subject.identifiers[{i}]"), v.strip().upper())
        for i, (s, v) in enumerate(ref.identifiers)
    ]


def find_subject(session: Session, ref: SubjectRef) -> Person:
    active: set[uuid.UUID] = set()
    held = False
    for scheme, value in subject_identifiers(ref):
        for person_id, status in _holders(session, scheme, value):
            if status == PersonStatus.ACTIVE:
                active.add(person_id)
            else:
                held = True
    if len(active) == 1:
        return session.get_one(Person, active.pop())
    if len(active) > 1:
        raise Unmappable(
            "subject", "the identifiers name more than one person (R-56); resolve that first"
        )
    if held:
        raise Unmappable(
            "subject",
            "the person is held as a possible duplicate (R-56); replay once a coordinator "
            "resolves the match",
        )
    raise Unmappable("subject", "no person with these identifiers is held; send the nominal first")


def open_case_of(session: Session, person: Person) -> MappaCase | None:
    return session.scalar(
        select(MappaCase).where(
            MappaCase.person_id == person.id, MappaCase.status.in_(OPEN_STATUSES)
        )
    )


def match_or_register(session: Session, actor: Actor, record: PersonRecord) -> tuple[Person, str]:
    """The person the nominal describes, and how: MATCHED, REGISTERED or HELD (R-56)."""
    ids = subject_identifiers(record.subject)
    decisive = [(s, v) for s, v in ids if s in DECISIVE_SCHEMES]
    found: set[uuid.UUID] = set()
    for scheme, value in decisive:
        found |= {p for p, status in _holders(session, scheme, value) if status == "ACTIVE"}
    if len(found) == 1:
        person = session.get_one(Person, found.pop())
        mine = {(i.scheme, i.value) for i in person.identifiers}
        agrees = all((s, v) in mine for s, v in decisive if s in {i for i, _ in mine})
        if agrees and person.date_of_birth == record.date_of_birth:
            return person, "MATCHED"
    registration = register_person(
        session,
        actor,
        PersonInput(
            names=[NameInput(given=n.given, family=n.family, type=n.type) for n in record.names],
            date_of_birth=record.date_of_birth,
            sex=record.sex,
            identifiers=[(str(s), v) for s, v in ids],
            nationality=record.nationality,
        ),
    )
    return registration.person, "HELD" if registration.held else "REGISTERED"
