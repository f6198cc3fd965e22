"""Translate a loaded policy set, its schema and its requests to Cedar (https://www.cedarpolicy.com).

Pure text and JSON generation: this module never imports cedarpy, which is a dev dependency only.
The tests run the translation through cedarpy and require the same allow/deny as ``decide`` on
every class of the request space and on random requests (tests/policy/test_cedar_differential.py);
the benchmark compares speeds. Keeping the translator here, typed and checked with the engine,
lets ``hub policy`` tooling emit Cedar later without depending on cedarpy.

The model (namespace ``Hub``):

- principal ``Hub::Actor``, whose attributes are the request's ``actor.*`` attributes;
- action ``Hub::Action::"<action>"``;
- resource: one entity type per resource type (``item`` -> ``Hub::Item``, ``audit_log`` ->
  ``Hub::AuditLog``) with the ``resource.*`` attributes; only categorised types (items) declare
  ``category``, and there it is required;
- context: the other attributes (``purpose``, ``break_glass``, ``justification``, ``now``), plus
  ``justification_chars``, the length of the stripped justification (see below).

Enum values are Cedar strings, sets of enum values ``Set<String>``, ints ``Long``, and datetimes
``Long`` microseconds since the Unix epoch: Cedar's ``datetime`` extension keeps milliseconds, so
two request times a few microseconds apart would compare differently from the engine.

What is translated, and how it keeps the engine's semantics:

1. A permit applies when its scope matches and its condition holds. A condition that cannot be
   evaluated (it reads an attribute the request does not give) makes the permit not apply.
2. A record-level forbid applies when its scope matches and its condition holds *or cannot be
   evaluated*: the gate fails closed, where Cedar itself would skip a policy that errors.
3. A field-level forbid (``scope.fields``/``fields_except``) never denies the record; it only
   withholds fields, an obligation Cedar does not model. Its one effect on allow/deny is that it
   denies when its condition cannot be evaluated, so that is the Cedar forbid generated for it
   (and none when its condition can always be evaluated).
4. ``require_justification`` is checked by ``decide`` itself, so it changes the effect: a permit
   that applies and asks for N characters denies a request whose stripped justification is
   shorter, whichever other permits apply (the engine merges obligations, strictest wins). That
   is a forbid ``<permit applies> && context.justification_chars < N``; Cedar has no string
   length, so the request translation computes ``justification_chars``.
5. Other obligations (redactions, notify, review, break-glass record) and ``enforce`` (a permit
   whose obligation the caller cannot fulfil becomes a deny) come after ``decide`` and are not
   translated: the differential compares the effect of ``decide``.

Missing attributes are expressed with ``has`` guards, which Cedar's validator requires for
optional attributes. A guard alone would turn "cannot be evaluated" into "false", which is wrong
under ``not`` (the engine errors, a guarded ``!`` would hold) and in ``any`` (the engine stops at
the first part that errors). So each condition C is translated twice, exactly: ``holds(C)``, true
when C evaluates to true, and ``defined(C)``, true when C evaluates without error, both following
the engine's strict left-to-right evaluation (``all`` stops at the first false part, ``any`` at the
first true one). Parts that read only attributes every valid request has need no guards, so the
shipped rules stay close to what one would write by hand.

The domain of the translation is schema-valid requests: each attribute given has a value of its
declared type (declared enum values, sets of declared members, aware datetimes), any attribute
may be missing. ``cedar_request`` refuses other requests (CedarTranslationError): where the
engine fails only the rules that read an ill-typed attribute, Cedar's schema validation refuses
the whole request, so the two are not meant to agree there. A request that lacks ``actor.roles``
or ``actor.agency_type``, an item without a category or another record with one is translated,
and Cedar's schema validation refuses it, as the engine denies it as malformed. Without an
action or a resource type there is no Cedar request at all (CedarTranslationError again).
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Final

from .conditions import AllOf, AnyOf, Comparison, Condition, Not, Operator, Value
from .engine import PolicySet
from .rules import RequireJustification, Rule, RuleEffect
from .schema import SCOPE_ATTRIBUTES, Kind, Schema

NAMESPACE = "Hub"
ACTOR_TYPE = f"{NAMESPACE}::Actor"
ACTION_TYPE = f"{NAMESPACE}::Action"
JUSTIFICATION_CHARS = "justification_chars"
"""The context attribute holding ``len(justification.strip())`` (0 when none is given)."""

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_LONG_MIN, _LONG_MAX = -(2**63), 2**63 - 1
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_RESERVED = frozenset(
    {"true", "false", "if", "then", "else", "in", "is", "like", "has", "__cedar"}
    | {"principal", "action", "resource", "context", "permit", "forbid", "when", "unless"}
)
# Attributes every request the engine can place has (it denies one without them as malformed),
# so conditions on them need no guard. resource.category is not among them: only items have it.
_ALWAYS_GIVEN = frozenset(SCOPE_ATTRIBUTES) - {"resource.category"}


class CedarTranslationError(ValueError):
    """A rule, schema or request that the translation cannot express in Cedar."""


# -- names --------------------------------------------------------------------------------------


def entity_type(resource_type: str) -> str:
    """``circle_profile`` -> ``Hub::CircleProfile``."""
    return f"{NAMESPACE}::{_camel(resource_type)}"


def _camel(name: str) -> str:
    camel = "".join(part[:1].upper() + part[1:] for part in name.split("_"))
    if not _IDENTIFIER.match(camel) or camel in ("Actor", "Action", "Context"):
        raise CedarTranslationError(f"resource type {name!r} has no Cedar entity type name")
    return camel


@dataclass(frozen=True, slots=True)
class _Place:
    """Where a hub attribute lives in a Cedar request: ``principal``, ``resource`` or
    ``context``, under ``name``; ``action`` and ``resource.type`` are the request's action and
    the resource's entity type instead."""

    holder: str
    name: str


@cache  # pure, and called for every comparison of every rule
def _place(attribute: str) -> _Place:
    if attribute in ("action", "resource.type"):
        return _Place(attribute, "")
    prefix, dot, rest = attribute.partition(".")
    if not dot:
        holder, name = "context", attribute
    elif prefix == "actor":
        holder, name = "principal", rest
    elif prefix == "resource":
        holder, name = "resource", rest
    else:
        raise CedarTranslationError(f"attribute {attribute!r}: not actor.*, resource.* or plain")
    if not _IDENTIFIER.match(name) or name in _RESERVED or name == JUSTIFICATION_CHARS:
        raise CedarTranslationError(f"attribute {attribute!r} has no Cedar attribute name")
    return _Place(holder, name)


# -- literals -----------------------------------------------------------------------------------


def _string(text: str) -> str:
    """A Cedar string literal."""
    out = []
    for char in text:
        if char in ('"', "\\"):
            out.append("\\" + char)
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{{{ord(char):x}}}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def _long(value: int) -> int:
    if not _LONG_MIN <= value <= _LONG_MAX:
        raise CedarTranslationError(f"{value} does not fit Cedar's 64-bit Long")
    return value


def micros(moment: datetime) -> int:
    """A timezone-aware datetime as Cedar sees it: microseconds since the Unix epoch."""
    if moment.tzinfo is None:
        raise CedarTranslationError(f"{moment.isoformat()} has no timezone")
    return _long((moment - _EPOCH) // _MICROSECOND)


def _literal(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(_long(value))
    if isinstance(value, datetime):
        return str(micros(value))
    if isinstance(value, str):
        return _string(str(value))  # str(): a StrEnum member renders as its value
    if isinstance(value, frozenset | set | tuple):
        return "[" + ", ".join(_literal(v) for v in _ordered(value)) + "]"
    raise CedarTranslationError(f"no Cedar literal for {value!r}")


def _ordered(values: Iterable[object]) -> list[object]:
    return sorted(values, key=lambda v: (type(v).__name__, str(v)))


# -- expressions --------------------------------------------------------------------------------
# A tiny expression builder: enough structure to drop constants and to parenthesise only where
# Cedar's precedence (|| below && below relations below !) needs it.

_ATOM, _NOT, _REL, _AND, _OR = "atom", "not", "rel", "and", "or"


@dataclass(frozen=True, slots=True)
class _Expr:
    text: str
    kind: str
    # The expression's negation, where it reads better than "!(...)": "a != b" for "a == b",
    # "x" for "!x".
    negation: _Expr | None = field(default=None, compare=False)

    def operand(self, of: str) -> str:
        """This expression as an operand of ``of`` (an _AND, _OR or _NOT)."""
        if of == _NOT:
            wrap = self.kind != _ATOM
        elif of == _AND:
            wrap = self.kind == _OR
        else:  # _OR: && binds tighter, but a bracket reads better
            wrap = self.kind == _AND
        return f"({self.text})" if wrap else self.text


TRUE = _Expr("true", _ATOM)
FALSE = _Expr("false", _ATOM)


def _and(*parts: _Expr) -> _Expr:
    kept = [p for p in parts if p != TRUE]
    if FALSE in kept:
        return FALSE
    if not kept:
        return TRUE
    if len(kept) == 1:
        return kept[0]
    return _Expr(" && ".join(p.operand(_AND) for p in kept), _AND)


def _or(*parts: _Expr) -> _Expr:
    kept = [p for p in parts if p != FALSE]
    if TRUE in kept:
        return TRUE
    if not kept:
        return FALSE
    if len(kept) == 1:
        return kept[0]
    return _Expr(" || ".join(p.operand(_OR) for p in kept), _OR)


def _not(part: _Expr) -> _Expr:
    if part == TRUE:
        return FALSE
    if part == FALSE:
        return TRUE
    if part.negation is not None:
        return part.negation
    return _Expr("!" + part.operand(_NOT), _NOT, part)


def _relation(left: str, op: str, right: str) -> _Expr:
    """``left op right``, knowing its negation (Longs and strings have no NaN)."""
    opposite = {"==": "!=", "!=": "==", ">=": "<", "<": ">=", "<=": ">", ">": "<="}[op]
    return _Expr(f"{left} {op} {right}", _REL, _Expr(f"{left} {opposite} {right}", _REL))


# -- conditions ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Conditions:
    """Translates condition ASTs over one schema. ``given`` holds the attributes an enclosing
    guard has already shown present, so the same ``has`` is not repeated inside it."""

    schema: Schema

    def has(self, attribute: str, given: frozenset[str]) -> _Expr:
        if attribute in _ALWAYS_GIVEN or attribute in given:
            return TRUE
        place = _place(attribute)
        return _Expr(f"{place.holder} has {place.name}", _REL)

    def holds(self, c: Condition, given: frozenset[str] = frozenset()) -> _Expr:
        """True exactly when the engine evaluates ``c`` to true (without error)."""
        match c:
            case Comparison(op=Operator.PRESENT, attribute=attr):
                return self.has(attr, given)
            case Comparison(attribute=attr):
                return _and(self.has(attr, given), self.compare(c))
            case AllOf(conditions=children):
                # all: every part holds; a part that errors or is false makes it not hold.
                parts = []
                for child in children:
                    parts.append(self.holds(child, given))
                    given |= _first_read(child)
                return _and(*parts)
            case AnyOf(conditions=children):
                return self._any_holds(children, given)
            case Not(condition=child):
                inner = given | _first_read(child)
                return _and(self.defined(child, given), _not(self.holds(child, inner)))

    def _any_holds(self, children: Sequence[Condition], given: frozenset[str]) -> _Expr:
        # any(c, rest) holds when c holds, or c evaluates (to false) and any(rest) holds; as
        # "c holds" implies "c evaluates", that is: c evaluates, and c or any(rest) holds.
        if not children:
            return FALSE
        first, rest = children[0], children[1:]
        after = given | _first_read(first)
        return _and(
            self.defined(first, given),
            _or(self.holds(first, after), self._any_holds(rest, after)),
        )

    def defined(self, c: Condition, given: frozenset[str] = frozenset()) -> _Expr:
        """True exactly when the engine evaluates ``c`` without error."""
        match c:
            case Comparison(op=Operator.PRESENT):
                return TRUE
            case Comparison(attribute=attr):
                return self.has(attr, given)
            case AllOf(conditions=children):
                return self._junction_defined(children, given, stop_on=False)
            case AnyOf(conditions=children):
                return self._junction_defined(children, given, stop_on=True)
            case Not(condition=child):
                return self.defined(child, given)

    def _junction_defined(
        self, children: Sequence[Condition], given: frozenset[str], *, stop_on: bool
    ) -> _Expr:
        # The first part must evaluate; then either it settles the junction (false for all,
        # true for any) or the rest must evaluate.
        if not children:
            return TRUE
        first, rest = children[0], children[1:]
        after = given | _first_read(first)
        rest_defined = self._junction_defined(rest, after, stop_on=stop_on)
        if rest_defined == TRUE:
            return self.defined(first, given)
        settles = self.holds(first, after) if stop_on else _not(self.holds(first, after))
        return _and(self.defined(first, given), _or(settles, rest_defined))

    def compare(self, c: Comparison) -> _Expr:
        """The comparison itself, for a request known to give the attribute."""
        op, attr, value = c.op, c.attribute, c.value
        if attr == "action":
            return self._action(op, value)
        if attr == "resource.type":
            return self._resource_type(op, value)
        place = _place(attr)
        kind = self.schema.attributes[attr].type.kind
        return _compare_path(op, f"{place.holder}.{place.name}", kind, value)

    def _action(self, op: Operator, value: Value) -> _Expr:
        values = value if isinstance(value, tuple) else (value,)
        listed = _actions(str(v) for v in values)
        if op is Operator.PRESENT:
            return TRUE
        if op in (Operator.EQ, Operator.NE):
            test = _relation("action", "==", listed[0])
        else:
            test = _Expr(f"action in [{', '.join(listed)}]", _REL)
        return _not(test) if op in (Operator.NE, Operator.NOT_IN) else test

    def _resource_type(self, op: Operator, value: Value) -> _Expr:
        if op is Operator.PRESENT:
            return TRUE
        values = value if isinstance(value, tuple) else (value,)
        test = _is_one_of(str(v) for v in values)
        return _not(test) if op in (Operator.NE, Operator.NOT_IN) else test


def _compare_path(op: Operator, path: str, kind: Kind, value: Value) -> _Expr:
    """A comparison on an entity or context attribute, for a request known to give it."""
    match op:
        case Operator.EQ | Operator.NE if kind is Kind.SET and not value:
            empty = _Expr(f"{path}.isEmpty()", _ATOM)  # Cedar rejects an empty set literal
            return empty if op is Operator.EQ else _not(empty)
        case Operator.EQ:
            return _relation(path, "==", _literal(value))
        case Operator.NE:
            return _relation(path, "!=", _literal(value))
        case Operator.IN:
            return _Expr(f"{_literal(value)}.contains({path})", _ATOM)
        case Operator.NOT_IN:
            return _not(_Expr(f"{_literal(value)}.contains({path})", _ATOM))
        case Operator.CONTAINS:
            return _Expr(f"{path}.contains({_literal(value)})", _ATOM)
        case Operator.IS_TRUE:
            return _Expr(path, _ATOM)
        case Operator.IS_FALSE:
            return _not(_Expr(path, _ATOM))
        case Operator.GTE:
            return _relation(path, ">=", _literal(value))
        case Operator.LTE:
            return _relation(path, "<=", _literal(value))
        case Operator.PRESENT:
            return TRUE


def _first_read(c: Condition) -> frozenset[str]:
    """Attributes ``c`` certainly reads first, so that they are present whenever ``c`` evaluates
    without error (an all/any always evaluates its first part; ``present`` never errors)."""
    match c:
        case Comparison(op=Operator.PRESENT):
            return frozenset()
        case Comparison(attribute=attr):
            return frozenset({attr})
        case AllOf(conditions=children) | AnyOf(conditions=children):
            return _first_read(children[0]) if children else frozenset()
        case Not(condition=child):
            return _first_read(child)


def _actions(names: Iterable[str]) -> list[str]:
    return [f"{ACTION_TYPE}::{_string(name)}" for name in sorted(names)]


def _is_one_of(resource_types: Iterable[str]) -> _Expr:
    return _or(*(_Expr(f"resource is {entity_type(t)}", _REL) for t in sorted(resource_types)))


# -- policies -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Head:
    """A rule's scope: the policy head (principal, action, resource) and, for what the head
    cannot say (several resource types, categories, roles, agency types), a condition."""

    text: str
    condition: _Expr
    never: bool  # the scope matches no request at all


def _head(rule: Rule, schema: Schema) -> _Head:
    scope = rule.scope
    actions = scope.actions
    if actions is None:
        action = "action"
    elif len(actions) == 1:
        action = f"action == {_actions(actions)[0]}"
    else:
        action = f"action in [{', '.join(_actions(actions))}]"
    all_types = frozenset(schema.enum_values("resource_type"))
    types = scope.resource_types if scope.resource_types is not None else all_types
    parts: list[_Expr] = []
    if scope.categories is not None:
        # The engine looks a category up only on categorised types (items): elsewhere a
        # category-scoped rule never applies.
        types &= schema.categorised_resource_types
        parts.append(_Expr(f"{_literal(scope.categories)}.contains(resource.category)", _ATOM))
    if len(types) == 1:
        resource = f"resource is {entity_type(next(iter(types)))}"
    else:
        resource = "resource"
        if types != all_types:
            parts.insert(0, _is_one_of(types))
    if scope.roles is not None:
        # containsAny: the engine's "at least one of the actor's roles" (an empty list, which
        # the loader refuses anyway, would match nobody; Cedar rejects an empty set literal).
        roles = f"principal.roles.containsAny({_literal(scope.roles)})"
        parts.append(_Expr(roles, _ATOM) if scope.roles else FALSE)
    if scope.agency_types is not None:
        literal = _literal(scope.agency_types)
        parts.append(_Expr(f"{literal}.contains(principal.agency_type)", _ATOM))
    text = f"(\n  principal,\n  {action},\n  {resource}\n)"
    return _Head(text, _and(*parts), never=not types)


def _policy(
    annotation: str, effect: str, head: _Head, when: _Expr, unless: _Expr = FALSE
) -> list[str]:
    lines = [f"@id({_string(annotation)})", f"{effect} {head.text}"]
    if head.never:
        when = FALSE
    if when != TRUE:
        lines.append("when {")
        lines += _clause(when)
        lines.append("}")
    if unless != FALSE:
        lines.append("unless {")
        lines += _clause(unless)
        lines.append("}")
    lines[-1] += ";"
    return lines


def _clause(expr: _Expr) -> list[str]:
    """One line per top-level conjunct, so a policy reads like its rule."""
    if expr.kind != _AND:
        return ["  " + expr.text]
    parts = _split_top(expr.text, " && ")
    return ["  " + part + (" &&" if i < len(parts) - 1 else "") for i, part in enumerate(parts)]


def _split_top(text: str, separator: str) -> list[str]:
    parts, depth, start, i, quoted = [], 0, 0, 0, False
    while i < len(text):
        char = text[i]
        if quoted:
            if char == "\\":
                i += 1
            elif char == '"':
                quoted = False
        elif char == '"':
            quoted = True
        elif char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
        elif depth == 0 and text.startswith(separator, i):
            parts.append(text[start:i])
            i += len(separator)
            start = i
            continue
        i += 1
    parts.append(text[start:])
    return parts


def rule_policies(rule: Rule, schema: Schema) -> str:
    """The Cedar policies for one rule (none for a field-level forbid that can always be
    evaluated), after a comment naming the rule. Each policy's ``@id`` is the rule id, with a
    ``#suffix`` for the ones that express the engine's extra denies."""
    conditions = _Conditions(schema)
    head = _head(rule, schema)
    holds = conditions.holds(rule.when)
    defined = conditions.defined(rule.when)
    comment = textwrap.wrap(
        f"{rule.id} ({rule.effect}): {rule.description}", 96, break_on_hyphens=False
    )
    lines = ["// " + line for line in comment]
    if rule.effect is RuleEffect.PERMIT:
        lines += _policy(rule.id, "permit", head, _and(head.condition, holds))
        needed = max(
            (o.min_chars for o in rule.obligations if isinstance(o, RequireJustification)),
            default=0,
        )
        if needed:
            lines.append(f"// The engine denies when {rule.id} applies and the justification")
            lines.append(f"// (stripped) is shorter than {needed} characters.")
            short = _Expr(f"context.{JUSTIFICATION_CHARS} < {needed}", _REL)
            lines += _policy(
                f"{rule.id}#justification", "forbid", head, _and(head.condition, holds, short)
            )
    elif not rule.is_field_forbid:
        if defined == TRUE:
            lines += _policy(rule.id, "forbid", head, _and(head.condition, holds))
        else:
            # Fail closed: deny unless the condition evaluates, to false.
            inner = conditions.holds(rule.when, _first_read(rule.when))
            lines += _policy(rule.id, "forbid", head, head.condition, _and(defined, _not(inner)))
    elif defined == TRUE:
        lines.append("// Field-level: withholds fields of a permitted record (an obligation);")
        lines.append("// its condition always evaluates, so it never changes allow/deny.")
    else:
        lines.append("// Field-level: withholds fields of a permitted record (an obligation),")
        lines.append("// and denies the record when its condition cannot be evaluated.")
        lines += _policy(f"{rule.id}#unevaluable", "forbid", head, head.condition, defined)
    return "\n".join(lines)


def cedar_policies(policy: PolicySet) -> str:
    """The whole policy set as Cedar policy text (validates against ``cedar_schema``)."""
    header = [
        "// Generated by hub.policy.cedar from policies/rules/*.yaml; do not edit.",
        f"// Policy bundle {policy.bundle_hash}.",
        "// Compares with PolicySet.decide on allow/deny only: obligations are not expressed.",
    ]
    rules = [rule_policies(rule, policy.schema) for rule in policy.rules]
    return "\n\n".join(["\n".join(header), *rules])


# -- schema -------------------------------------------------------------------------------------


def _cedar_type(schema: Schema, attribute: str) -> str:
    kind = schema.attributes[attribute].type.kind
    return {
        Kind.STRING: "String",
        Kind.ENUM: "String",
        Kind.BOOL: "Bool",
        Kind.INT: "Long",
        Kind.DATETIME: "Long",  # microseconds since the epoch; see the module docstring
        Kind.SET: "Set<String>",
    }[kind]


def _record(fields: Sequence[tuple[str, str, bool]]) -> str:
    body = "".join(f"\n    {name}{'' if required else '?'}: {t}," for name, t, required in fields)
    return "{" + body + "\n  }"


def cedar_schema(schema: Schema) -> str:
    """The Cedar schema (human-readable syntax) of requests translated by ``cedar_request``.

    Required in Cedar are only what the engine needs to place a request (``actor.roles``,
    ``actor.agency_type``, and ``category`` on items, the only place it may appear); everything
    else is optional, because the engine accepts a request without it.
    """
    principal: list[tuple[str, str, bool]] = []
    resource: list[tuple[str, str, bool]] = []
    context: list[tuple[str, str, bool]] = []
    category: tuple[str, str, bool] | None = None
    for attribute in schema.attributes:
        place = _place(attribute)
        decl = (place.name, _cedar_type(schema, attribute), attribute in _ALWAYS_GIVEN)
        if attribute == "resource.category":
            category = (place.name, decl[1], True)
        elif place.holder == "principal":
            principal.append(decl)
        elif place.holder == "resource":
            resource.append(decl)
        elif place.holder == "context":
            context.append(decl)
    context.append((JUSTIFICATION_CHARS, "Long", True))
    types = schema.enum_values("resource_type")
    plain = [_camel(t) for t in types if t not in schema.categorised_resource_types]
    categorised = [_camel(t) for t in types if t in schema.categorised_resource_types]
    lines = [
        "// Generated by hub.policy.cedar from policies/schema.yaml; do not edit.",
        f"namespace {NAMESPACE} {{",
        f"  type Context = {_record(context)};",
        f"  entity Actor = {_record(principal)};",
    ]
    if plain:
        lines.append(f"  entity {', '.join(plain)} = {_record(resource)};")
    if categorised:
        with_category = resource + ([category] if category is not None else [])
        lines.append(f"  entity {', '.join(categorised)} = {_record(with_category)};")
    actions = ", ".join(_string(a) for a in schema.enum_values("action"))
    resources = ", ".join(_camel(t) for t in types)
    lines.append(
        f"  action {actions} appliesTo {{\n    principal: [Actor],\n"
        f"    resource: [{resources}],\n    context: Context\n  }};"
    )
    lines.append("}")
    return "\n".join(lines) + "\n"


# -- requests -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CedarRequest:
    """One request for cedarpy: ``request`` (principal, action, resource, context) and the two
    entities it names, the actor and the resource."""

    request: dict[str, object]
    entities: tuple[dict[str, object], ...]


_Convert = Callable[[object], object]
_NOT_VALID: Final = object()  # a converter's answer for a value outside the attribute's type


def _converter(schema: Schema, attribute: str) -> _Convert:
    """The attribute's value as Cedar JSON, or _NOT_VALID; the same test as the schema's
    ``value_problem``, done once per value without building a message."""
    spec = schema.attributes[attribute].type
    members = schema.enums.get(str(spec.enum), frozenset())
    match spec.kind:
        case Kind.STRING:
            return lambda v: str(v) if isinstance(v, str) else _NOT_VALID
        case Kind.ENUM:
            # str(): a StrEnum member (hub.vocabulary) goes out as its plain value.
            return lambda v: str(v) if isinstance(v, str) and v in members else _NOT_VALID
        case Kind.BOOL:
            return lambda v: v if isinstance(v, bool) else _NOT_VALID
        case Kind.INT:
            return lambda v: (
                v
                if isinstance(v, int) and not isinstance(v, bool) and _LONG_MIN <= v <= _LONG_MAX
                else _NOT_VALID
            )
        case Kind.DATETIME:
            return lambda v: (
                micros(v) if isinstance(v, datetime) and v.tzinfo is not None else _NOT_VALID
            )
        case Kind.SET:

            def convert_set(v: object) -> object:
                if not isinstance(v, set | frozenset):
                    return _NOT_VALID
                if not all(isinstance(m, str) and m in members for m in v):
                    return _NOT_VALID
                return sorted(str(m) for m in v)

            return convert_set


class CedarRequests:
    """Translates request mappings of one schema (build once, call for each request)."""

    def __init__(self, schema: Schema) -> None:
        self.schema = schema
        self._fields: dict[str, tuple[str, str, _Convert]] = {
            attribute: (place.holder, place.name, _converter(schema, attribute))
            for attribute in schema.attributes
            if (place := _place(attribute)).holder in ("principal", "resource", "context")
        }
        self._actions = schema.enums["action"]
        self._types = {t: entity_type(t) for t in schema.enum_values("resource_type")}

    def __call__(self, request: Mapping[str, object], uid: str = "r") -> CedarRequest:
        """Translate a request. ``uid`` names its actor and resource entities (requests that
        cedarpy decides in one batch share one entity list, so each needs its own)."""
        action, rtype = request.get("action"), request.get("resource.type")
        if not isinstance(action, str) or action not in self._actions:
            raise CedarTranslationError(f"no Cedar action for {action!r}")
        if not isinstance(rtype, str) or rtype not in self._types:
            raise CedarTranslationError(f"no Cedar resource type for {rtype!r}")
        holders: dict[str, dict[str, object]] = {"principal": {}, "resource": {}, "context": {}}
        fields = self._fields
        for attribute, value in request.items():
            found = fields.get(attribute)
            if found is None:
                continue  # action, resource.type, or undeclared (the engine never reads it)
            holder, name, convert = found
            converted = convert(value)
            if converted is _NOT_VALID:
                problem = self.schema.value_problem(attribute, value) or "out of Cedar's range"
                raise CedarTranslationError(f"{attribute}: {problem}")
            holders[holder][name] = converted
        justification = request.get("justification")
        chars = len(justification.strip()) if isinstance(justification, str) else 0
        holders["context"][JUSTIFICATION_CHARS] = chars
        principal = {"type": ACTOR_TYPE, "id": uid}
        resource = {"type": self._types[rtype], "id": uid}
        return CedarRequest(
            request={
                "principal": principal,
                "action": {"type": ACTION_TYPE, "id": str(action)},
                "resource": resource,
                "context": holders["context"],
            },
            entities=(
                {"uid": principal, "attrs": holders["principal"], "parents": []},
                {"uid": resource, "attrs": holders["resource"], "parents": []},
            ),
        )


def cedar_request(request: Mapping[str, object], schema: Schema, uid: str = "r") -> CedarRequest:
    """Translate one request (for many, build a CedarRequests once and call it)."""
    return CedarRequests(schema)(request, uid)
