"""Compile condition ASTs to closures for the engine's hot path.

Each closure takes the request mapping and returns True or False, or raises ConditionError
exactly when the reference interpreter (evaluate.py) would: the fast paths below only answer for
values of the right shape and hand everything else to the reference comparison.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from typing import Any

from .conditions import AllOf, AnyOf, Comparison, Condition, Not, Operator
from .evaluate import MISSING, evaluate_comparison
from .schema import Kind, Schema

Test = Callable[[Mapping[str, object]], bool]


def compile_condition(condition: Condition, schema: Schema) -> Test:
    match condition:
        case Comparison():
            return _compile_comparison(condition, schema)
        case Not(condition=child):
            inner = compile_condition(child, schema)
            return lambda r: not inner(r)
        case AllOf(conditions=children):
            return _junction([compile_condition(c, schema) for c in children], conjunctive=True)
        case AnyOf(conditions=children):
            return _junction([compile_condition(c, schema) for c in children], conjunctive=False)


def _junction(tests: list[Test], *, conjunctive: bool) -> Test:
    # Unrolled for the short junctions policies actually use: a loop costs more per call.
    if not tests:
        return (lambda r: True) if conjunctive else (lambda r: False)
    if len(tests) == 1:
        return tests[0]
    if len(tests) == 2:
        a, b = tests
        return (lambda r: a(r) and b(r)) if conjunctive else (lambda r: a(r) or b(r))
    if len(tests) == 3:
        a, b, c = tests
        if conjunctive:
            return lambda r: a(r) and b(r) and c(r)
        return lambda r: a(r) or b(r) or c(r)
    if len(tests) == 4:
        a, b, c, d = tests
        if conjunctive:
            return lambda r: a(r) and b(r) and c(r) and d(r)
        return lambda r: a(r) or b(r) or c(r) or d(r)
    frozen = tuple(tests)

    # Plain loops, not all()/any() over a generator: no generator object per call.
    def every(r: Mapping[str, object]) -> bool:
        for test in frozen:  # noqa: SIM110
            if not test(r):
                return False
        return True

    def some(r: Mapping[str, object]) -> bool:
        for test in frozen:  # noqa: SIM110
            if test(r):
                return True
        return False

    return every if conjunctive else some


def _compile_comparison(c: Comparison, schema: Schema) -> Test:
    attr, op, literal = c.attribute, c.op, c.value
    kind = schema.attributes[attr].type

    def slow(r: Mapping[str, object]) -> bool:
        return evaluate_comparison(c, r, schema)

    if op is Operator.PRESENT:
        return lambda r: attr in r
    if op in (Operator.IS_TRUE, Operator.IS_FALSE):
        want = op is Operator.IS_TRUE

        def truth(r: Mapping[str, object]) -> bool:
            v = r.get(attr, MISSING)
            if v is True or v is False:
                return v is want
            return slow(r)

        return truth
    if op is Operator.CONTAINS:

        def contains(r: Mapping[str, object]) -> bool:
            v = r.get(attr, MISSING)
            if isinstance(v, frozenset | set):
                return literal in v
            return slow(r)

        return contains
    if kind.kind in (Kind.ENUM, Kind.STRING) and op in (
        Operator.EQ,
        Operator.NE,
        Operator.IN,
        Operator.NOT_IN,
    ):
        return _compile_text(c, schema, slow)
    exact = _EXACT_TYPES.get(kind.kind)
    if exact is not None and op in _PLAIN_OPS:
        # Plain values of the declared type compare directly; anything else takes the slow path.
        apply = _PLAIN_OPS[op]

        def plain(r: Mapping[str, object]) -> bool:
            v = r.get(attr, MISSING)
            if v.__class__ in exact:
                return apply(v, literal)
            return slow(r)

        return plain
    return slow


_EXACT_TYPES: dict[Kind, tuple[type, ...]] = {
    Kind.SET: (frozenset, set),
    Kind.INT: (int,),
    Kind.BOOL: (bool,),
}
_PLAIN_OPS: dict[Operator, Callable[[Any, Any], bool]] = {
    Operator.EQ: operator.eq,
    Operator.NE: operator.ne,
    Operator.GTE: operator.ge,
    Operator.LTE: operator.le,
}


def _compile_text(
    c: Comparison, schema: Schema, slow: Callable[[Mapping[str, object]], bool]
) -> Test:
    attr, op = c.attribute, c.op
    kind = schema.attributes[attr].type
    values = frozenset(c.value) if isinstance(c.value, tuple) else frozenset((c.value,))
    # A str (or StrEnum member, as hub.vocabulary gives) that is a declared enum value, or any
    # str for string attributes, is well shaped, so the answer needs no reference path.
    domain = schema.enums[str(kind.enum)] if kind.kind is Kind.ENUM else None
    positive = op in (Operator.EQ, Operator.IN)

    if domain is None:

        def text(r: Mapping[str, object]) -> bool:
            v = r.get(attr, MISSING)
            if isinstance(v, str):
                return (v in values) is positive
            return slow(r)

        return text

    def enum(r: Mapping[str, object]) -> bool:
        v = r.get(attr, MISSING)
        if isinstance(v, str):
            if v in values:
                return positive
            if v in domain:
                return not positive
        return slow(r)

    return enum
