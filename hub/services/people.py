"""Registering the people cases are about, without ever creating the same person twice.

R-56: a new person matching an existing one on PNC, on CRN, or on name + date of birth +
another shared identifier is *held*, not rejected, so no agency's data is lost, and nobody
can open a case on the held record until an authorised user resolves the match.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hub.actor import Actor
from hub.db import utcnow
from hub.errors import InvalidInput, NotFound, RuleViolation
from hub.models import DuplicateReview, Person, PersonIdentifier, PersonName
from hub.models.person import identifier_is
from hub.services.checks import optional_text, parse_enum, required_text
from hub.services.recording import audit_write
from hub.vocabulary import (
    DECISIVE_SCHEMES,
    AuditOperation,
    DuplicateMatch,
    DuplicateOutcome,
    IdentifierScheme,
    NameType,
    PersonStatus,
    Role,
    Sex,
)

RESOLVER_ROLES = (Role.MAPPA_COORDINATOR, Role.MOSOVO_OFFICER)


@dataclass(frozen=True)
class NameInput:
    given: str
    family: str
    type: str = NameType.PRIMARY


@dataclass(frozen=True)
class PersonInput:
    names: list[NameInput]
    date_of_birth: date
    sex: str
    identifiers: list[tuple[str, str]] = field(default_factory=list)  # (scheme, value)
    ethnicity_text: str | None = None
    nationality: str | None = None


@dataclass(frozen=True)
class Registration:
    person: Person
    held: bool
    reviews: list[DuplicateReview]


def name_key(value: str) -> str:
    return " ".join(value.casefold().split())


def register_person(session: Session, actor: Actor, details: PersonInput) -> Registration:
    names = parse_names(details.names)
    identifiers = parse_identifiers(details.identifiers)
    if not isinstance(details.date_of_birth, date):
        raise InvalidInput("date_of_birth", "must be a date (YYYY-MM-DD)")
    if details.date_of_birth > utcnow().date():
        raise InvalidInput("date_of_birth", "cannot be in the future")
    sex = parse_enum(Sex, details.sex, "sex")

    def build(status: PersonStatus) -> Person:
        claims = status is PersonStatus.ACTIVE
        return Person(
            status=status,
            date_of_birth=details.date_of_birth,
            sex=sex,
            ethnicity_text=optional_text(details.ethnicity_text, "ethnicity_text", max_length=200),
            nationality=optional_text(details.nationality, "nationality", max_length=100),
            owning_agency_id=actor.agency_id,
            created_by=actor.user_id,
            names=[_name_row(n) for n in names],
            identifiers=[
                PersonIdentifier(
                    scheme=s,
                    value=v,
                    source_agency_id=actor.agency_id,
                    claims=claims and s in DECISIVE_SCHEMES,
                )
                for s, v in identifiers
            ],
        )

    matches = _find_matches(session, names, details.date_of_birth, identifiers)
    if not matches:
        person = build(PersonStatus.ACTIVE)
        try:
            # A SAVEPOINT, so that losing a race to a concurrent insert of the same PNC or
            # CRN turns into a held duplicate instead of failing the caller's transaction.
            with session.begin_nested():
                session.add(person)
                session.flush()
        except IntegrityError:
            matches = _find_matches(session, names, details.date_of_birth, identifiers)
            if not matches:
                raise
        else:
            _audit_collect(session, actor, person, held=False)
            return Registration(person=person, held=False, reviews=[])

    person = build(PersonStatus.HELD_AS_DUPLICATE)
    session.add(person)
    session.flush()
    now = utcnow()
    reviews = [
        DuplicateReview(
            held_person_id=person.id, existing_person_id=existing, matched_on=how, raised_at=now
        )
        for existing, how in matches.items()
    ]
    session.add_all(reviews)
    session.flush()
    _audit_collect(session, actor, person, held=True)
    return Registration(person=person, held=True, reviews=reviews)


def resolve_duplicate(
    session: Session, actor: Actor, review_id: uuid.UUID, outcome: str, reason: str
) -> Person:
    """Settle a held match: merge into the existing person, or release as a new person."""
    if not actor.has_any_role(*RESOLVER_ROLES):
        raise RuleViolation(
            "R-56", "actor.roles", "only a MAPPA coordinator or MOSOVO officer may resolve a match"
        )
    review = session.get(DuplicateReview, review_id)
    if review is None:
        raise NotFound("duplicate review")
    if review.outcome is not DuplicateOutcome.OPEN:
        raise InvalidInput("review_id", f"this match was already resolved ({review.outcome})")
    decided = parse_enum(DuplicateOutcome, outcome, "outcome")
    if decided is DuplicateOutcome.OPEN:
        raise InvalidInput("outcome", "must be SAME_PERSON or DIFFERENT_PEOPLE")
    reason = required_text(reason, "reason", max_length=1000, min_length=10)
    held = session.get_one(Person, review.held_person_id)
    review.outcome, review.reason = decided, reason
    review.resolved_at, review.resolved_by = utcnow(), actor.user_id

    if decided is DuplicateOutcome.SAME_PERSON:
        _merge(session, actor, held, session.get_one(Person, review.existing_person_id))
        for other in _open_reviews(session, held.id):
            other.outcome, other.reason = DuplicateOutcome.SUPERSEDED, f"merged: {reason}"
            other.resolved_at, other.resolved_by = review.resolved_at, actor.user_id
    elif review.matched_on is not DuplicateMatch.NAME_DOB_IDENTIFIER:
        raise RuleViolation(
            "R-56",
            "outcome",
            f"two different people cannot share a {review.matched_on}; correct the identifier "
            "with its source agency, then record the person again",
        )
    elif not _open_reviews(session, held.id):
        _release(session, held)
    session.flush()
    audit_write(
        session,
        actor,
        AuditOperation.ALTER,
        "duplicate_review",
        review.id,
        person_id=held.id,
        fields=("outcome", "reason"),
        outcome=decided.value,
    )
    return held


def _merge(session: Session, actor: Actor, held: Person, existing: Person) -> None:
    known_ids = {(i.scheme, i.value) for i in existing.identifiers}
    for identifier in held.identifiers:
        if (identifier.scheme, identifier.value) not in known_ids:
            existing.identifiers.append(
                PersonIdentifier(
                    scheme=identifier.scheme,
                    value=identifier.value,
                    source_agency_id=identifier.source_agency_id,
                    claims=identifier.scheme in DECISIVE_SCHEMES,
                )
            )
    known_names = {(n.given_key, n.family_key) for n in existing.names}
    for name in held.names:
        if (name.given_key, name.family_key) not in known_names:
            alias = NameType.ALIAS if name.type is NameType.PRIMARY else name.type
            existing.names.append(
                PersonName(
                    type=alias,
                    given=name.given,
                    family=name.family,
                    given_key=name.given_key,
                    family_key=name.family_key,
                )
            )
    held.status, held.merged_into_id = PersonStatus.MERGED, existing.id
    session.flush()
    audit_write(
        session,
        actor,
        AuditOperation.COMBINE,
        "person",
        existing.id,
        person_id=existing.id,
        fields=("identifiers", "names"),
        extra={"merged_from": str(held.id)},
    )


def _release(session: Session, held: Person) -> None:
    held.status = PersonStatus.ACTIVE
    for identifier in held.identifiers:
        identifier.claims = identifier.scheme in DECISIVE_SCHEMES


def _open_reviews(session: Session, held_id: uuid.UUID) -> list[DuplicateReview]:
    return list(
        session.scalars(
            select(DuplicateReview).where(
                DuplicateReview.held_person_id == held_id,
                DuplicateReview.outcome == DuplicateOutcome.OPEN,
            )
        )
    )


def _find_matches(
    session: Session,
    names: list[tuple[NameType, str, str]],
    dob: date,
    identifiers: list[tuple[IdentifierScheme, str]],
) -> dict[uuid.UUID, DuplicateMatch]:
    found: dict[uuid.UUID, DuplicateMatch] = {}
    live = Person.status != PersonStatus.MERGED
    for scheme, value in identifiers:
        if scheme in DECISIVE_SCHEMES:
            rows = session.scalars(
                select(PersonIdentifier.person_id)
                .join(Person)
                .where(identifier_is(scheme, value), live)
            )
            for person_id in rows:
                found.setdefault(person_id, DuplicateMatch(scheme.value))
    others = [(s, v) for s, v in identifiers if s not in DECISIVE_SCHEMES]
    if others:
        for _, given, family in names:
            candidates = session.scalars(
                select(Person)
                .join(PersonName)
                .where(
                    live,
                    Person.date_of_birth == dob,
                    PersonName.given_key == name_key(given),
                    PersonName.family_key == name_key(family),
                )
            ).unique()
            for candidate in candidates:
                theirs = {(i.scheme, i.value) for i in candidate.identifiers}
                if theirs.intersection(others):
                    found.setdefault(candidate.id, DuplicateMatch.NAME_DOB_IDENTIFIER)
    return found


def parse_names(names: list[NameInput]) -> list[tuple[NameType, str, str]]:
    if not names:
        raise InvalidInput("names", "at least one name is required")
    parsed = []
    for i, name in enumerate(names):
        parsed.append(
            (
                parse_enum(NameType, name.type, f"names[{i}].type"),
                required_text(name.given, f"names[{i}].given", max_length=100),
                required_text(name.family, f"names[{i}].family", max_length=100),
            )
        )
    if sum(1 for t, _, _ in parsed if t is NameType.PRIMARY) != 1:
        raise InvalidInput("names", "exactly one PRIMARY name is required")
    return parsed


def parse_identifiers(pairs: list[tuple[str, str]]) -> list[tuple[IdentifierScheme, str]]:
    parsed: list[tuple[IdentifierScheme, str]] = []
    for i, (scheme, value) in enumerate(pairs):
        s = parse_enum(IdentifierScheme, scheme, f"identifiers[{i}].scheme")
        v = required_text(value, f"identifiers[{i}].value", max_length=64).upper()
        if any(s == seen for seen, _ in parsed) and s in DECISIVE_SCHEMES:
            raise InvalidInput(f"identifiers[{i}].scheme", f"a person has only one {s}")
        parsed.append((s, v))
    return parsed


def _name_row(name: tuple[NameType, str, str]) -> PersonName:
    kind, given, family = name
    return PersonName(
        type=kind,
        given=given,
        family=family,
        given_key=name_key(given),
        family_key=name_key(family),
    )


def _audit_collect(session: Session, actor: Actor, person: Person, *, held: bool) -> None:
    audit_write(
        session,
        actor,
        AuditOperation.COLLECT,
        "person",
        person.id,
        person_id=person.id,
        fields=("names", "date_of_birth", "sex", "identifiers", "ethnicity_text", "nationality"),
        outcome="R-56 held as possible duplicate" if held else None,
    )
