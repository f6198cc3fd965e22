"""Writes through the gate: the policy decides `create`, `edit` and `annotate` before a service
changes anything, and a refusal is audited as DENY.

The services still enforce their own rules (R-14 ownership, field validation); this adds the
need-to-know question they cannot answer alone: does the writer's agency work this case, for
a purpose that allows it? A refused writer who may not even see the case is told what a
missing case would tell it (404); one who may see it is told why not (403).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.orm import Session

from hub.errors import HubError
from hub.gate import audit
from hub.gate.gate import Gate, not_found, relationships_to
from hub.gate.reader import Reader
from hub.gate.views import View
from hub.models import InformationItem, MappaCase
from hub.policy import Decision, RequireJustification, enforce
from hub.vocabulary import AuditOperation


class WriteRefused(HubError):
    """The policy refuses the write; `reason` is the plain-English why."""

    def __init__(self, reason: str, decision: Decision) -> None:
        super().__init__(reason)
        self.reason = reason
        self.decision = decision


@dataclass(frozen=True)
class WriteTarget:
    case: MappaCase
    item: InformationItem | None = None
    category: str | None = None  # of the item to be created


def authorise(
    gate: Gate,
    session: Session,
    reader: Reader,
    action: str,
    target: WriteTarget,
) -> Decision:
    """Decide `action` on the target; on a deny write the DENY entry and raise.

    The caller commits the DENY (and nothing else) before answering: the refusal is evidence.
    """
    case = target.case
    relationships = relationships_to(session, reader, case)
    item = target.item
    owner = item.owning_agency_id if item is not None else reader.actor.agency_id
    category = item.category.value if item is not None else target.category
    attributes: dict[str, object] = {
        "action": action,
        "resource.type": "item",
        "actor.case_relationships": relationships,
        # A new item is owned by the agency that creates it: the controller is the writer.
        "actor.is_item_owner": owner == reader.actor.agency_id,
        "resource.owning_agency_id": str(owner),
    }
    if category is not None:
        attributes["resource.category"] = category
    if item is not None:
        attributes["resource.classification"] = item.classification.value
        attributes["resource.legal_basis"] = item.legal_basis.value
        attributes["resource.originator_control"] = item.originator_control
    # A write carries out no obligation but a justification (which the engine checks itself):
    # a permit asking for anything more is refused until the write path can do it.
    decision = enforce(
        gate.policy.decide({**reader.attributes(), **attributes}),
        lambda obligation: isinstance(obligation, RequireJustification),
    )
    if decision.permitted:
        return decision
    record_id = item.id if item is not None else case.id
    entry = audit.entry(
        reader,
        AuditOperation.DENY,
        "information_item" if item is not None else "mappa_case",
        record_id,
        decision,
        person_id=case.person_id,
        case_id=case.id,
    )
    entry.extra["action"] = action
    audit.write(session, [entry])
    if not _may_see(gate, reader, case, relationships):
        raise not_found("case")
    raise WriteRefused(decision.explanation.summary, decision)


def case_for_write(gate: Gate, session: Session, reader: Reader, case_id: uuid.UUID) -> MappaCase:
    """The case to write to; a missing one is logged as a DENY, like a missing read."""
    case = session.get(MappaCase, case_id)
    if case is None:
        gate._deny_missing(session, reader, "mappa_case", case_id)
        raise not_found("case")
    return case


def item_for_write(
    gate: Gate, session: Session, reader: Reader, item_id: uuid.UUID
) -> tuple[MappaCase, InformationItem]:
    item = session.get(InformationItem, item_id)
    if item is None:
        gate._deny_missing(session, reader, "information_item", item_id)
        raise not_found("item")
    return session.get_one(MappaCase, item.case_id), item


def _may_see(gate: Gate, reader: Reader, case: MappaCase, relationships: frozenset[str]) -> bool:
    from hub.gate.resources import case_resource

    resource = case_resource(case, reader.actor, relationships)
    request = {**reader.attributes(), **resource.attributes, "action": "read"}
    return gate.policy.decide(request).permitted


def read_item(gate: Gate, session: Session, reader: Reader, item_id: uuid.UUID) -> View:
    """One current item as `reader` may see it, audited like a case read."""
    item = session.get(InformationItem, item_id)
    if item is None or item.superseded_by_id is not None:
        gate._deny_missing(session, reader, "information_item", item_id)
        raise not_found("item")
    case = session.get_one(MappaCase, item.case_id)
    relationships = relationships_to(session, reader, case)
    asked = gate._items(session, reader, case, relationships, item_id=item.id)
    views = gate._record(session, reader, gate._decide(reader, asked, "read"))
    if not views:
        raise not_found("item")
    return views[0]
