"""The record-level policy as a SQL WHERE clause, so lists and counts are filtered in the database.

For one reader and one action, every attribute of the reader is known; what differs from
record to record (how the reader stands to the case, who owns it, its marking) is not. The
rules in scope are partially evaluated on what is known, and what remains is translated to
SQL over the case table. The clause mirrors the engine's combination exactly:

    visible = any permit holds
              and no permit holds whose justification requirement the reader falls short of
              and no record-level forbid holds (a forbid that cannot be evaluated counts)

A residual condition over an attribute with no SQL translation raises `UnfilterableRule`:
the list refuses to run rather than guess (fail closed). A permit that cannot be evaluated
does not apply, as in the engine. The property test in tests/gate/test_list_filter.py checks
the clause against per-record decisions on random data.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from datetime import date

from sqlalchemy import ColumnElement, false, not_, true

from hub.errors import HubError
from hub.gate.clauses import Membership, Part, all_of, any_of, negate, sql
from hub.gate.reader import Reader
from hub.gate.relationships import membership_condition, membership_exists
from hub.models import MappaCase
from hub.policy import (
    AllOf,
    AnyOf,
    Comparison,
    Condition,
    Not,
    Operator,
    PolicySet,
    RequireJustification,
    RuleEffect,
    partial,
)
from hub.policy.errors import ConditionError
from hub.policy.evaluate import MISSING, Erred, evaluate_comparison

# Attributes a case request carries per record (hub/gate/resources.py builds them); every
# other attribute not given by the reader is absent from case requests.
CASE_RECORD_ATTRIBUTES = frozenset(
    {
        "actor.case_relationships",
        "actor.is_item_owner",
        "resource.owning_agency_id",
        "resource.classification",
    }
)


class UnfilterableRule(HubError):
    """A rule's condition depends on something the SQL filter cannot express."""


def case_filter(policy: PolicySet, reader: Reader, action: str, today: date) -> ColumnElement[bool]:
    """WHERE clause over `MappaCase` true exactly for the cases `reader` may `action`."""
    known: dict[str, object] = dict.fromkeys(policy.schema.attributes, MISSING)
    known.update(reader.attributes())
    known.update({"action": action, "resource.type": "case"})
    for name in CASE_RECORD_ATTRIBUTES:
        del known[name]
    justification = str(known.get("justification") or "").strip()
    to_sql = _Translator(reader, today, known, policy)

    permits: list[Part] = []
    short: list[Part] = []
    forbids: list[Part] = []
    given = {name: value for name, value in known.items() if value is not MISSING}
    for rule in policy.in_scope(given):
        if rule.is_field_forbid:
            continue  # withholds fields, never the record
        residual = partial(rule.when, known, policy.schema)
        forbid = rule.effect is RuleEffect.FORBID
        clause: Part
        if isinstance(residual, Erred):
            clause = true() if forbid else false()
        else:
            clause = to_sql.residual(rule.id, residual)
        if forbid:
            forbids.append(clause)
            continue
        permits.append(clause)
        needs = max(
            (o.min_chars for o in rule.obligations if isinstance(o, RequireJustification)),
            default=0,
        )
        if len(justification) < needs:
            short.append(clause)
    render = to_sql.membership
    visible = all_of(
        [any_of(permits, render), negate(any_of([*short, *forbids], render), render)], render
    )
    return sql(visible, render)


class _Translator:
    def __init__(
        self, reader: Reader, today: date, known: Mapping[str, object], policy: PolicySet
    ) -> None:
        self.known = known
        self.schema = policy.schema
        self.reader = reader
        self.today = today
        self.agency = reader.actor.agency_id
        self.attributes: Mapping[str, Callable[[Comparison], Part]] = {
            "actor.case_relationships": self._relationship,
            "actor.is_item_owner": self._owner,
            "resource.owning_agency_id": self._owning_agency,
            "resource.classification": self._classification,
        }

    def residual(self, rule_id: str, residual: bool | Condition) -> Part:
        if isinstance(residual, bool):
            return true() if residual else false()
        try:
            return self.condition(residual)
        except UnfilterableRule as exc:
            raise UnfilterableRule(f"rule {rule_id}: {exc}") from None

    def condition(self, node: Condition) -> Part:
        match node:
            case AllOf(conditions=children):
                return all_of((self.condition(c) for c in children), self.membership)
            case AnyOf(conditions=children):
                return any_of((self.condition(c) for c in children), self.membership)
            case Not(condition=child):
                return negate(self.condition(child), self.membership)
            case Comparison(attribute=attribute) if attribute in self.known:
                # Partial evaluation keeps a settled comparison that follows an unsettled one
                # (strict left-to-right semantics); settle it again here.
                try:
                    return true() if evaluate_comparison(node, self.known, self.schema) else false()
                except ConditionError:
                    raise UnfilterableRule(
                        f"{attribute} cannot be evaluated ({node.path})"
                    ) from None
            case Comparison(attribute=attribute):
                translate = self.attributes.get(attribute)
                if translate is None:
                    raise UnfilterableRule(f"no SQL for attribute {attribute} ({node.path})")
                return translate(node)
        raise UnfilterableRule(f"unknown condition {node!r}")

    def _relationship(self, node: Comparison) -> Part:
        if node.op is not Operator.CONTAINS or not isinstance(node.value, str):
            raise UnfilterableRule(f"no SQL for {node.op} on case relationships ({node.path})")
        return Membership(membership_condition(self.reader.actor, node.value))

    def membership(self, test: Membership) -> ColumnElement[bool]:
        return membership_exists(self.reader.actor, test.condition, MappaCase.id, self.today)

    def _owner(self, node: Comparison) -> ColumnElement[bool]:
        owns = MappaCase.owning_agency_id == self.agency
        if node.op is Operator.IS_TRUE:
            return owns
        if node.op is Operator.IS_FALSE:
            return not_(owns)
        if node.op is Operator.PRESENT:
            return true()
        raise UnfilterableRule(f"no SQL for {node.op} on actor.is_item_owner ({node.path})")

    def _owning_agency(self, node: Comparison) -> ColumnElement[bool]:
        column = MappaCase.owning_agency_id
        return _scalar(node, column, lambda v: uuid.UUID(str(v)))

    def _classification(self, node: Comparison) -> ColumnElement[bool]:
        return _scalar(node, MappaCase.classification, str)


def _scalar(
    node: Comparison, column: ColumnElement[object] | object, convert: Callable[[object], object]
) -> ColumnElement[bool]:
    col: ColumnElement[object] = column  # type: ignore[assignment]
    match node.op:
        case Operator.EQ:
            return col == convert(node.value)
        case Operator.NE:
            return col != convert(node.value)
        case Operator.IN | Operator.NOT_IN:
            values = node.value if isinstance(node.value, tuple | frozenset) else (node.value,)
            clause = col.in_([convert(v) for v in values])
            return clause if node.op is Operator.IN else not_(clause)
        case Operator.PRESENT:
            return true()
    raise UnfilterableRule(f"no SQL for {node.op} on {node.attribute} ({node.path})")
