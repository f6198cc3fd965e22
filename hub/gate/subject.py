"""A person and the records held about them, through the gate: the person itself, a case's
level and category changes, risk assessments, orders with their prohibitions, notification
requirements with their events.

What the policy decides for each (policies/schema.yaml has no resource type of their own,
and needs none):

- the person is the `person` resource, exactly as in a case read;
- a case's changes are the case's own history: each is decided as the `case` resource;
- risk assessments, orders and notification requirements are information about the person
  that an agency holds and owns, decided like items of a category (`resource.type: item`):
  risk assessments RISK, orders and notification requirements CONVICTION (court-made
  obligations following conviction or cautions), under the MAPPA duty to co-operate
  (CJA_S325). So every item rule applies to them unchanged: need to know by relationship,
  ownership, purpose, break-glass, and the API-client rules.

A person is reached through a case: the first of their cases (open before closed, newest
first) that the reader may read gives the relationships every record of theirs is decided
with. A person with no such case answers exactly as a missing one (404), and the refusal is
audited. Every record decided is audited (CONSULT or DENY) before anything is returned.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import case as sql_case
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.gate.agencies import agency_types
from hub.gate.gate import Gate, _Asked, _today, not_found
from hub.gate.reader import Reader
from hub.gate.records import LoadedCase, load_case, load_person_details
from hub.gate.relationships import case_relationships
from hub.gate.resources import Resource, case_resource, person_resource
from hub.gate.views import View
from hub.models import (
    CaseChange,
    CivilOrder,
    MappaCase,
    NotificationRequirement,
    RiskAssessment,
)
from hub.vocabulary import CaseStatus, Category, Classification, LegalBasis

# The basis these records are shared under among MAPPA agencies (CJA 2003 s.325).
SHARED_UNDER = LegalBasis.CJA_S325


@dataclass(frozen=True)
class Standing:
    """The case through which a reader reaches a person, and how it stands to that case."""

    loaded: LoadedCase
    relationships: frozenset[str]


def standing(gate: Gate, session: Session, reader: Reader, person_id: uuid.UUID) -> Standing:
    """The first case of the person the reader may read; NotFound (audited) if none."""
    case_ids = session.scalars(
        select(MappaCase.id)
        .where(MappaCase.person_id == person_id)
        .order_by(
            sql_case((MappaCase.status == CaseStatus.CLOSED, 1), else_=0),
            MappaCase.start_date.desc(),
            MappaCase.id,
        )
    ).all()
    for case_id in case_ids:
        loaded = load_case(session, case_id)
        if loaded is None:
            continue
        relationships = case_relationships(reader.actor, loaded.members, _today(reader))
        asked = _Asked(
            case_resource(loaded.case, reader.actor, relationships),
            loaded.case.owning_agency_id,
            loaded.case.id,
            loaded.case.person_id,
        )
        if gate._decide(reader, [asked], "read")[0].decision.permitted:
            return Standing(loaded, relationships)
    gate._deny_missing(session, reader, "person", person_id)
    raise not_found("person")


def read_person(
    gate: Gate, session: Session, reader: Reader, person_id: uuid.UUID
) -> tuple[View, Standing]:
    """The person as the reader may see them, decided as in a case read of their case."""
    found = standing(gate, session, reader, person_id)
    person = found.loaded.person
    if person is None:
        raise not_found("person")
    case = found.loaded.case
    resource = person_resource(
        person,
        reader.actor,
        found.relationships,
        functools.partial(load_person_details, session, person.id),
    )
    asked = _Asked(resource, person.owning_agency_id, case.id, person.id)
    views = gate._record(session, reader, gate._decide(reader, [asked], "read"))
    if not views:
        raise not_found("person")
    return views[0], found


def read_case_changes(
    gate: Gate,
    session: Session,
    reader: Reader,
    case_id: uuid.UUID,
    *,
    limit: int,
    after: tuple[Any, uuid.UUID] | None = None,
) -> tuple[list[View], tuple[Any, uuid.UUID] | None]:
    """A page of a case's level, category, status and lead changes, oldest first."""
    loaded = load_case(session, case_id)
    if loaded is None:
        gate._deny_missing(session, reader, "mappa_case", case_id)
        raise not_found("case")
    case = loaded.case
    relationships = case_relationships(reader.actor, loaded.members, _today(reader))
    query = select(CaseChange).where(CaseChange.case_id == case_id)
    if after is not None:
        moment, last = after
        query = query.where(
            (CaseChange.changed_at > moment)
            | ((CaseChange.changed_at == moment) & (CaseChange.id > last))
        )
    changes = session.scalars(
        query.order_by(CaseChange.changed_at, CaseChange.id).limit(limit)
    ).all()
    # The case itself first: a reader who may not read the case learns nothing of its
    # history, and is answered as for a missing case.
    case_decision = gate._decide(
        reader,
        [
            _Asked(
                case_resource(case, reader.actor, relationships),
                case.owning_agency_id,
                case.id,
                case.person_id,
            )
        ],
        "read",
    )
    if not case_decision[0].decision.permitted:
        gate._record(session, reader, case_decision)
        raise not_found("case")
    case_attributes = case_resource(case, reader.actor, relationships).attributes
    asked = [
        _Asked(
            Resource("case_change", change.id, case_attributes, _change_fields(change)),
            case.owning_agency_id,
            case.id,
            case.person_id,
        )
        for change in changes
    ]
    views = gate._record(session, reader, gate._decide(reader, asked, "read")) if asked else []
    following = (changes[-1].changed_at, changes[-1].id) if len(changes) == limit else None
    return views, following


def read_held(
    gate: Gate,
    session: Session,
    reader: Reader,
    person_id: uuid.UUID,
    kind: str,
) -> list[View]:
    """The risk assessments, orders or notification requirements held about a person that
    the reader may see; each is decided (and audited) on its own."""
    found = standing(gate, session, reader, person_id)
    held = HELD[kind]
    records = held.load(session, person_id)
    if not records:
        return []
    types = agency_types.of(session, {r.owning_agency_id for r in records})
    case = found.loaded.case
    asked = [
        _Asked(
            _held_resource(
                kind,
                record.id,
                held.category,
                record.owning_agency_id,
                types[record.owning_agency_id].value,
                reader,
                found.relationships,
                held.fields(record),
            ),
            record.owning_agency_id,
            case.id,
            person_id,
        )
        for record in records
    ]
    return gate._record(session, reader, gate._decide(reader, asked, "read"))


@dataclass(frozen=True)
class Held:
    category: Category
    load: Callable[[Session, uuid.UUID], Sequence[Any]]
    fields: Callable[[Any], dict[str, object]]


def _held_resource(
    kind: str,
    record_id: uuid.UUID,
    category: Category,
    owner: uuid.UUID,
    owner_type: str,
    reader: Reader,
    relationships: frozenset[str],
    fields: dict[str, object],
) -> Resource:
    actor = reader.actor
    return Resource(
        kind,
        record_id,
        {
            "resource.type": "item",
            "resource.category": category.value,
            "actor.case_relationships": relationships,
            "actor.is_item_owner": owner == actor.agency_id,
            "actor.named_on_item": False,
            "resource.owning_agency_id": str(owner),
            "resource.owning_agency_type": owner_type,
            "resource.classification": Classification.OFFICIAL_SENSITIVE.value,
            "resource.legal_basis": SHARED_UNDER.value,
            "resource.originator_control": False,
            "resource.recipient_of_original_share": False,
            "resource.consent_state": "NOT_REQUIRED",
            "resource.public_interest_state": "NONE",
            "resource.address_confidential": False,
        },
        fields,
        category.value,
    )


def _change_fields(change: CaseChange) -> dict[str, object]:
    return {
        "kind": change.kind.value,
        "old_value": change.old_value,
        "new_value": change.new_value,
        "reason": change.reason,
        "level_two_basis": change.level_two_basis.value if change.level_two_basis else None,
        "changed_at": change.changed_at.isoformat(),
        "meeting_id": str(change.meeting_id) if change.meeting_id else None,
    }


def _risk_fields(risk: RiskAssessment) -> dict[str, object]:
    return {
        "tool": risk.tool.value,
        "algorithm_version": risk.algorithm_version,  # scores compare within one
        "score": None if risk.score is None else str(risk.score),
        "band": risk.band.value,
        "not_applicable_reason": risk.not_applicable_reason,
        "assessed_at": risk.assessed_at.isoformat(),
        "status": risk.status.value,
        "next_review_due": _iso(risk.next_review_due),
        "owning_agency": str(risk.owning_agency_id),
        "case_id": str(risk.case_id) if risk.case_id else None,
    }


def _order_fields(order: CivilOrder) -> dict[str, object]:
    return {
        "type": order.type.value,
        "court": order.court,
        "made_date": order.made_date.isoformat(),
        "end_date": _iso(order.end_date),
        "until_further_order": order.until_further_order,
        "passport_surrendered": order.passport_surrendered,
        "owning_agency": str(order.owning_agency_id),
        "prohibitions": [
            {
                "category": p.category.value,
                "text": p.text,
                "end_date": _iso(p.end_date),
                "until_further_order": p.until_further_order,
            }
            for p in order.prohibitions
        ],
    }


def _notification_fields(requirement: NotificationRequirement) -> dict[str, object]:
    return {
        "regime": requirement.regime.value,
        "relevant_date": requirement.relevant_date.isoformat(),
        "indefinite": requirement.indefinite,
        "period_years": requirement.period_years,
        "end_date": _iso(requirement.end_date),
        "review_eligibility_date": _iso(requirement.review_eligibility_date),
        "last_periodic_notification": _iso(requirement.last_periodic_notification),
        "next_periodic_due": _iso(requirement.next_periodic_due),
        "weekly_required": requirement.weekly_required,
        "prescribed_station": requirement.prescribed_station,
        "owning_agency": str(requirement.owning_agency_id),
        "events": [
            {
                "type": e.type.value,
                "trigger_date": e.trigger_date.isoformat(),
                "due_by": e.due_by.isoformat(),
                "received_at": _iso(e.received_at),
                "station": e.station,
                "status": e.status.value,
            }
            for e in sorted(requirement.events, key=lambda e: (e.trigger_date, e.id))
        ],
    }


def _iso(value: Any) -> str | None:
    return None if value is None else str(value.isoformat())


def _risks(session: Session, person_id: uuid.UUID) -> Sequence[RiskAssessment]:
    return session.scalars(
        select(RiskAssessment)
        .where(RiskAssessment.person_id == person_id)
        .order_by(RiskAssessment.assessed_at.desc(), RiskAssessment.id)
    ).all()


def _orders(session: Session, person_id: uuid.UUID) -> Sequence[CivilOrder]:
    return session.scalars(
        select(CivilOrder)
        .where(CivilOrder.person_id == person_id)
        .order_by(CivilOrder.made_date.desc(), CivilOrder.id)
    ).all()


def _notifications(session: Session, person_id: uuid.UUID) -> Sequence[NotificationRequirement]:
    return session.scalars(
        select(NotificationRequirement)
        .where(NotificationRequirement.person_id == person_id)
        .order_by(NotificationRequirement.relevant_date.desc(), NotificationRequirement.id)
    ).all()


HELD: dict[str, Held] = {
    "risk_assessment": Held(Category.RISK, _risks, _risk_fields),
    "civil_order": Held(Category.CONVICTION, _orders, _order_fields),
    "notification_requirement": Held(Category.CONVICTION, _notifications, _notification_fields),
}
