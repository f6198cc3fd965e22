"""Records as the policy sees them: per-record attributes, and field values to show or withhold.

Field names follow `fields:` in policies/schema.yaml so redactions can name them; a field a
policy cannot name is still withheld by a whitelist (`RedactAllExcept`). Values are already
plain (str, int, bool, lists of str): nothing of an ORM object leaves the gate.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass

from hub.actor import Actor
from hub.consent.basis import ItemBasis
from hub.models import Address, InformationItem, MappaCase, Person
from hub.vocabulary import RESTRICTED_SCHEMES, Category, LegalBasis


@dataclass(frozen=True)
class Resource:
    type: str  # a resource_type of policies/schema.yaml
    id: uuid.UUID
    attributes: dict[str, object]
    fields: dict[str, object]
    category: str | None = None


def case_resource(case: MappaCase, actor: Actor, relationships: frozenset[str]) -> Resource:
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


def person_resource(person: Person, actor: Actor, relationships: frozenset[str]) -> Resource:
    identifiers = [f"{i.scheme.value}:{i.value}" for i in person.identifiers]
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
        {
            "names": [f"{n.given} {n.family} ({n.type.value})" for n in person.names],
            "date_of_birth": person.date_of_birth.isoformat(),
            "sex_gender": person.sex.value,
            "ethnicity_text": person.ethnicity_text,
            "identifiers": [
                i
                for i, row in zip(identifiers, person.identifiers, strict=True)
                if row.scheme not in RESTRICTED_SCHEMES
            ],
            # NHS and NI numbers are special-category: a field of their own, so the policy
            # can withhold them without withholding the PNC and CRN everyone works from.
            "identity_documents": [
                i
                for i, row in zip(identifiers, person.identifiers, strict=True)
                if row.scheme in RESTRICTED_SCHEMES
            ],
            "address": [_address(a) for a in person.addresses if a.valid_to is None],
        },
    )


def item_resource(
    item: InformationItem,
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
        {
            "summary": item.title,
            "content": item.content,
            "reference": item.source_reference,
            "handling": "originator control" if item.originator_control else None,
            "category": category,
            "classification": item.classification.value,
            "legal_basis": item.legal_basis.value,
            "owning_agency": str(item.owning_agency_id),
            "received_at": item.received_at.isoformat(),
        },
        category,
    )


def _consent_state(item: InformationItem) -> str:
    if item.legal_basis is not LegalBasis.CONSENT:
        return "NOT_REQUIRED"
    # Without the person's consents loaded (hub.consent.basis) no consent can be shown to
    # cover the share, and the health rules deny it (fail closed).
    return "NONE"


def _address(address: Address) -> str:
    parts = [address.line1, address.line2, address.town, address.postcode]
    return ", ".join(p for p in parts if p)


def _iso(value: object) -> str | None:
    return None if value is None else value.isoformat()  # type: ignore[attr-defined]
