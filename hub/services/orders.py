"""Civil orders and their prohibitions (domain.md §4.2, R-39)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.orm import Session

from hub.actor import Actor
from hub.errors import InvalidInput, NotFound, RuleViolation
from hub.models import CivilOrder, OrderProhibition, Person
from hub.services.checks import parse_enum, required_text
from hub.services.recording import audit_write
from hub.vocabulary import AuditOperation, OrderType, ProhibitionCategory

SHPO_TYPES = (OrderType.SHPO, OrderType.INTERIM_SHPO)


@dataclass(frozen=True)
class ProhibitionInput:
    category: str
    text: str
    end_date: date | None = None
    until_further_order: bool = False


@dataclass(frozen=True)
class OrderInput:
    person_id: uuid.UUID
    type: str
    court: str
    made_date: date
    prohibitions: list[ProhibitionInput] = field(default_factory=list)
    end_date: date | None = None
    until_further_order: bool = False
    passport_surrendered: bool | None = None


def record_order(session: Session, actor: Actor, details: OrderInput) -> CivilOrder:
    person = session.get(Person, details.person_id)
    if person is None:
        raise NotFound("person")
    kind = parse_enum(OrderType, details.type, "type")
    if details.end_date is not None and details.end_date <= details.made_date:
        raise InvalidInput("end_date", "must be after made_date")
    prohibitions = [
        _prohibition(kind, details, p, f"prohibitions[{i}]")
        for i, p in enumerate(details.prohibitions)
    ]
    order = CivilOrder(
        person_id=person.id,
        type=kind,
        court=required_text(details.court, "court", max_length=200),
        made_date=details.made_date,
        end_date=details.end_date,
        until_further_order=details.until_further_order,
        passport_surrendered=details.passport_surrendered,
        owning_agency_id=actor.agency_id,
        created_by=actor.user_id,
        prohibitions=prohibitions,
    )
    session.add(order)
    session.flush()
    audit_write(
        session,
        actor,
        AuditOperation.COLLECT,
        "civil_order",
        order.id,
        person_id=person.id,
        fields=("type", "court", "made_date", "end_date", "prohibitions", "passport_surrendered"),
    )
    return order


def _prohibition(
    kind: OrderType, order: OrderInput, p: ProhibitionInput, path: str
) -> OrderProhibition:
    category = parse_enum(ProhibitionCategory, p.category, f"{path}.category")
    if p.end_date is None and not p.until_further_order:
        raise InvalidInput(f"{path}.end_date", "give an end date or until_further_order")
    if kind in SHPO_TYPES and category is ProhibitionCategory.FOREIGN_TRAVEL:
        # foreign travel bans are capped at five years and need the passport recorded.
        if p.until_further_order or p.end_date is None or p.end_date > _years(order.made_date, 5):
            raise RuleViolation(
                "R-39",
                f"{path}.end_date",
                "a foreign travel prohibition must end within 5 years of the order",
            )
        if order.passport_surrendered is None:
            raise RuleViolation(
                "R-39",
                "passport_surrendered",
                "record whether the passport was surrendered for a foreign travel prohibition",
            )
    elif kind in SHPO_TYPES and not p.until_further_order:
        assert p.end_date is not None
        if p.end_date < _years(order.made_date, 5):
            raise RuleViolation(
                "R-39",
                f"{path}.end_date",
                "an SHPO prohibition lasts at least 5 years, or until further order",
            )
    return OrderProhibition(
        category=category,
        text=required_text(p.text, f"{path}.text", max_length=5000),
        end_date=p.end_date,
        until_further_order=p.until_further_order,
    )


def _years(start: date, years: int) -> date:
    try:
        return start.replace(year=start.year + years)
    except ValueError:  # 29 February
        return start.replace(year=start.year + years, day=28)
