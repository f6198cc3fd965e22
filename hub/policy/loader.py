"""Read and validate rule files (policies/rules/*.yaml) and hash the policy bundle.

Every problem is reported with its file, rule id and the path inside the rule, e.g.
``policies/rules/health.yaml: rule R-28-health-basis: when.all[1].in: unknown value 'CONSNET' for
enum legal_basis``. Loading collects all problems before failing, so one run shows them all.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from .conditions import ALWAYS, Condition, parse_condition
from .errors import LoadProblem, PolicyLoadError, Report
from .files import read_yaml
from .rules import (
    FlagForReview,
    NotifyOwner,
    Obligation,
    RecordBreakGlass,
    Redact,
    RedactAllExcept,
    RequireJustification,
    Rule,
    RuleEffect,
    Scope,
)
from .schema import Schema

RULE_ID = re.compile(r"^R-(\d{2})(-[a-z0-9]+)+$")
RULE_FIELDS = {"id", "description", "effect", "scope", "when", "obligations"}
SCOPE_ENUMS = {
    "actions": "action",
    "resource_types": "resource_type",
    "categories": "category",
    "roles": "role",
    "agency_types": "agency_type",
}
FLAG_OBLIGATIONS: dict[str, Callable[[], Obligation]] = {
    "notify_owner": NotifyOwner,
    "flag_for_review": FlagForReview,
    "record_break_glass": RecordBreakGlass,
}


def canonical_json(data: object) -> str:
    """One text per meaning: key order, spacing, comments and YAML anchors do not matter."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), default=str, ensure_ascii=False)


def bundle_hash(root: Path, files: Sequence[Path]) -> str:
    """SHA-256 over the canonical content of each file, in order of relative path."""
    digest = hashlib.sha256()
    for path in sorted(files, key=lambda p: p.relative_to(root).as_posix()):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(b"\0")
        digest.update(canonical_json(read_yaml(path)).encode())
        digest.update(b"\0")
    return digest.hexdigest()


def load_rules(rule_files: Sequence[Path], schema: Schema) -> tuple[Rule, ...]:
    problems: list[LoadProblem] = []
    rules: list[Rule] = []
    seen: dict[str, str] = {}
    for path in rule_files:
        try:
            raw = read_yaml(path)
        except PolicyLoadError as exc:
            problems += exc.problems
            continue
        for rule in _parse_file(raw, str(path), schema, problems):
            if rule.id in seen:
                problems.append(
                    LoadProblem(
                        str(path), rule.id, "id", f"rule id already used in {seen[rule.id]}"
                    )
                )
            seen[rule.id] = str(path)
            rules.append(rule)
    if problems:
        raise PolicyLoadError(problems)
    return tuple(rules)


def _parse_file(raw: object, file: str, schema: Schema, problems: list[LoadProblem]) -> list[Rule]:
    if not isinstance(raw, dict) or not isinstance(raw.get("rules"), list):
        problems.append(LoadProblem(file, None, "", "a rule file is a mapping with a 'rules' list"))
        return []
    for key in raw:
        if key not in ("rules", "description"):
            problems.append(LoadProblem(file, None, str(key), "unknown field"))
    rules = []
    for index, body in enumerate(raw["rules"]):
        rule = parse_rule(body, file, index, schema, problems)
        if rule is not None:
            rules.append(rule)
    return rules


def parse_rule(
    body: object, file: str, index: int, schema: Schema, problems: list[LoadProblem]
) -> Rule | None:
    before = len(problems)
    rule_id = body.get("id") if isinstance(body, dict) else None
    label = rule_id if isinstance(rule_id, str) else f"rules[{index}]"

    def report(path: str, message: str) -> None:
        problems.append(LoadProblem(file, label, path, message))

    if not isinstance(body, dict):
        report("", "a rule is a mapping")
        return None
    _check_header(body, report)
    effect = body.get("effect")
    scope = _parse_scope(body.get("scope", {}), schema, report)
    when: Condition | None = ALWAYS
    if "when" in body:
        when = parse_condition(body["when"], "when", schema, report)
    obligations = _parse_obligations(body.get("obligations", []), scope, schema, report)
    if effect == "forbid" and obligations:
        report("obligations", "a forbid rule has no obligations (use scope.fields to redact)")
    if scope is not None and (scope.fields or scope.fields_except) and effect != "forbid":
        report("scope.fields", "field-level scope is for forbid rules only")
    if len(problems) > before or scope is None or when is None:
        return None
    return Rule(
        id=str(rule_id),
        description=" ".join(str(body["description"]).split()),
        effect=RuleEffect(str(effect)),
        scope=scope,
        when=when,
        obligations=tuple(obligations),
        file=file,
    )


def _check_header(body: dict[str, Any], report: Report) -> None:
    """Known fields only; id, description and effect given; the id and the description name
    the same R-id, so every rule traces to domain.md §9."""
    for key in body:
        if key not in RULE_FIELDS:
            report(str(key), "unknown field")
    for key in ("id", "description", "effect"):
        if not isinstance(body.get(key), str) or not body[key].strip():
            report(key, "is required (text)")
    rule_id = body.get("id")
    if isinstance(rule_id, str) and (match := RULE_ID.match(rule_id)):
        if f"R-{match.group(1)}" not in str(body.get("description", "")):
            report("description", f"must name the rule's R-id (R-{match.group(1)})")
    elif isinstance(rule_id, str):
        report("id", "must look like R-17-victim-child-visibility (R-id, then words)")
    effect = body.get("effect")
    if effect is not None and effect not in ("permit", "forbid"):
        report("effect", f"must be permit or forbid, not {effect!r}")


def _enum_list(raw: object, enum: str, path: str, schema: Schema, report: Report) -> frozenset[str]:
    if not isinstance(raw, list) or not raw:
        report(path, "must be a non-empty list")
        return frozenset()
    for i, value in enumerate(raw):
        if value not in schema.enums[enum]:
            report(f"{path}[{i}]", f"unknown value {value!r} for enum {enum}")
    return frozenset(str(v) for v in raw)


def _parse_scope(raw: object, schema: Schema, report: Report) -> Scope | None:
    if not isinstance(raw, dict):
        report("scope", "must be a mapping")
        return None
    parts: dict[str, frozenset[str] | None] = dict.fromkeys(
        (*SCOPE_ENUMS, "fields", "fields_except")
    )
    for key, value in raw.items():
        if key in SCOPE_ENUMS:
            parts[key] = _enum_list(value, SCOPE_ENUMS[key], f"scope.{key}", schema, report)
        elif key in ("fields", "fields_except"):
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                report(f"scope.{key}", "must be a list of field names")
            else:
                parts[key] = frozenset(value)
        else:
            report(f"scope.{key}", "unknown field")
    _check_scope_parts(parts, schema, report)
    return Scope(**parts)


def _check_scope_parts(
    parts: dict[str, frozenset[str] | None], schema: Schema, report: Report
) -> None:
    if parts["categories"] is not None:
        types = parts["resource_types"]
        if types is None:
            parts["resource_types"] = schema.categorised_resource_types
        elif not types <= schema.categorised_resource_types:
            report("scope.categories", "categories apply only to items; split the rule")
    if parts["fields"] is not None and parts["fields_except"] is not None:
        report("scope.fields", "give fields or fields_except, not both")
    for key in ("fields", "fields_except"):
        names = parts[key]
        if names is not None:
            _check_fields(names, parts["resource_types"], f"scope.{key}", schema, report)


def _check_fields(
    names: frozenset[str],
    resource_types: frozenset[str] | None,
    path: str,
    schema: Schema,
    report: Report,
) -> None:
    if resource_types is None:
        report(path, "naming fields needs scope.resource_types")
        return
    declared = {f for t in resource_types for f in schema.fields.get(t, ())}
    for name in sorted(names - declared):
        report(path, f"unknown field {name!r} for {', '.join(sorted(resource_types))}")


def _parse_obligations(
    raw: object, scope: Scope | None, schema: Schema, report: Report
) -> list[Obligation]:
    if not isinstance(raw, list):
        report("obligations", "must be a list")
        return []
    result: list[Obligation] = []
    for i, item in enumerate(raw):
        path = f"obligations[{i}]"
        if not isinstance(item, dict) or len(item) != 1:
            report(path, "an obligation is a one-key mapping, e.g. {notify_owner: true}")
            continue
        ((name, value),) = item.items()
        obligation = parse_obligation(str(name), value, f"{path}.{name}", report)
        if isinstance(obligation, Redact | RedactAllExcept):
            types = scope.resource_types if scope is not None else None
            _check_fields(obligation.fields, types, f"{path}.{name}", schema, report)
        if obligation is not None:
            result.append(obligation)
    return result


def parse_obligation(name: str, value: object, path: str, report: Report) -> Obligation | None:
    if name in FLAG_OBLIGATIONS:
        if value is not True:
            report(path, "must be true")
            return None
        return FLAG_OBLIGATIONS[name]()
    if name in ("redact", "redact_all_except"):
        if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
            report(path, "must be a non-empty list of field names")
            return None
        return Redact(frozenset(value)) if name == "redact" else RedactAllExcept(frozenset(value))
    if name == "require_justification":
        chars = value.get("min_chars") if isinstance(value, dict) else None
        if not isinstance(chars, int) or isinstance(chars, bool) or chars < 1 or len(value) != 1:  # type: ignore[arg-type]
            report(path, "must be {min_chars: <positive whole number>}")
            return None
        return RequireJustification(chars)
    report(path, f"unknown obligation {name!r}")
    return None
