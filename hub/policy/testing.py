"""Policy tests: YAML cases in policies/tests/ run against a policy set, with rule coverage.

A test file::

    description: what these cases are about
    base_from: _base.yaml                          # optional: start from that file's base
    base: {actor.agency_type: RA_PROBATION, ...}   # shared by every case; a case overrides it
    cases:
      - name: lead offender manager reads a conviction item
        request: {resource.category: CONVICTION}
        unset: [purpose]                      # optional: drop attributes the base gives
        expect:
          effect: permit                      # permit | deny
          rules: [R-16-case-leads-read-items] # each permitted, forbade or withheld fields
          obligations: [notify_owner, {redact: [address]}]   # exactly these, when given
          withheld: [address]                 # fields withheld, when given
          explanation: ["a purpose of use is required"]      # fragments of the explanation

A rule is exercised when some case's decision names it (it permitted, forbade or withheld
fields). CI fails when a rule is never exercised: every rule needs a case that shows it working.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .decision import Decision, visible_fields
from .engine import PolicySet
from .errors import LoadProblem, PolicyLoadError, Report
from .files import read_yaml
from .loader import parse_obligation
from .rules import Obligation, merge_obligations

CASE_FIELDS = {"name", "request", "unset", "expect"}
EXPECT_FIELDS = {"effect", "rules", "obligations", "withheld", "explanation"}


@dataclass(frozen=True, slots=True)
class PolicyCase:
    file: str
    name: str
    request: Mapping[str, object]
    effect: str
    rules: tuple[str, ...] = ()
    obligations: tuple[Obligation, ...] | None = None
    withheld: tuple[str, ...] | None = None
    explanation: tuple[str, ...] = ()

    def failures(self, decision: Decision, policy: PolicySet) -> list[str]:
        problems = []
        if decision.effect.value.lower() != self.effect:
            problems.append(f"effect {decision.effect.value}, expected {self.effect.upper()}")
        fired = {*decision.permitted_by, *decision.forbidden_by, *decision.withheld_by}
        problems += [f"rule {r} did not fire" for r in self.rules if r not in fired]
        if self.obligations is not None and decision.obligations != self.obligations:
            got = "; ".join(o.words() for o in decision.obligations) or "none"
            problems.append(f"obligations: {got}")
        if self.withheld is not None:
            fields = policy.schema.fields.get(str(self.request.get("resource.type")), ())
            got_withheld = visible_fields(decision, (*fields, *self.withheld)).withheld
            problems += [f"field {f} was returned" for f in self.withheld if f not in got_withheld]
        text = str(decision.explanation)
        problems += [f"explanation lacks {frag!r}" for frag in self.explanation if frag not in text]
        return problems


@dataclass(frozen=True, slots=True)
class CaseResult:
    case: PolicyCase
    problems: tuple[str, ...]
    explanation: str

    @property
    def passed(self) -> bool:
        return not self.problems


@dataclass(slots=True)
class PolicyTestReport:
    results: list[CaseResult] = field(default_factory=list)
    coverage: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return all(r.passed for r in self.results) and not self.unexercised

    @property
    def unexercised(self) -> list[str]:
        """Rules no case made fire: CI fails on any."""
        return [rule_id for rule_id, hits in self.coverage.items() if hits == 0]

    def lines(self) -> list[str]:
        out = []
        for r in self.results:
            out.append(f"{'pass' if r.passed else 'FAIL'}  {r.case.file}: {r.case.name}")
            out += [f"      {p}" for p in r.problems]
            if r.problems:
                out += [f"      | {line}" for line in r.explanation.splitlines()]
        passed = sum(r.passed for r in self.results)
        covered = len(self.coverage) - len(self.unexercised)
        out.append(
            f"{passed}/{len(self.results)} cases pass; "
            f"{covered}/{len(self.coverage)} rules exercised"
        )
        out += [f"never exercised: {rule_id}" for rule_id in self.unexercised]
        return out

    def __str__(self) -> str:
        return "\n".join(self.lines())


def load_cases(directory: str | Path, policy: PolicySet) -> list[PolicyCase]:
    cases: list[PolicyCase] = []
    problems: list[LoadProblem] = []
    for path in sorted(Path(directory).glob("*.yaml")):
        if path.name.startswith("_"):
            continue  # shared bases, not tests
        raw = read_yaml(path)
        if not isinstance(raw, dict) or not isinstance(raw.get("cases"), list):
            problems.append(LoadProblem(str(path), None, "", "a test file has a 'cases' list"))
            continue
        base = _base(path, raw)
        for index, body in enumerate(raw["cases"]):
            case = _parse_case(body, base, str(path), index, policy, problems)
            if case is not None:
                cases.append(case)
    if problems:
        raise PolicyLoadError(problems)
    return cases


def _base(path: Path, raw: Mapping[str, Any]) -> dict[str, Any]:
    base: dict[str, Any] = {}
    if "base_from" in raw:
        shared = read_yaml(path.parent / str(raw["base_from"]))
        if isinstance(shared, dict):
            base.update(shared.get("base", {}))
    base.update(raw.get("base", {}))
    return base


def _parse_case(
    body: Any,
    base: Mapping[str, Any],
    file: str,
    index: int,
    policy: PolicySet,
    problems: list[LoadProblem],
) -> PolicyCase | None:
    name = str(body.get("name", f"cases[{index}]")) if isinstance(body, dict) else f"cases[{index}]"
    before = len(problems)

    def report(path: str, message: str) -> None:
        problems.append(LoadProblem(file, repr(name), path, message, "case"))

    if not isinstance(body, dict):
        report("", "a case is a mapping")
        return None
    for key in set(body) - CASE_FIELDS:
        report(str(key), "unknown field")
    overrides = body.get("request", {})
    if not isinstance(overrides, dict):
        report("request", "must be a mapping of attribute to value")
        return None
    raw_request = {**base, **overrides}
    for key in body.get("unset", ()):
        raw_request.pop(key, None)
    request, request_problems = policy.schema.coerce_request(raw_request)
    for problem in request_problems:
        report("request", problem)
    expect = body.get("expect", {})
    if not isinstance(expect, dict) or expect.get("effect") not in ("permit", "deny"):
        report("expect.effect", "must be permit or deny")
        return None
    for key in set(expect) - EXPECT_FIELDS:
        report(f"expect.{key}", "unknown field")
    for rule_id in expect.get("rules", ()):
        if rule_id not in {r.id for r in policy.rules}:
            report("expect.rules", f"unknown rule {rule_id!r}")
    obligations = None
    if "obligations" in expect:
        obligations = merge_obligations(_expected_obligations(expect["obligations"], report))
    if len(problems) > before:
        return None
    withheld = expect.get("withheld")
    return PolicyCase(
        file=file,
        name=name,
        request=request,
        effect=expect["effect"],
        rules=tuple(expect.get("rules", ())),
        obligations=obligations,
        withheld=None if withheld is None else tuple(withheld),
        explanation=tuple(expect.get("explanation", ())),
    )


def _expected_obligations(raw: object, report: Report) -> list[Obligation]:
    found: list[Obligation] = []
    for i, item in enumerate(raw if isinstance(raw, list) else [raw]):
        name, value = (item, True) if isinstance(item, str) else next(iter(item.items()))
        ob = parse_obligation(str(name), value, f"expect.obligations[{i}]", report)
        if ob is not None:
            found.append(ob)
    return found


def run_policy_tests(policy: PolicySet, directory: str | Path) -> PolicyTestReport:
    """Run every case of ``directory``; the report has pass/fail per case and rule coverage."""
    report = PolicyTestReport(coverage={rule.id: 0 for rule in policy.rules})
    for case in load_cases(directory, policy):
        decision = policy.decide(case.request)
        for rule_id in {*decision.permitted_by, *decision.forbidden_by, *decision.withheld_by}:
            report.coverage[rule_id] += 1
        problems = case.failures(decision, policy)
        report.results.append(CaseResult(case, tuple(problems), str(decision.explanation)))
    return report


def unexercised_rules(policy: PolicySet, directory: str | Path) -> list[str]:
    """Rules no policy test makes fire (CI fails on any)."""
    return run_policy_tests(policy, directory).unexercised
