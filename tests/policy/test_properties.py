"""Property tests (hypothesis) over the shipped policy set.

1. Explanations are actionable: for a denied request, each candidate permit rule's explanation
   names the missing attribute or the first failing condition. Supplying that attribute, or
   changing it to a value that satisfies the condition, fixes that condition. Repeating this for
   each condition the explanation then names makes the rule apply, and the request is permitted
   by it unless a forbid rule fires.
2. The compiled engine agrees with the reference interpreter of the condition AST (Cedar's
   differential testing, in miniature).
"""

from __future__ import annotations

from collections.abc import Mapping

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hub.policy import (
    MISSING,
    ConditionError,
    DenyReason,
    Effect,
    Kind,
    PolicySet,
    RuleEffect,
    attributes_of,
    evaluate,
    first_failure,
    satisfying_change,
)
from hub.policy.testing import load_cases
from tests.policy.support import LONG_REASON, NOW, POLICIES, shipped

POLICY = shipped()
SCHEMA = POLICY.schema
RULE_IDS = {rule.id for rule in POLICY.rules}
PROPERTY_SETTINGS = settings(
    max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)


def _values(name: str) -> st.SearchStrategy[object]:
    kind = SCHEMA.attributes[name].type
    if kind.kind is Kind.ENUM:
        return st.sampled_from(SCHEMA.enum_values(str(kind.enum)))
    if kind.kind is Kind.SET:
        members = st.sampled_from(SCHEMA.enum_values(str(kind.enum)))
        return st.frozensets(members, max_size=3)
    if kind.kind is Kind.BOOL:
        return st.booleans()
    if kind.kind is Kind.INT:
        return st.integers(min_value=0, max_value=40)
    if kind.kind is Kind.DATETIME:
        return st.just(NOW)
    return st.sampled_from(["", "too short", LONG_REASON])


@st.composite
def random_requests(draw: st.DrawFn) -> dict[str, object]:
    """Well-formed requests: required attributes always, the others sometimes left out."""
    rtype = draw(st.sampled_from(SCHEMA.enum_values("resource_type")))
    request: dict[str, object] = {"resource.type": rtype}
    if rtype in SCHEMA.categorised_resource_types:
        request["resource.category"] = draw(_values("resource.category"))
    for name, spec in SCHEMA.attributes.items():
        if name in ("resource.type", "resource.category"):
            continue
        if spec.required or draw(st.integers(0, 9)) > 0:
            request[name] = draw(_values(name))
    return request


# Requests the policy tests expect to be permitted: near misses of these exercise every rule.
SEEDS = [
    dict(case.request) for case in load_cases(POLICIES / "tests", POLICY) if case.effect == "permit"
]
OPTIONAL = [name for name, spec in SCHEMA.attributes.items() if not spec.required]


@st.composite
def near_misses(draw: st.DrawFn) -> dict[str, object]:
    """A permitted request with one to three optional attributes removed or changed."""
    request = dict(draw(st.sampled_from(SEEDS)))
    for name in draw(st.lists(st.sampled_from(OPTIONAL), min_size=1, max_size=3, unique=True)):
        if name == "resource.category":
            continue  # removing it makes a malformed request, not a near miss
        if draw(st.booleans()):
            request.pop(name, None)
        else:
            request[name] = draw(_values(name))
    return request


def requests() -> st.SearchStrategy[dict[str, object]]:
    return st.one_of(random_requests(), near_misses())


def _apply(request: dict[str, object], change: Mapping[str, object]) -> None:
    for name, value in change.items():
        if value is MISSING:
            request.pop(name, None)
        else:
            request[name] = value


@PROPERTY_SETTINGS
@given(requests())
def test_fixing_what_the_explanation_names_makes_the_rule_apply(request: dict[str, object]) -> None:
    decision = POLICY.decide(request)
    if decision.reason is not DenyReason.NO_PERMIT:
        return
    for note in decision.explanation.notes:
        assert note.failure is not None
        rule = POLICY.rule(note.rule_id)
        fixed = dict(request)
        failure = note.failure
        for _ in range(12):
            named = {name for name, _ in failure.given}
            change = satisfying_change(failure.condition, fixed, SCHEMA)
            assert change, f"{rule.id}: no change proposed for {failure.words()}"
            assert set(change) <= named, f"{rule.id}: the change touches unnamed attributes"
            _apply(fixed, change)
            assert first_failure(failure.condition, fixed, SCHEMA) is None
            next_failure = first_failure(rule.applicability(), fixed, SCHEMA)
            if next_failure is None:
                break
            failure = next_failure
        assert first_failure(rule.applicability(), fixed, SCHEMA) is None, rule.id
        after = POLICY.decide(fixed)
        if not after.forbidden_by and after.reason is not DenyReason.FORBID_ERROR:
            assert rule.id in after.permitted_by


@PROPERTY_SETTINGS
@given(requests())
def test_missing_attributes_are_named_and_supplying_them_removes_the_complaint(
    request: dict[str, object],
) -> None:
    decision = POLICY.decide(request)
    if decision.reason is not DenyReason.NO_PERMIT:
        return
    for note in decision.explanation.notes:
        assert note.failure is not None
        for name in note.failure.missing:
            assert name not in request
            assert "the request gave none" in note.reason or f"{name} none" in note.reason


def _reference(policy: PolicySet, request: Mapping[str, object]) -> tuple[Effect, set[str]]:
    """Decide by evaluating every rule's applicability with the reference interpreter."""
    permits, forbids, errors = set(), set(), False
    for rule in policy.rules:
        if rule.is_field_forbid:
            continue
        try:
            applies = evaluate(rule.applicability(), request, policy.schema)
        except ConditionError:
            errors = errors or rule.effect is RuleEffect.FORBID
            continue
        if applies:
            (permits if rule.effect is RuleEffect.PERMIT else forbids).add(rule.id)
    if forbids or errors:
        return Effect.DENY, forbids
    return (Effect.PERMIT if permits else Effect.DENY), permits


def _mistyped(name: str) -> st.SearchStrategy[object]:
    return st.sampled_from([7, "NOT_A_VALUE", ["a", "list"], None, True])


@st.composite
def noisy_requests(draw: st.DrawFn) -> dict[str, object]:
    """Well-formed requests with some optional attributes given a wrong type."""
    request = draw(requests())
    for name, spec in SCHEMA.attributes.items():
        if not spec.required and name != "resource.category" and draw(st.integers(0, 7)) == 0:
            request[name] = draw(_mistyped(name))
    return request


@settings(max_examples=400, deadline=None, database=None)
@given(noisy_requests())
def test_compiled_engine_agrees_with_the_reference_interpreter(request: dict[str, object]) -> None:
    decision = POLICY.decide(request)
    effect, rules = _reference(POLICY, request)
    justification_deny = decision.reason is DenyReason.JUSTIFICATION
    assert decision.effect is effect or (justification_deny and effect is Effect.PERMIT)
    if decision.forbidden_by:
        assert set(decision.forbidden_by) == rules
    elif decision.permitted_by:
        assert set(decision.permitted_by) == rules
    assert set(decision.permitted_by) | set(decision.forbidden_by) <= RULE_IDS


def test_each_attribute_a_permit_needs_is_named_when_missing_and_supplying_it_permits() -> None:
    checked = 0
    for seed in SEEDS:
        decision = POLICY.decide(seed)
        for rule_id in decision.permitted_by:
            rule = POLICY.rule(rule_id)
            for name in sorted(attributes_of(rule.when)):
                without = {k: v for k, v in seed.items() if k != name}
                denied = POLICY.decide(without)
                if denied.reason is not DenyReason.NO_PERMIT:
                    continue  # a forbid fired (e.g. no purpose): a different explanation
                note = next(n for n in denied.explanation.notes if n.rule_id == rule_id)
                assert note.failure is not None
                assert name in note.failure.missing, note.reason
                assert "the request gave none" in note.reason or f"{name} none" in note.reason
                supplied = POLICY.decide({**without, name: seed[name]})
                assert rule_id in supplied.permitted_by
                checked += 1
    assert checked >= 10
