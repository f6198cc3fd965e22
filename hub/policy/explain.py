"""Explanations of decisions, in structure and in plain words.

Built on demand from the decision and the request it answered (kept on denies), by re-running
the reference interpreter: the engine's hot path stays free of explanation work.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from .decision import Decision, DenyReason, Effect, Explanation, RuleNote
from .errors import ConditionError
from .evaluate import MISSING, first_failure
from .rules import RequireJustification, Rule, RuleEffect, merge_obligations

if TYPE_CHECKING:
    from .engine import PolicySet

DEFAULT_DENY = "access is denied by default (R-16)"


def build_explanation(
    policy: PolicySet, decision: Decision, request: Mapping[str, object] | None
) -> Explanation:
    req: Mapping[str, object] = request or {}
    match decision.reason:
        case None:
            return _permit(policy, decision)
        case DenyReason.BAD_REQUEST:
            problems = request_problems(policy, req)
            return _deny("DENY: the request cannot be decided: " + "; ".join(problems), ())
        case DenyReason.FORBIDDEN:
            notes = tuple(_fired(policy.rule(i), "forbade") for i in decision.forbidden_by)
            first = policy.rule(decision.forbidden_by[0])
            return _deny(f"DENY: forbidden by {first.id}: {first.description}", notes)
        case DenyReason.FORBID_ERROR:
            notes = _error_notes(policy, decision)
            rule_id, error = decision.errors[-1]
            return _deny(
                f"DENY: rule {rule_id} could not be evaluated ({error_words(error)}); "
                "a forbid that cannot be checked denies (the gate fails closed)",
                notes,
            )
        case DenyReason.NO_PERMIT:
            return _no_permit(policy, req)
        case DenyReason.JUSTIFICATION:
            return _justification(policy, decision, req)
        case DenyReason.OBLIGATION_UNFULFILLED:
            notes = tuple(_fired(policy.rule(i), "permitted") for i in decision.permitted_by)
            cannot = "; ".join(o.words() for o in decision.unfulfilled)
            return _deny(
                f"DENY: permitted by {', '.join(decision.permitted_by)}, but the caller cannot "
                f"carry out the obligation(s): {cannot}",
                notes,
            )


def _deny(summary: str, notes: tuple[RuleNote, ...]) -> Explanation:
    return Explanation(Effect.DENY, summary, notes)


def _fired(rule: Rule, outcome: str) -> RuleNote:
    return RuleNote(rule.id, rule.effect, outcome, rule.description, None, rule.obligations)


def error_words(error: ConditionError) -> str:
    if error.missing:
        return f"the request gave no {error.attribute}"
    return f"{error.attribute} {error.problem}"


def _error_notes(policy: PolicySet, decision: Decision) -> tuple[RuleNote, ...]:
    return tuple(
        RuleNote(
            rule_id,
            policy.rule(rule_id).effect,
            "could not be evaluated",
            error_words(error),
        )
        for rule_id, error in decision.errors
    )


def _permit(policy: PolicySet, decision: Decision) -> Explanation:
    notes = [_fired(policy.rule(i), "permitted") for i in decision.permitted_by]
    for rule_id in decision.withheld_by:
        rule = policy.rule(rule_id)
        field_ob = rule.field_obligation()
        withheld = field_ob.words() if field_ob is not None else ""
        notes.append(
            RuleNote(rule.id, rule.effect, "withheld fields", f"{rule.description} ({withheld})")
        )
    notes += _error_notes(policy, decision)
    summary = f"PERMIT: permitted by {', '.join(decision.permitted_by)}"
    if decision.obligations:
        summary += "; obligations: " + "; ".join(o.words() for o in decision.obligations)
    return Explanation(Effect.PERMIT, summary, tuple(notes))


def _no_permit(policy: PolicySet, request: Mapping[str, object]) -> Explanation:
    permits = [r for r in policy.candidates(request) if r.effect is RuleEffect.PERMIT]
    if not permits:
        what = f"{request.get('action')} on {request.get('resource.type')}"
        if "resource.category" in request:
            what += f" ({request['resource.category']})"
        return _deny(f"DENY: no rule permits {what}; {DEFAULT_DENY}", ())
    notes = []
    for rule in permits:
        failure = first_failure(rule.applicability(), request, policy.schema)
        if failure is None:
            continue
        outcome = "could not be evaluated" if failure.error is not None else "did not apply"
        notes.append(RuleNote(rule.id, rule.effect, outcome, failure.words(), failure))
    summary = f"DENY: no permit rule applies; {DEFAULT_DENY}"
    missing = sorted({m for n in notes if n.failure for m in n.failure.missing})
    if missing:
        summary += "; the request gave no " + ", ".join(missing)
    return _deny(summary, tuple(notes))


def _justification(
    policy: PolicySet, decision: Decision, request: Mapping[str, object]
) -> Explanation:
    obligations = merge_obligations(
        ob for rule_id in decision.permitted_by for ob in policy.rule(rule_id).obligations
    )
    needed = max(o.min_chars for o in obligations if isinstance(o, RequireJustification))
    given = request.get("justification", MISSING)
    gave = f"{len(given.strip())} characters" if isinstance(given, str) else "none"
    notes = tuple(_fired(policy.rule(i), "permitted") for i in decision.permitted_by)
    return _deny(
        f"DENY: permitted by {', '.join(decision.permitted_by)}, but a justification of at least "
        f"{needed} characters is required; the request gave {gave}",
        notes,
    )


def request_problems(policy: PolicySet, request: Mapping[str, object]) -> list[str]:
    """What stops the engine placing a request: its required attributes, and a category for
    categorised resources."""
    schema = policy.schema
    problems = []
    for spec in schema.attributes.values():
        if not spec.required:
            continue
        if spec.name not in request:
            problems.append(f"the request gave no {spec.name}")
        elif (problem := schema.value_problem(spec.name, request[spec.name])) is not None:
            problems.append(f"{spec.name}: {problem}")
    rtype = request.get("resource.type")
    if rtype in schema.categorised_resource_types and "resource.category" not in request:
        problems.append(f"the request gave no resource.category (every {rtype} has one)")
    elif rtype not in schema.categorised_resource_types and "resource.category" in request:
        categorised = ", ".join(sorted(schema.categorised_resource_types))
        problems.append(f"resource.category is given only for {categorised}")
    elif "resource.category" in request and (
        problem := schema.value_problem("resource.category", request["resource.category"])
    ):
        problems.append(f"resource.category: {problem}")
    return problems or ["the request is malformed"]
