"""Recording, editing, annotating and erasing information items (R-13, R-14, R-57)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.actor import Actor
from hub.db import utcnow
from hub.errors import Conflict, InvalidInput, NotFound, RuleViolation
from hub.events import emit
from hub.models import Agency, InformationItem, ItemAnnotation, ItemNamedAgency, MappaCase
from hub.services.checks import optional_text, parse_classification, parse_enum, required_text
from hub.services.recording import audit_write
from hub.vocabulary import AuditOperation, Category, LegalBasis, SourceSystem

EDITABLE_FIELDS = ("title", "content", "classification", "legal_basis", "review_by")


@dataclass(frozen=True)
class ItemInput:
    case_id: uuid.UUID
    category: str
    legal_basis: str
    title: str
    content: str
    classification: str = "OFFICIAL_SENSITIVE"
    originator_control: bool = False
    source_system: str = SourceSystem.MANUAL
    source_reference: str | None = None
    received_at: datetime | None = None
    review_by: date | None = None
    named_agency_ids: list[uuid.UUID] = field(default_factory=list)


def record_item(session: Session, actor: Actor, details: ItemInput) -> InformationItem:
    """Store an item owned by the actor's agency (the data controller: domain.md §1.1)."""
    case = session.get(MappaCase, details.case_id)
    if case is None:
        raise NotFound("case")
    classification = parse_classification(details.classification)
    source_system = parse_enum(SourceSystem, details.source_system, "source_system")
    reference = optional_text(details.source_reference, "source_reference", max_length=200)
    if reference is not None and session.scalar(
        select(InformationItem.id).where(
            InformationItem.owning_agency_id == actor.agency_id,
            InformationItem.source_system == source_system,
            InformationItem.source_reference == reference,
        )
    ):
        raise InvalidInput("source_reference", f"{source_system} item {reference} is already held")
    named = _named_agencies(session, details.named_agency_ids)
    item = InformationItem(
        case_id=case.id,
        owning_agency_id=actor.agency_id,
        category=parse_enum(Category, details.category, "category"),
        classification=classification,
        legal_basis=parse_enum(LegalBasis, details.legal_basis, "legal_basis"),
        title=required_text(details.title, "title", max_length=200),
        content=required_text(details.content, "content", max_length=100_000),
        originator_control=bool(details.originator_control),
        source_system=source_system,
        source_reference=reference,
        received_at=details.received_at or utcnow(),
        review_by=details.review_by,
        created_by=actor.user_id,
        named_agencies=[ItemNamedAgency(agency_id=a) for a in named],
    )
    session.add(item)
    session.flush()
    audit_write(
        session,
        actor,
        AuditOperation.COLLECT,
        "information_item",
        item.id,
        person_id=case.person_id,
        case_id=case.id,
        fields=(
            "category",
            "classification",
            "legal_basis",
            "title",
            "content",
            "originator_control",
            "source_system",
            "source_reference",
            "named_agencies",
        ),
        extra={"category": item.category.value},
    )
    emit(
        session,
        event_type="item.created",
        case_id=case.id,
        item_id=item.id,
        data={"category": item.category.value},
    )
    return item


def edit_item(
    session: Session,
    actor: Actor,
    item_id: uuid.UUID,
    changes: dict[str, object],
    *,
    expected_version: int | None = None,
) -> InformationItem:
    """R-14: only the owning agency alters its item; others annotate instead."""
    item = _owned_item(session, actor, item_id, "edit")
    if expected_version is not None and item.version != expected_version:
        raise Conflict("the item changed since you read it; reload it and try again")
    unknown = sorted(set(changes) - set(EDITABLE_FIELDS))
    if unknown:
        raise InvalidInput(unknown[0], "cannot be edited")
    if not changes:
        raise InvalidInput("changes", "nothing to change")
    for name, value in changes.items():
        setattr(item, name, _parse_editable(name, value))
    session.flush()
    case = session.get_one(MappaCase, item.case_id)
    audit_write(
        session,
        actor,
        AuditOperation.ALTER,
        "information_item",
        item.id,
        person_id=case.person_id,
        case_id=case.id,
        fields=tuple(sorted(changes)),
    )
    return item


def annotate_item(session: Session, actor: Actor, item_id: uuid.UUID, text: str) -> ItemAnnotation:
    item = session.get(InformationItem, item_id)
    if item is None:
        raise NotFound("information item")
    note = ItemAnnotation(
        item_id=item.id,
        agency_id=actor.agency_id,
        author_id=actor.user_id,
        text=required_text(text, "text", max_length=10_000),
        created_at=utcnow(),
    )
    session.add(note)
    session.flush()
    case = session.get_one(MappaCase, item.case_id)
    audit_write(
        session,
        actor,
        AuditOperation.COLLECT,
        "item_annotation",
        note.id,
        person_id=case.person_id,
        case_id=case.id,
        fields=("text",),
        extra={"item": str(item.id)},
    )
    return note


def erase_item(session: Session, actor: Actor, item_id: uuid.UUID, reason: str) -> None:
    """R-57: an item is erased only on its owner's instruction, and the erasure is audited."""
    item = _owned_item(session, actor, item_id, "erase")
    reason = required_text(reason, "reason", max_length=1000, min_length=10)
    case = session.get_one(MappaCase, item.case_id)
    session.delete(item)
    session.flush()
    audit_write(
        session,
        actor,
        AuditOperation.ERASE,
        "information_item",
        item_id,
        person_id=case.person_id,
        case_id=case.id,
        extra={"reason_given": "yes"},
    )


def _owned_item(session: Session, actor: Actor, item_id: uuid.UUID, verb: str) -> InformationItem:
    item = session.get(InformationItem, item_id)
    if item is None:
        raise NotFound("information item")
    if item.owning_agency_id != actor.agency_id:
        owner = session.get_one(Agency, item.owning_agency_id)
        raise RuleViolation(
            "R-14",
            "owning_agency_id",
            f"only the owning agency ({owner.name}) may {verb} this item; other agencies "
            "may annotate it",
        )
    return item


def _parse_editable(name: str, value: object) -> object:
    if name == "classification":
        return parse_classification(value)
    if name == "legal_basis":
        return parse_enum(LegalBasis, value, name)
    if name == "review_by":
        if value is not None and not isinstance(value, date):
            raise InvalidInput(name, "must be a date (YYYY-MM-DD)")
        return value
    limit = 200 if name == "title" else 100_000
    return required_text(value, name, max_length=limit)


def _named_agencies(session: Session, ids: list[uuid.UUID]) -> list[uuid.UUID]:
    for i, agency_id in enumerate(ids):
        if session.get(Agency, agency_id) is None:
            raise InvalidInput(f"named_agency_ids[{i}]", "no such agency")
    return list(dict.fromkeys(ids))
