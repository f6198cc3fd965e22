"""Records as the policy sees them: per-record attributes, and field values to show or withhold.

Field names follow `fields:` in policies/schema.yaml so redactions can name them; a field a
policy cannot name is still withheld by a whitelist (`RedactAllExcept`). Values are already
plain (str, int, bool, lists of str): nothing of an ORM object leaves the gate.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from enum import Enum
from typing import Protocol

from hub.actor import Actor
from hub.consent.basis import ItemBasis
from hub.gate.records import ItemRecord, Memo, PersonDetails, PersonRecord, opened
from hub.models import InformationItem, Person
from hub.vocabulary import RESTRICTED_SCHEMES, Category, Classification, LegalBasis


class Lazy:
    """A field value worked out only if a view returns the field (sealed text is opened
    then, and only then: a withheld field is never decrypted)."""

    __slots__ = ("compute",)

    def __init__(self, compute: Callable[[], object]) -> None:
        self.compute = compute


class Fields(Mapping[str, object]):
    """A resource's fields, in order; values given as `Lazy` are computed on first read."""

    __slots__ = ("_values",)

    def __init__(self, values: dict[str, object]) -> None:
        self._values = values

    def __getitem__(self, name: str) -> object:
        value = self._values[name]
        if isinstance(value, Lazy):
            value = self._values[name] = value.compute()
        return value

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)


@dataclass(frozen=True)
class Resource:
    type: str  # a resource_type of policies/schema.yaml
    id: uuid.UUID
    attributes: dict[str, object]
    fields: Mapping[str, object]
    category: str | None = None


class CaseLike(Protocol):
    """A case as a loaded object (MappaCase) or as a row (hub.gate.records.CaseRecord)."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def person_id(self) -> uuid.UUID: ...
    @property
    def owning_agency_id(self) -> uuid.UUID: ...
    @property
    def classification(self) -> Classification: ...
    @property
    def category(self) -> int: ...
    @property
    def current_level(self) -> int: ...
    @property
    def status(self) -> Enum: ...
    @property
    def lead_agency_id(self) -> uuid.UUID: ...
    @property
    def location_status(self) -> Enum: ...
    @property
    def mappa_area(self) -> str: ...
    @property
    def start_date(self) -> date: ...
    @property
    def next_review_due(self) -> date | None: ...


def case_resource(case: CaseLike, actor: Actor, relationships: frozenset[str]) -> Resource:
    return Resource(
        "case",
        case.id,
        {
            "resource.type": "case",
            "actor.case_relationships": relationships,
            "actor.is_item_owner": case.owning_agency_id == actor.agency_id,
            "resource.owning_agency_id": str(case.owning_agency_id),
            "resource.classification": case.classification.value,
        },
        {
            "category": case.category,
            "current_level": case.current_level,
            "status": case.status.value,
            "lead_agency": str(case.lead_agency_id),
            "location_status": case.location_status.value,
            "mappa_area": case.mappa_area,
            "start_date": case.start_date.isoformat(),
            "next_review_due": _iso(case.next_review_due),
        },
    )


def person_resource(
    person: PersonRecord,
    actor: Actor,
    relationships: frozenset[str],
    details: Callable[[], PersonDetails],
) -> Resource:
    """The person of a case; `details` loads names, identifiers and addresses, called at
    most once and only if a view returns one of them."""
    loaded = Memo(details)

    def identifiers(restricted: bool) -> list[str]:
        found: PersonDetails = loaded()
        return [
            f"{scheme.value}:{value}"
            for scheme, value in found.identifiers
            if (scheme in RESTRICTED_SCHEMES) is restricted
        ]

    return Resource(
        "person",
        person.id,
        {
            "resource.type": "person",
            "actor.case_relationships": relationships,
            "actor.is_item_owner": person.owning_agency_id == actor.agency_id,
            "resource.owning_agency_id": str(person.owning_agency_id),
            "resource.classification": person.classification.value,
        },
        Fields(
            {
                "names": Lazy(lambda: [f"{g} {f} ({t.value})" for t, g, f in loaded().names]),
                "date_of_birth": person.date_of_birth.isoformat(),
                "sex_gender": person.sex.value,
                "ethnicity_text": Lazy(
                    lambda: opened(Person.ethnicity_text, person.id, person.ethnicity_text_stored)
                ),
                "identifiers": Lazy(lambda: identifiers(False)),
                # NHS and NI numbers are special-category: a field of their own, so the policy
                # can withhold them without withholding the PNC and CRN everyone works from.
                "identity_documents": Lazy(lambda: identifiers(True)),
                "address": Lazy(lambda: list(loaded().addresses)),
            }
        ),
    )


def item_resource(
    item: ItemRecord,
    actor: Actor,
    relationships: frozenset[str],
    *,
    owning_agency_type: str,
    named_agencies: Collection[uuid.UUID],
    basis: ItemBasis | None = None,
) -> Resource:
    named = actor.agency_id in named_agencies
    category = item.category.value
    return Resource(
        "item",
        item.id,
        {
            "resource.type": "item",
            "resource.category": category,
            "actor.case_relationships": relationships | {"NAMED_ON_ITEM"}
            if named
            else relationships,
            "actor.is_item_owner": item.owning_agency_id == actor.agency_id,
            "actor.named_on_item": named,
            "resource.owning_agency_id": str(item.owning_agency_id),
            "resource.owning_agency_type": owning_agency_type,
            "resource.classification": item.classification.value,
            "resource.legal_basis": item.legal_basis.value,
            "resource.originator_control": item.originator_control,
            "resource.recipient_of_original_share": named,
            "resource.consent_state": basis.consent_state if basis else _consent_state(item),
            "resource.public_interest_state": basis.public_interest_state if basis else "NONE",
            # The record has no per-item flag yet: a victim's address is confidential until
            # shown otherwise, so it is withheld rather than leaked.
            "resource.address_confidential": item.category is Category.VICTIM,
        },
        Fields(
            {
                "summary": Lazy(lambda: opened(InformationItem.title, item.id, item.title_stored)),
                "content": Lazy(
                    lambda: opened(InformationItem.content, item.id, item.content_stored)
                ),
                "reference": item.source_reference,
                "handling": "originator control" if item.originator_control else None,
                "category": category,
                "classification": item.classification.value,
                "legal_basis": item.legal_basis.value,
                "owning_agency": str(item.owning_agency_id),
                "received_at": item.received_at.isoformat(),
            }
        ),
        category,
    )


def _consent_state(item: ItemRecord) -> str:
    if item.legal_basis is not LegalBasis.CONSENT:
        return "NOT_REQUIRED"
    # Without the person's consents loaded (hub.consent.basis) no consent can be shown to
    # cover the share, and the health rules deny it (fail closed).
    return "NONE"


def _iso(value: object) -> str | None:
    return None if value is None else value.isoformat()  # type: ignore[attr-defined]
