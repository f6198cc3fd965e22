"""The reference interpreter of the condition AST: evaluate, find the first failing condition,
propose a change that satisfies it, and evaluate partially (some attributes unknown).

The engine runs compiled closures (compile.py) for speed; this module is the plain definition they
are tested against, and what explanations and the space analysis use.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from .conditions import (
    AllOf,
    AnyOf,
    Comparison,
    Condition,
    Not,
    Operator,
    Value,
    requirement,
    show,
)
from .errors import ConditionError
from .schema import Kind, Schema


class _Sentinel:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


MISSING: Final = _Sentinel("MISSING")
"""An attribute the request does not give (and, in a proposed change, one to remove)."""


def runtime_problem(schema: Schema, attribute: str, value: object) -> str | None:
    """The cheap shape check made at evaluation time; set elements are not checked, because an
    unknown role or relationship can only fail to match, never grant."""
    spec = schema.attributes[attribute]
    kind = spec.type
    match kind.kind:
        case Kind.STRING:
            ok = isinstance(value, str)
        case Kind.BOOL:
            ok = isinstance(value, bool)
        case Kind.INT:
            ok = isinstance(value, int) and not isinstance(value, bool)
        case Kind.DATETIME:
            ok = isinstance(value, datetime) and value.tzinfo is not None
        case Kind.ENUM:
            if isinstance(value, str) and value not in schema.enums[str(kind.enum)]:
                return f"{value!r} is not a value of enum {kind.enum}"
            ok = isinstance(value, str)
        case Kind.SET:
            ok = isinstance(value, set | frozenset)
    return None if ok else f"should be {kind}, the request gave {type(value).__name__} {value!r}"


def compare(op: Operator, actual: object, literal: Value) -> bool:
    """Apply one operator to a value already known to have the right shape."""
    match op:
        case Operator.EQ:
            return actual == literal
        case Operator.NE:
            return actual != literal
        case Operator.IN:
            assert isinstance(literal, tuple)
            return actual in literal
        case Operator.NOT_IN:
            assert isinstance(literal, tuple)
            return actual not in literal
        case Operator.CONTAINS:
            assert isinstance(actual, set | frozenset)
            return literal in actual
        case Operator.IS_TRUE:
            return actual is True
        case Operator.IS_FALSE:
            return actual is False
        case Operator.GTE:
            return actual >= literal  # type: ignore[operator]
        case Operator.LTE:
            return actual <= literal  # type: ignore[operator]
        case Operator.PRESENT:
            return True


def evaluate_comparison(c: Comparison, request: Mapping[str, object], schema: Schema) -> bool:
    actual = request.get(c.attribute, MISSING)
    if c.op is Operator.PRESENT:
        return actual is not MISSING
    if actual is MISSING:
        raise ConditionError(c.attribute, "the request gave none", missing=True)
    problem = runtime_problem(schema, c.attribute, actual)
    if problem is not None:
        raise ConditionError(c.attribute, problem)
    return compare(c.op, actual, c.value)


def evaluate(condition: Condition, request: Mapping[str, object], schema: Schema) -> bool:
    """True or False; raises ConditionError when the condition cannot be evaluated."""
    match condition:
        case Comparison():
            return evaluate_comparison(condition, request, schema)
        case AllOf(conditions=children):
            return all(evaluate(c, request, schema) for c in children)
        case AnyOf(conditions=children):
            return any(evaluate(c, request, schema) for c in children)
        case Not(condition=child):
            return not evaluate(child, request, schema)


@dataclass(frozen=True, slots=True)
class Failure:
    """The first condition of a rule that did not hold, and what the request gave instead."""

    condition: Condition
    given: tuple[tuple[str, object], ...]
    error: ConditionError | None = None

    @property
    def missing(self) -> tuple[str, ...]:
        """Attributes the condition needs that the request did not give."""
        return tuple(name for name, value in self.given if value is MISSING)

    def words(self) -> str:
        """'needs purpose RISK_MANAGEMENT; the request gave none'."""
        if self.error is not None and not self.error.missing:
            return (
                f"needs {requirement(self.condition)}; {self.error.attribute} {self.error.problem}"
            )
        if len(self.given) == 1:
            gave = _given_words(self.given[0][1])
        else:
            gave = ", ".join(f"{name} {_given_words(value)}" for name, value in self.given)
        return f"needs {requirement(self.condition)}; the request gave {gave}"


def _given_words(value: object) -> str:
    return "none" if value is MISSING else show(value)


def first_failure(
    condition: Condition, request: Mapping[str, object], schema: Schema
) -> Failure | None:
    """The first condition (left to right) that stops ``condition`` holding, or None if it holds.

    A comparison is reported itself; a failing ``any`` or ``not`` is reported whole, since no single
    part of it is at fault.
    """
    match condition:
        case AllOf(conditions=children):
            for child in children:
                failure = first_failure(child, request, schema)
                if failure is not None:
                    return failure
            return None
        case _:
            try:
                if evaluate(condition, request, schema):
                    return None
                error = None
            except ConditionError as exc:
                error = exc
            names = sorted({c.attribute for c in _comparisons(condition)})
            given = tuple((name, request.get(name, MISSING)) for name in names)
            return Failure(condition, given, error)


def _comparisons(condition: Condition) -> list[Comparison]:
    match condition:
        case Comparison():
            return [condition]
        case AllOf(conditions=children) | AnyOf(conditions=children):
            return [c for child in children for c in _comparisons(child)]
        case Not(condition=child):
            return _comparisons(child)


def satisfying_change(
    condition: Condition, request: Mapping[str, object], schema: Schema, *, negate: bool = False
) -> dict[str, object]:
    """Attribute values that would make ``condition`` (or its negation) hold, changing as little
    as it can: a failing ``all`` is fixed at its first failing part, a failing ``any`` through its
    first alternative. MISSING as a value means 'remove the attribute'."""
    match condition:
        case Comparison():
            return _satisfy_comparison(condition, request, schema, negate)
        case Not(condition=child):
            return satisfying_change(child, request, schema, negate=not negate)
        case AllOf(conditions=children) | AnyOf(conditions=children):
            # all(...) negated behaves as any(not ...), and any(...) negated as all(not ...).
            conjunctive = isinstance(condition, AllOf) != negate
            for child in children:
                if not conjunctive or _holds(child, request, schema) is not (not negate):
                    return satisfying_change(child, request, schema, negate=negate)
            return {}


def _holds(condition: Condition, request: Mapping[str, object], schema: Schema) -> bool | None:
    try:
        return evaluate(condition, request, schema)
    except ConditionError:
        return None


def _satisfy_comparison(
    c: Comparison, request: Mapping[str, object], schema: Schema, negate: bool
) -> dict[str, object]:
    kind = schema.attributes[c.attribute].type
    current = request.get(c.attribute, MISSING)
    op, literal = c.op, c.value
    if op is Operator.PRESENT:
        return {c.attribute: MISSING if negate else _any_value(schema, c.attribute)}
    if op in (Operator.IS_TRUE, Operator.IS_FALSE):
        return {c.attribute: (op is Operator.IS_TRUE) != negate}
    if op is Operator.CONTAINS:
        base = set(current) if isinstance(current, set | frozenset) else set()
        return {c.attribute: frozenset(base - {literal} if negate else base | {literal})}
    if op in (Operator.GTE, Operator.LTE):
        if not negate:
            return {c.attribute: literal}
        step = -1 if op is Operator.GTE else 1
        if isinstance(literal, datetime):
            return {c.attribute: literal + timedelta(seconds=step)}
        assert isinstance(literal, int)
        return {c.attribute: literal + step}
    wanted = (op in (Operator.EQ, Operator.IN)) != negate
    pool: tuple[object, ...]
    if op in (Operator.EQ, Operator.NE):
        pool = (literal,)
    else:
        assert isinstance(literal, tuple)
        pool = literal
    if wanted:
        return {c.attribute: pool[0]}
    return {c.attribute: _value_outside(schema, c.attribute, kind.enum, pool)}


def _any_value(schema: Schema, attribute: str) -> object:
    return _value_outside(schema, attribute, schema.attributes[attribute].type.enum, ())


def _value_outside(
    schema: Schema, attribute: str, enum: str | None, pool: tuple[object, ...]
) -> object:
    kind = schema.attributes[attribute].type.kind
    if kind is Kind.ENUM:
        return next(v for v in schema.enum_values(str(enum)) if v not in pool)
    if kind is Kind.SET:
        return (
            frozenset() if frozenset() not in pool else frozenset(schema.enum_values(str(enum))[:1])
        )
    if kind is Kind.BOOL:
        return next(v for v in (False, True) if v not in pool)
    if kind is Kind.INT:
        return max((v for v in pool if isinstance(v, int)), default=0) + 1
    if kind is Kind.DATETIME:
        return datetime.fromisoformat("2000-01-01T00:00:00+00:00")
    return "-".join(str(v) for v in pool) + "-other"


class Erred:
    """Partial evaluation's verdict for a condition that will fail to evaluate."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "ERRED"


ERRED: Final = Erred()
Residual = bool | Erred | Condition


def partial(condition: Condition, known: Mapping[str, object], schema: Schema) -> Residual:
    """Evaluate as far as the ``known`` attributes allow (MISSING in ``known`` means 'known to be
    absent'; attributes not in ``known`` are unknown). The residual condition keeps the strict
    left-to-right semantics: once an unknown part precedes a settled one, the settled one stays."""
    match condition:
        case Comparison(attribute=attr):
            if attr not in known:
                return condition
            try:
                return evaluate_comparison(condition, known, schema)
            except ConditionError:
                return ERRED
        case Not(condition=child):
            inner = partial(child, known, schema)
            if isinstance(inner, bool):
                return not inner
            return inner if isinstance(inner, Erred) else Not(inner, condition.path)
        case AllOf(conditions=children) | AnyOf(conditions=children):
            return _partial_junction(condition, children, known, schema)


def _partial_junction(
    node: AllOf | AnyOf,
    children: tuple[Condition, ...],
    known: Mapping[str, object],
    schema: Schema,
) -> Residual:
    settles = isinstance(node, AnyOf)  # the child value that decides the whole junction
    kept: list[Condition] = []
    for child in children:
        result = partial(child, known, schema)
        if isinstance(result, bool) and result is not settles:
            continue  # neutral: drop it
        if not kept and (isinstance(result, bool | Erred)):
            return result
        if isinstance(result, bool | Erred):
            kept.append(child)  # decided, but only reached if the unknown parts before let it
            break
        kept.append(result)
    if not kept:
        return not settles
    if len(kept) == 1:
        return kept[0]
    return AnyOf(tuple(kept), node.path) if settles else AllOf(tuple(kept), node.path)
