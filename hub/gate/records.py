"""What a case read loads, as plain rows: the fewest statements, no ORM objects.

A case read used to cost fourteen statements and most of its time in the ORM (identity map,
instrumented attributes, relationship loaders). The policy needs a handful of columns per
record, so they are read with Core-style selects into named tuples:

1. the case, its person and the case's memberships (one row per membership);
2. the current items with the agencies named on them (one row per item and named agency);
3. the person's names, identifiers and current addresses, only when a field that shows them
   is actually returned (one UNION ALL);
plus the consents and decisions (hub.consent.basis, one statement when items need them).

Sealed columns come back as stored and are opened only for the fields a view returns.
Memberships are read from the database every time, never from a loaded collection: one added
in the same session must count, as the SQL list filter counts it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import date, datetime
from types import SimpleNamespace
from typing import Any, NamedTuple

from sqlalchemy import Date, String, bindparam, cast, literal, null, select, type_coerce, union_all
from sqlalchemy.orm import Session

from hub.crypto.fields import SealedField
from hub.db import core_rows
from hub.models import (
    Address,
    CaseMembership,
    InformationItem,
    ItemNamedAgency,
    MappaCase,
    Person,
    PersonIdentifier,
    PersonName,
)
from hub.vocabulary import (
    CaseStatus,
    Category,
    Classification,
    IdentifierScheme,
    LegalBasis,
    LocationStatus,
    MembershipRole,
    NameType,
    Sex,
)


class CaseRecord(NamedTuple):
    id: uuid.UUID
    person_id: uuid.UUID
    owning_agency_id: uuid.UUID
    classification: Classification
    category: int
    current_level: int
    status: CaseStatus
    lead_agency_id: uuid.UUID
    location_status: LocationStatus
    mappa_area: str
    start_date: date
    next_review_due: date | None


class PersonRecord(NamedTuple):
    id: uuid.UUID
    owning_agency_id: uuid.UUID
    classification: Classification
    date_of_birth: date
    sex: Sex
    ethnicity_text_stored: str | None


class MemberRecord(NamedTuple):
    agency_id: uuid.UUID
    user_id: uuid.UUID | None
    role: MembershipRole
    until: date | None


class ItemRecord(NamedTuple):
    id: uuid.UUID
    owning_agency_id: uuid.UUID
    category: Category
    classification: Classification
    legal_basis: LegalBasis
    originator_control: bool
    source_reference: str | None
    received_at: datetime
    title_stored: str
    content_stored: str


class LoadedCase(NamedTuple):
    case: CaseRecord
    person: PersonRecord | None
    members: list[MemberRecord]


class PersonDetails(NamedTuple):
    names: list[tuple[NameType, str, str]]  # type, given, family
    identifiers: list[tuple[IdentifierScheme, str]]  # scheme, value (opened)
    addresses: list[str]  # current addresses, one line each


_CASE = (
    MappaCase.id,
    MappaCase.person_id,
    MappaCase.owning_agency_id,
    MappaCase.classification,
    MappaCase.category,
    MappaCase.current_level,
    MappaCase.status,
    MappaCase.lead_agency_id,
    MappaCase.location_status,
    MappaCase.mappa_area,
    MappaCase.start_date,
    MappaCase.next_review_due,
)
_PERSON = (
    Person.id,
    Person.owning_agency_id,
    Person.classification,
    Person.date_of_birth,
    Person.sex,
    Person.ethnicity_text_stored,
)
_MEMBER = (
    CaseMembership.agency_id,
    CaseMembership.user_id,
    CaseMembership.role,
    CaseMembership.until,
)
_ITEM = (
    InformationItem.id,
    InformationItem.owning_agency_id,
    InformationItem.category,
    InformationItem.classification,
    InformationItem.legal_basis,
    InformationItem.originator_control,
    InformationItem.source_reference,
    InformationItem.received_at,
    InformationItem.title_stored,
    InformationItem.content_stored,
)


# Built once: composing a select costs more Python than executing a cached one.
_CASE_READ = (
    select(*_CASE, *_PERSON, *_MEMBER)
    .select_from(MappaCase)
    .outerjoin(Person, Person.id == MappaCase.person_id)
    .outerjoin(CaseMembership, CaseMembership.case_id == MappaCase.id)
    .where(MappaCase.id == bindparam("case_id"))
)
_MEMBERS = select(CaseMembership.case_id, *_MEMBER).where(
    CaseMembership.case_id.in_(bindparam("case_ids", expanding=True))
)
_ITEMS = (
    select(*_ITEM, ItemNamedAgency.agency_id)
    .outerjoin(ItemNamedAgency, ItemNamedAgency.item_id == InformationItem.id)
    .where(
        InformationItem.case_id == bindparam("case_id"),
        InformationItem.superseded_by_id.is_(None),
    )
    .order_by(InformationItem.received_at, InformationItem.id)
)
_ONE_ITEM = _ITEMS.where(InformationItem.id == bindparam("item_id"))


def _person_details_query() -> Any:
    text = String()
    person_id: Any = bindparam("person_id")
    names = select(
        literal("N").label("kind"),
        PersonName.id,
        type_coerce(PersonName.type, text).label("a"),
        type_coerce(PersonName.given, text).label("b"),
        type_coerce(PersonName.family, text).label("c"),
        cast(null(), String()).label("d"),
        cast(null(), Date).label("ord"),
    ).where(PersonName.person_id == person_id)
    identifiers = select(
        literal("I"),
        PersonIdentifier.id,
        type_coerce(PersonIdentifier.scheme, text),
        type_coerce(PersonIdentifier.value_stored, text),
        cast(null(), String()),
        cast(null(), String()),
        cast(null(), Date),
    ).where(PersonIdentifier.person_id == person_id)
    addresses = select(
        literal("A"),
        Address.id,
        type_coerce(Address.line1_stored, text),
        type_coerce(Address.line2_stored, text),
        type_coerce(Address.town_stored, text),
        type_coerce(Address.postcode_stored, text),
        Address.valid_from,
    ).where(Address.person_id == person_id, Address.valid_to.is_(None))
    query: Any = union_all(names, identifiers, addresses)
    return query.order_by(query.selected_columns.ord)


_PERSON_DETAILS = _person_details_query()


def load_case(session: Session, case_id: uuid.UUID) -> LoadedCase | None:
    """The case, its person and its memberships in one statement; None if no such case."""
    rows: Sequence[Any] = core_rows(session, _CASE_READ, {"case_id": case_id}).all()
    if not rows:
        return None
    first = rows[0]
    cut, person_end = len(_CASE), len(_CASE) + len(_PERSON)
    case = CaseRecord(*first[:cut])
    person = PersonRecord(*first[cut:person_end]) if first[cut] is not None else None
    members = [MemberRecord(*row[person_end:]) for row in rows if row[person_end] is not None]
    return LoadedCase(case, person, members)


def load_members(
    session: Session, case_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[MemberRecord]]:
    found: dict[uuid.UUID, list[MemberRecord]] = {}
    if case_ids:
        rows: Sequence[Any] = core_rows(session, _MEMBERS, {"case_ids": case_ids}).all()
        for case_id, *member in rows:
            found.setdefault(case_id, []).append(MemberRecord(*member))
    return found


def load_items(
    session: Session, case_id: uuid.UUID, item_id: uuid.UUID | None = None
) -> list[tuple[ItemRecord, frozenset[uuid.UUID]]]:
    """The case's current items, oldest first, each with the agencies named on it."""
    if item_id is None:
        rows = core_rows(session, _ITEMS, {"case_id": case_id})
    else:
        rows = core_rows(session, _ONE_ITEM, {"case_id": case_id, "item_id": item_id})
    items: dict[uuid.UUID, ItemRecord] = {}
    named: dict[uuid.UUID, set[uuid.UUID]] = {}
    for *columns, agency_id in rows:
        item = items.get(columns[0])
        if item is None:
            item = items[columns[0]] = ItemRecord(*columns)
            named[item.id] = set()
        if agency_id is not None:
            named[item.id].add(agency_id)
    return [(item, frozenset(named[item.id])) for item in items.values()]


def load_person_details(session: Session, person_id: uuid.UUID) -> PersonDetails:
    """Names, identifiers and current addresses of one person, in one statement."""
    rows: Sequence[Any] = core_rows(session, _PERSON_DETAILS, {"person_id": person_id}).all()
    found = PersonDetails([], [], [])
    for kind, row_id, a, b, c, d, _order in rows:
        if kind == "N":
            found.names.append((NameType(a), b, c))
        elif kind == "I":
            value = opened(PersonIdentifier.value, row_id, b)
            found.identifiers.append((IdentifierScheme(a), value))
        else:
            line = opened_all(
                row_id,
                (Address.line1, a),
                (Address.line2, b),
                (Address.town, c),
                (Address.postcode, d),
            )
            found.addresses.append(", ".join(p for p in line if p))
    return found


def opened(field: SealedField[Any], row_id: uuid.UUID, stored: str | None) -> Any:
    """The plaintext of a sealed column read as stored: the model's own field opens it,
    with the row id as its associated data, exactly as it opens a loaded object's."""
    return field.__get__(SimpleNamespace(**{"id": row_id, field.stored: stored}), object)


def opened_all(row_id: uuid.UUID, *fields: tuple[SealedField[Any], str | None]) -> list[str | None]:
    return [opened(field, row_id, value) for field, value in fields]


class Memo:
    """A value computed on first use and kept (one loader shared by several lazy fields)."""

    def __init__(self, compute: Callable[[], Any]) -> None:
        self._compute = compute
        self._done = False
        self._value: Any = None

    def __call__(self) -> Any:
        if not self._done:
            self._value = self._compute()
            self._done = True
        return self._value
