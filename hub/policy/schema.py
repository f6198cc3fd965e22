"""The policy schema: every attribute of a request with its type, every enum and its values.

Read from ``policies/schema.yaml``. Rules, invariants and policy tests are validated against it at
load, so a misspelt attribute or enum value is a load error, never a silent deny at run time.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from .errors import LoadProblem, PolicyLoadError, Report
from .files import read_yaml

# The engine indexes rules by these, so the schema must declare them with these types.
SCOPE_ATTRIBUTES: Mapping[str, str] = {
    "action": "action",
    "resource.type": "resource_type",
    "resource.category": "category",
    "actor.agency_type": "agency_type",
    "actor.roles": "set<role>",
}


class Kind(StrEnum):
    STRING = "string"
    BOOL = "bool"
    INT = "int"
    DATETIME = "datetime"
    ENUM = "enum"
    SET = "set"


@dataclass(frozen=True, slots=True)
class AttributeType:
    """An attribute's type: a primitive, an enum (by name) or a set of an enum."""

    kind: Kind
    enum: str | None = None

    def __str__(self) -> str:
        if self.kind is Kind.ENUM:
            return str(self.enum)
        if self.kind is Kind.SET:
            return f"set<{self.enum}>"
        return self.kind.value


@dataclass(frozen=True, slots=True)
class AttributeSpec:
    name: str
    type: AttributeType
    required: bool
    description: str


@dataclass(frozen=True, slots=True)
class Schema:
    enums: Mapping[str, frozenset[str]]
    enum_order: Mapping[str, tuple[str, ...]]
    attributes: Mapping[str, AttributeSpec]
    categorised_resource_types: frozenset[str]
    fields: Mapping[str, tuple[str, ...]]
    source: str

    @classmethod
    def load(cls, path: Path) -> Schema:
        return parse_schema(read_yaml(path), str(path))

    def enum_values(self, enum: str) -> tuple[str, ...]:
        """The enum's values in their declared order (order matters for readable reports)."""
        return self.enum_order[enum]

    def value_problem(self, attribute: str, value: object) -> str | None:
        """Why ``value`` is not a valid value of ``attribute``, or None when it is."""
        spec = self.attributes.get(attribute)
        if spec is None:
            return f"unknown attribute {attribute!r}"
        return type_problem(self, spec.type, value)

    def validate_request(self, request: Mapping[str, object]) -> list[str]:
        """Every problem with a request: unknown attributes, wrong types, missing required ones."""
        problems = [
            problem
            for name, value in request.items()
            if (problem := self.value_problem(name, value)) is not None
        ]
        problems += [
            f"missing required attribute {spec.name}"
            for spec in self.attributes.values()
            if spec.required and spec.name not in request
        ]
        return problems

    def coerce_request(self, raw: Mapping[str, Any]) -> tuple[dict[str, object], list[str]]:
        """Turn YAML/JSON-shaped values into the engine's types (lists to sets, ISO text to
        datetimes) and report anything that still does not fit the schema."""
        request: dict[str, object] = {}
        problems: list[str] = []
        for name, value in raw.items():
            spec = self.attributes.get(name)
            if spec is None:
                problems.append(f"unknown attribute {name!r}")
                continue
            coerced = coerce_value(spec.type, value)
            problem = type_problem(self, spec.type, coerced)
            if problem is not None:
                problems.append(f"{name}: {problem}")
            request[name] = coerced
        return request, problems


def coerce_value(kind: AttributeType, value: object) -> object:
    if kind.kind is Kind.SET and isinstance(value, list | tuple | set | frozenset):
        return frozenset(value)
    if kind.kind is Kind.DATETIME and isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return value
    return value


def type_problem(schema: Schema, kind: AttributeType, value: object) -> str | None:
    """Why ``value`` does not fit ``kind``, in words, or None."""
    match kind.kind:
        case Kind.STRING:
            ok = isinstance(value, str)
        case Kind.BOOL:
            ok = isinstance(value, bool)
        case Kind.INT:
            ok = isinstance(value, int) and not isinstance(value, bool)
        case Kind.DATETIME:
            # Naive datetimes compare wrongly across zones; the hub is UTC-aware throughout.
            ok = isinstance(value, datetime) and value.tzinfo is not None
        case Kind.ENUM:
            if isinstance(value, str) and value not in schema.enums[str(kind.enum)]:
                return f"unknown value {value!r} for enum {kind.enum}"
            ok = isinstance(value, str)
        case Kind.SET:
            if not isinstance(value, set | frozenset):
                return f"expected {kind}, got {type(value).__name__} {value!r}"
            allowed = schema.enums[str(kind.enum)]
            for element in sorted(value, key=repr):
                if not isinstance(element, str) or element not in allowed:
                    return f"unknown value {element!r} for enum {kind.enum}"
            return None
    if ok:
        return None
    return f"expected {kind}, got {type(value).__name__} {value!r}"


def parse_type(text: object, enums: Mapping[str, object]) -> AttributeType | None:
    if not isinstance(text, str):
        return None
    if text.startswith("set<") and text.endswith(">"):
        inner = text[4:-1]
        return AttributeType(Kind.SET, inner) if inner in enums else None
    if text in enums:
        return AttributeType(Kind.ENUM, text)
    if text in {k.value for k in Kind if k not in (Kind.ENUM, Kind.SET)}:
        return AttributeType(Kind(text))
    return None


def parse_schema(raw: object, file: str) -> Schema:
    problems: list[LoadProblem] = []

    def problem(path: str, message: str) -> None:
        problems.append(LoadProblem(file, None, path, message))

    if not isinstance(raw, dict):
        raise PolicyLoadError([LoadProblem(file, None, "", "the schema must be a mapping")])
    known = {"schema_version", "enums", "attributes", "categorised_resource_types", "fields"}
    for key in raw:
        if key not in known:
            problem(str(key), "unknown field")
    enums_raw = raw.get("enums")
    enums: dict[str, tuple[str, ...]] = {}
    if not isinstance(enums_raw, dict):
        problem("enums", "must be a mapping of enum name to its values")
        enums_raw = {}
    for name, values in enums_raw.items():
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            problem(f"enums.{name}", "must be a list of names")
            continue
        if len(set(values)) != len(values):
            problem(f"enums.{name}", "has a value twice")
        enums[str(name)] = tuple(values)
    attributes = _parse_attributes(raw.get("attributes"), enums, problem)
    for name, expected in SCOPE_ATTRIBUTES.items():
        spec = attributes.get(name)
        if spec is None or str(spec.type) != expected:
            problem(f"attributes.{name}", f"the engine needs this attribute, of type {expected}")
    categorised = raw.get("categorised_resource_types", [])
    if not isinstance(categorised, list) or not set(categorised) <= set(
        enums.get("resource_type", ())
    ):
        problem("categorised_resource_types", "must list resource types")
        categorised = []
    fields = _parse_fields(raw.get("fields", {}), enums, problem)
    if problems:
        raise PolicyLoadError(problems)
    return Schema(
        enums={name: frozenset(values) for name, values in enums.items()},
        enum_order=enums,
        attributes=attributes,
        categorised_resource_types=frozenset(categorised),
        fields=fields,
        source=file,
    )


def _parse_attributes(
    raw: object, enums: Mapping[str, object], problem: Report
) -> dict[str, AttributeSpec]:
    attributes: dict[str, AttributeSpec] = {}
    if not isinstance(raw, dict):
        problem("attributes", "must be a mapping of attribute name to its declaration")
        return attributes
    for name, decl in raw.items():
        if not isinstance(decl, dict):
            problem(f"attributes.{name}", "must be a mapping with type, required, description")
            continue
        for key in decl:
            if key not in {"type", "required", "description"}:
                problem(f"attributes.{name}.{key}", "unknown field")
        kind = parse_type(decl.get("type"), enums)
        if kind is None:
            problem(f"attributes.{name}.type", f"unknown type {decl.get('type')!r}")
            continue
        required = decl.get("required", False)
        if not isinstance(required, bool):
            problem(f"attributes.{name}.required", "must be true or false")
            required = False
        attributes[str(name)] = AttributeSpec(
            str(name), kind, required, str(decl.get("description", ""))
        )
    return attributes


def _parse_fields(
    raw: object, enums: Mapping[str, tuple[str, ...]], problem: Report
) -> dict[str, tuple[str, ...]]:
    fields: dict[str, tuple[str, ...]] = {}
    if not isinstance(raw, dict):
        problem("fields", "must be a mapping of resource type to field names")
        return fields
    for rtype, names in raw.items():
        if rtype not in enums.get("resource_type", ()):
            problem(f"fields.{rtype}", f"unknown resource type {rtype!r}")
        elif not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            problem(f"fields.{rtype}", "must be a list of field names")
        else:
            fields[str(rtype)] = tuple(names)
    return fields
