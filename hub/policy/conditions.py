"""The condition language: a small, typed AST, its YAML form, and its rendering in plain words.

The AST is public and stable so that it can be compiled elsewhere (closures here, a SQL WHERE
clause over record attributes in the gate). A condition is one of:

- ``Comparison(op, attribute, value)``: ``attribute`` is a schema attribute name; ``value`` by op:

  ===================  =========================================  ===========================
  op                   value                                      attribute types allowed
  ===================  =========================================  ===========================
  eq, ne               a scalar; for a set attribute a frozenset  any (sets: set equality)
  in, not_in           a tuple of scalars (declared order)        string, enum, int
  contains             one enum value (a str)                     set<enum>
  gte, lte             an int or a timezone-aware datetime        int, datetime
  is_true, is_false    None                                       bool
  present              None                                       any
  ===================  =========================================  ===========================

- ``AllOf(conditions)``: every one holds (``AllOf(())`` is true);
- ``AnyOf(conditions)``: at least one holds (``AnyOf(())`` is false);
- ``Not(condition)``.

Evaluation is strict and left to right, as in Cedar: ``all``/``any`` stop at the first child that
settles the answer, and a child that cannot be evaluated (its attribute is missing or has the wrong
type) is an error for the whole condition, except under ``present``, which never errors.

YAML form: each node is a one-key mapping, e.g.
``{in: {attr: purpose, values: [RISK_MANAGEMENT]}}``, ``{is_true: break_glass}``,
``{all: [...]}``, ``{not: {...}}``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from .errors import Report
from .schema import AttributeType, Kind, Schema, type_problem


class Operator(StrEnum):
    EQ = "eq"
    NE = "ne"
    IN = "in"
    NOT_IN = "not_in"
    CONTAINS = "contains"
    IS_TRUE = "is_true"
    IS_FALSE = "is_false"
    GTE = "gte"
    LTE = "lte"
    PRESENT = "present"


Scalar = str | bool | int | datetime
Value = Scalar | tuple[Scalar, ...] | frozenset[str] | None


@dataclass(frozen=True, slots=True)
class Comparison:
    op: Operator
    attribute: str
    value: Value = None
    # Where the node sits in its file ("when.all[1]"); for messages only, not identity.
    path: str = field(default="", compare=False)


@dataclass(frozen=True, slots=True)
class AllOf:
    conditions: tuple[Condition, ...]
    path: str = field(default="", compare=False)


@dataclass(frozen=True, slots=True)
class AnyOf:
    conditions: tuple[Condition, ...]
    path: str = field(default="", compare=False)


@dataclass(frozen=True, slots=True)
class Not:
    condition: Condition
    path: str = field(default="", compare=False)


Condition = Comparison | AllOf | AnyOf | Not
ALWAYS = AllOf(())

_VALUE_OPS = {Operator.EQ, Operator.NE, Operator.CONTAINS, Operator.GTE, Operator.LTE}
_LIST_OPS = {Operator.IN, Operator.NOT_IN}
_BARE_OPS = {Operator.IS_TRUE, Operator.IS_FALSE, Operator.PRESENT}
_KINDS_FOR: dict[Operator, set[Kind]] = {
    Operator.IN: {Kind.STRING, Kind.ENUM, Kind.INT},
    Operator.NOT_IN: {Kind.STRING, Kind.ENUM, Kind.INT},
    Operator.CONTAINS: {Kind.SET},
    Operator.IS_TRUE: {Kind.BOOL},
    Operator.IS_FALSE: {Kind.BOOL},
    Operator.GTE: {Kind.INT, Kind.DATETIME},
    Operator.LTE: {Kind.INT, Kind.DATETIME},
}


def attributes_of(condition: Condition) -> frozenset[str]:
    """Every attribute the condition reads."""
    return frozenset(c.attribute for c in comparisons(condition))


def comparisons(condition: Condition) -> Iterator[Comparison]:
    match condition:
        case Comparison():
            yield condition
        case AllOf(conditions=children) | AnyOf(conditions=children):
            for child in children:
                yield from comparisons(child)
        case Not(condition=child):
            yield from comparisons(child)


def parse_condition(raw: object, path: str, schema: Schema, report: Report) -> Condition | None:
    """Build the AST from its YAML form, reporting every problem at its path; None if invalid."""
    if not isinstance(raw, dict) or len(raw) != 1:
        report(path, "a condition is a mapping with exactly one operator (eq, in, all, ...)")
        return None
    ((key, body),) = raw.items()
    here = f"{path}.{key}"
    if key in ("all", "any"):
        if not isinstance(body, list):
            report(here, f"{key} takes a list of conditions")
            return None
        children = [parse_condition(c, f"{here}[{i}]", schema, report) for i, c in enumerate(body)]
        if any(c is None for c in children):
            return None
        kept = tuple(c for c in children if c is not None)
        return AllOf(kept, path) if key == "all" else AnyOf(kept, path)
    if key == "not":
        child = parse_condition(body, here, schema, report)
        return None if child is None else Not(child, path)
    try:
        op = Operator(key)
    except ValueError:
        report(path, f"unknown operator {key!r}")
        return None
    return _parse_comparison(op, body, here, path, schema, report)


def _parse_comparison(
    op: Operator, body: object, here: str, path: str, schema: Schema, report: Report
) -> Comparison | None:
    if op in _BARE_OPS:
        attr, value = body, None
    elif isinstance(body, dict):
        wanted = "values" if op in _LIST_OPS else "value"
        extra = set(body) - {"attr", wanted}
        if extra or "attr" not in body or wanted not in body:
            report(here, f"{op} takes {{attr: <attribute>, {wanted}: ...}}")
            return None
        attr, value = body["attr"], body[wanted]
    else:
        report(here, f"{op} takes {{attr: ..., value(s): ...}}")
        return None
    if not isinstance(attr, str) or attr not in schema.attributes:
        report(here if op in _BARE_OPS else f"{here}.attr", f"unknown attribute {attr!r}")
        return None
    kind = schema.attributes[attr].type
    if op in _KINDS_FOR and kind.kind not in _KINDS_FOR[op]:
        report(here, f"{op} does not apply to {attr}, which is {kind}")
        return None
    checked = _check_literal(op, kind, value, schema)
    if isinstance(checked, str):
        report(here, checked)
        return None
    return Comparison(op, attr, checked[0], path)


def _check_literal(
    op: Operator, kind: AttributeType, value: object, schema: Schema
) -> tuple[Value] | str:
    """The literal in its AST form, or why it does not fit the attribute's type."""
    if op in _BARE_OPS:
        return (None,)
    if op in _LIST_OPS:
        if not isinstance(value, list) or not value:
            return f"{op} takes a non-empty list of values"
        for item in value:
            if (problem := type_problem(schema, kind, item)) is not None:
                return problem
        return (tuple(value),)
    if op is Operator.CONTAINS:
        kind = AttributeType(Kind.ENUM, kind.enum)
    elif kind.kind is Kind.SET:
        if not isinstance(value, list):
            return f"{op} on {kind} takes a list of values"
        value = frozenset(value)
    if (problem := type_problem(schema, kind, value)) is not None:
        return problem
    assert isinstance(value, str | bool | int | datetime | frozenset)
    return (value,)


def to_data(condition: Condition) -> object:
    """The YAML form of a condition (the inverse of parse_condition)."""
    match condition:
        case AllOf(conditions=children):
            return {"all": [to_data(c) for c in children]}
        case AnyOf(conditions=children):
            return {"any": [to_data(c) for c in children]}
        case Not(condition=child):
            return {"not": to_data(child)}
        case Comparison(op=op, attribute=attr, value=value):
            if op in _BARE_OPS:
                return {op.value: attr}
            if op in _LIST_OPS:
                assert isinstance(value, tuple)
                return {op.value: {"attr": attr, "values": [_plain(v) for v in value]}}
            return {op.value: {"attr": attr, "value": _plain(value)}}


def _plain(value: Value) -> object:
    if isinstance(value, frozenset):
        return sorted(value)
    return value


def show(value: object) -> str:
    """A value as an explanation shows it."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, set | frozenset):
        return "{" + ", ".join(sorted(str(v) for v in value)) + "}" if value else "{}"
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def _one_of(values: Value) -> str:
    assert isinstance(values, tuple)
    shown = [show(v) for v in values]
    if len(shown) == 1:
        return shown[0]
    return "one of " + ", ".join(shown[:-1]) + " or " + shown[-1]


def requirement(condition: Condition) -> str:
    """What the condition needs, in words: 'purpose one of RISK_MANAGEMENT or MAPPA_MEETING'."""
    match condition:
        case AllOf(conditions=children):
            return "all of (" + "; ".join(requirement(c) for c in children) + ")"
        case AnyOf(conditions=children):
            shared = {c.attribute for c in children if isinstance(c, Comparison)}
            if (
                len(children) > 1
                and len(shared) == 1
                and all(isinstance(c, Comparison) and c.op is Operator.CONTAINS for c in children)
            ):
                # A role scope reads better as one requirement than as a list of alternatives.
                values: tuple[Scalar, ...] = tuple(
                    c.value
                    for c in children
                    if isinstance(c, Comparison) and isinstance(c.value, str)
                )
                return f"{shared.pop()} to include {_one_of(values)}"
            return "any of (" + "; ".join(requirement(c) for c in children) + ")"
        case Not(condition=child):
            return f"not ({requirement(child)})"
        case Comparison(op=op, attribute=attr, value=value):
            return _comparison_words(op, attr, value)


def _comparison_words(op: Operator, attr: str, value: Value) -> str:
    match op:
        case Operator.EQ:
            return f"{attr} {show(value)}"
        case Operator.NE:
            return f"{attr} other than {show(value)}"
        case Operator.IN:
            return f"{attr} {_one_of(value)}"
        case Operator.NOT_IN:
            return f"{attr} not {_one_of(value)}"
        case Operator.CONTAINS:
            return f"{attr} to include {show(value)}"
        case Operator.IS_TRUE:
            return f"{attr} true"
        case Operator.IS_FALSE:
            return f"{attr} false"
        case Operator.GTE:
            return f"{attr} at least {show(value)}"
        case Operator.LTE:
            return f"{attr} at most {show(value)}"
        case Operator.PRESENT:
            return f"{attr} to be given"
