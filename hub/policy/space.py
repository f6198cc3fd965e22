"""The finite request space and an exhaustive walk over it that evaluates each distinct case once.

The space is the product of dimensions (action, resource type and category, agency type, role
sets, purposes, case relationships, consent and basis states, break-glass, ...). Enumerating it
naively is far too big, so the walk assigns one dimension at a time and partially evaluates every
tracked condition (rule applicability, invariant premises):

- a dimension that no still-undecided condition reads is not expanded at all (its values are
  counted, and any one of them stands for all);
- a dimension that is read is split into classes of values that every condition reading it treats
  alike (e.g. all agency types but police and housing), and one value per class is tried.

Every request of the space is thereby covered by exactly one visited representative, and the
weights of the visited representatives add up to the size of the space (tests check this).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .conditions import Comparison, Condition, attributes_of, comparisons
from .errors import ConditionError
from .evaluate import MISSING, Erred, Residual, evaluate_comparison, partial
from .schema import Kind, Schema, coerce_value

# The order dimensions are assigned in: those that settle most rules first keep the walk small.
ORDER = (
    "action",
    "resource",
    "actor.roles",
    "actor.agency_type",
    "purpose",
    "actor.case_relationships",
    "break_glass",
    "actor.is_item_owner",
    "actor.named_on_item",
)


@dataclass(frozen=True, slots=True)
class Dimension:
    """Attributes set together and the values they take (MISSING: the request omits it)."""

    name: str
    attributes: tuple[str, ...]
    values: tuple[tuple[object, ...], ...]

    def assignment(self, value: tuple[object, ...]) -> dict[str, object]:
        return dict(zip(self.attributes, value, strict=True))

    def given(self, value: tuple[object, ...]) -> dict[str, object]:
        """The attributes a request carries for this value (MISSING ones left out)."""
        return {a: v for a, v in zip(self.attributes, value, strict=True) if v is not MISSING}


@dataclass(frozen=True, slots=True)
class RequestSpace:
    dimensions: tuple[Dimension, ...]
    fixed: Mapping[str, object]

    @property
    def size(self) -> int:
        return math.prod(len(d.values) for d in self.dimensions)

    @classmethod
    def from_spec(cls, schema: Schema, spec: Mapping[str, Any]) -> RequestSpace:
        """Build the space from the schema and the ``space`` section of invariants.yaml:
        ``optional`` (also tried absent), ``set_combinations`` (extra sets beyond the empty set
        and each single value), ``values`` (explicit values) and ``fixed`` (one value)."""
        optional = set(spec.get("optional", ()))
        combos: Mapping[str, list[list[str]]] = spec.get("set_combinations", {})
        explicit: Mapping[str, list[object]] = spec.get("values", {})
        fixed: dict[str, object] = dict(spec.get("fixed", {}))
        for name in {*optional, *combos, *explicit, *fixed} - set(schema.attributes):
            raise ValueError(f"unknown attribute {name!r}")
        dims = [_resource_dimension(schema)]
        for name, attr in schema.attributes.items():
            if name in ("resource.type", "resource.category") or name in fixed:
                continue
            if name in explicit:
                values = [schema_coerce(schema, name, v) for v in explicit[name]]
            elif attr.type.kind is Kind.ENUM:
                values = list(schema.enum_values(str(attr.type.enum)))
            elif attr.type.kind is Kind.BOOL:
                values = [False, True]
            elif attr.type.kind is Kind.SET:
                members = schema.enum_values(str(attr.type.enum))
                values = [frozenset(), *(frozenset((m,)) for m in members)]
                values += [frozenset(c) for c in combos.get(name, ())]
            else:
                raise ValueError(f"the space needs values or a fixed value for {name}")
            _check_values(schema, name, values)
            if name in optional:
                values.append(MISSING)
            dims.append(Dimension(name, (name,), tuple((v,) for v in values)))
        rank = {name: i for i, name in enumerate(ORDER)}
        dims.sort(key=lambda d: rank.get(d.name, len(ORDER)))
        fixed = {k: schema_coerce(schema, k, v) for k, v in fixed.items()}
        for name, value in fixed.items():
            _check_values(schema, name, (value,))
        return cls(tuple(dims), fixed)


def schema_coerce(schema: Schema, name: str, value: object) -> object:
    return coerce_value(schema.attributes[name].type, value)


def _check_values(schema: Schema, name: str, values: Iterable[object]) -> None:
    for value in values:
        problem = schema.value_problem(name, value)
        if problem is not None:
            raise ValueError(f"{name}: {problem}")


def _resource_dimension(schema: Schema) -> Dimension:
    values: list[tuple[object, ...]] = []
    for rtype in schema.enum_values("resource_type"):
        if rtype in schema.categorised_resource_types:
            values += [(rtype, c) for c in schema.enum_values("category")]
        else:
            values.append((rtype, MISSING))
    return Dimension("resource", ("resource.type", "resource.category"), tuple(values))


@dataclass(frozen=True, slots=True)
class Tracked:
    """A condition the walk must settle, and attributes that matter while it may still hold
    (a permit with a justification obligation makes ``justification`` matter)."""

    condition: Condition
    extra: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Visit:
    """One representative request and what it stands for."""

    request: dict[str, object]
    weight: int
    classes: tuple[tuple[str, tuple[tuple[object, ...], ...]], ...]

    def describe(self) -> str:
        """The request, with each expanded value's equivalents: 'agency RA_PROBATION (+9)'."""
        parts = []
        for name, group in self.classes:
            shown = "/".join(_show(v) for v in group[0])
            parts.append(
                f"{name}={shown}" + (f" (+{len(group) - 1} alike)" if len(group) > 1 else "")
            )
        return ", ".join(parts)


def _show(value: object) -> str:
    if value is MISSING:
        return "(none)"
    if isinstance(value, frozenset):
        return "{" + ",".join(sorted(value)) + "}"
    return str(value)


@dataclass(slots=True)
class _Node:
    residuals: list[tuple[Residual, frozenset[str], frozenset[str]]]  # residual, attrs, extra


def explore(
    space: RequestSpace,
    schema: Schema,
    tracked: Sequence[Tracked],
    visit: Callable[[Visit], None],
) -> int:
    """Call ``visit`` once per class of requests that every tracked condition treats alike.
    Returns the number of requests covered (the space's size, when all goes well)."""
    known: dict[str, object] = dict(space.fixed)
    start = [(partial(t.condition, known, schema), t.extra) for t in tracked]
    residuals = [(r, _attrs(r), extra) for r, extra in start if not _settled_away(r, extra)]
    walk = _Walk(schema, visit, {d.name: d.given(d.values[0]) for d in space.dimensions})
    return walk.walk(known, list(space.dimensions), residuals, 1, ())


def _attrs(residual: Residual) -> frozenset[str]:
    return frozenset() if isinstance(residual, bool | Erred) else attributes_of(residual)


def _settled_away(residual: Residual, extra: frozenset[str]) -> bool:
    """True when the condition can no longer influence anything still to be assigned."""
    return residual is False or isinstance(residual, Erred) or (residual is True and not extra)


Residuals = list[tuple[Residual, frozenset[str], frozenset[str]]]
Classes = tuple[tuple[str, tuple[tuple[object, ...], ...]], ...]


@dataclass(frozen=True, slots=True)
class _Walk:
    schema: Schema
    visit: Callable[[Visit], None]
    defaults: Mapping[str, dict[str, object]]  # per dimension: its first value, as attributes

    def walk(
        self,
        known: dict[str, object],
        dims: list[Dimension],
        residuals: Residuals,
        weight: int,
        classes: Classes,
    ) -> int:
        relevant: set[str] = set()
        for _, attrs, extra in residuals:
            relevant |= attrs
            relevant |= extra
        position = next(
            (i for i, d in enumerate(dims) if relevant.intersection(d.attributes)), None
        )
        if position is None:
            return self.leaf(known, dims, weight, classes)
        dim = dims[position]
        rest = dims[:position] + dims[position + 1 :]
        covered = 0
        for group in _classes(dim, residuals, self.schema):
            assigned = dict(known)
            assigned.update(dim.assignment(group[0]))
            touched = set(dim.attributes)
            nxt = []
            for residual, attrs, extra in residuals:
                if attrs & touched:
                    assert not isinstance(residual, bool | Erred)
                    updated = partial(residual, assigned, self.schema)
                    if not _settled_away(updated, extra):
                        nxt.append((updated, _attrs(updated), extra))
                    continue
                nxt.append((residual, attrs, extra))
            covered += self.walk(
                assigned, rest, nxt, weight * len(group), (*classes, (dim.name, group))
            )
        return covered

    def leaf(
        self, known: dict[str, object], dims: list[Dimension], weight: int, classes: Classes
    ) -> int:
        request = {k: v for k, v in known.items() if v is not MISSING}
        for dim in dims:
            request.update(self.defaults[dim.name])
        total = weight * math.prod(len(d.values) for d in dims)
        self.visit(Visit(request, total, classes))
        return total


def _classes(
    dim: Dimension,
    residuals: Iterable[tuple[Residual, frozenset[str], frozenset[str]]],
    schema: Schema,
) -> list[tuple[tuple[object, ...], ...]]:
    """Split the dimension's values into classes no tracked comparison tells apart."""
    wanted = set(dim.attributes)
    if any(wanted & extra for _, _, extra in residuals):
        return [(v,) for v in dim.values]  # read outside the condition language: try every value
    tests: list[Comparison] = []
    for residual, attrs, _ in residuals:
        if attrs & wanted and not isinstance(residual, bool):
            assert not isinstance(residual, Erred)
            tests += [c for c in comparisons(residual) if c.attribute in wanted]
    groups: dict[tuple[object, ...], list[tuple[object, ...]]] = {}
    for value in dim.values:
        request = dim.given(value)
        signature = tuple(_outcome(c, request, schema) for c in tests)
        groups.setdefault(signature, []).append(value)
    return [tuple(g) for g in groups.values()]


def _outcome(c: Comparison, request: Mapping[str, object], schema: Schema) -> object:
    try:
        return evaluate_comparison(c, request, schema)
    except ConditionError:
        return "error"
