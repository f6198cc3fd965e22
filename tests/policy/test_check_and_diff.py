"""The invariant check over the whole request space, and the policy diff."""

from __future__ import annotations

import itertools
import shutil
from collections import Counter
from functools import cache
from pathlib import Path

import pytest
import yaml

from hub.policy import PolicyLoadError, PolicySet
from hub.policy.check import CheckReport, check, load_invariants, tracked_conditions
from hub.policy.diff import diff
from hub.policy.space import RequestSpace, explore
from tests.policy.support import LONG_REASON, POLICIES, request, shipped

INVARIANTS = POLICIES / "invariants.yaml"


@cache
def shipped_check() -> CheckReport:
    return check(shipped(), INVARIANTS)


def test_invariants_hold_for_the_shipped_policy() -> None:
    report = shipped_check()
    assert report.counts == {}, "\n".join(report.lines())
    assert report.ok
    assert len(report.invariants) >= 15
    assert report.lines()[0].startswith(f"checked {len(report.invariants)} invariants over")


def test_check_covers_the_whole_request_space_exactly_once() -> None:
    space = load_invariants(INVARIANTS, shipped().schema).space
    assert space.size > 10**12
    assert shipped_check().requests_covered == space.size
    assert shipped_check().representatives < 10**6


def test_walk_decides_a_small_space_exactly_as_naive_enumeration_does() -> None:
    # Small enough to enumerate request by request: the walk's classes must give the same
    # decisions, counted with their weights, as deciding every request of the space.
    schema = shipped().schema
    space = RequestSpace.from_spec(
        schema,
        {
            "optional": ["purpose"],
            "values": {
                "action": ["read", "edit", "disclose"],
                "actor.agency_type": ["RA_POLICE", "DTC_HOUSING", "DTC_HEALTH", "COSA_PROVIDER"],
                "actor.roles": [["OFFENDER_MANAGER"], ["DTC_REP"], ["COSA_VOLUNTEER"]],
                "purpose": ["RISK_MANAGEMENT", "COSA_SUPPORT"],
                "justification": ["", LONG_REASON],
                "resource.consent_state": ["ACTIVE_COVERS", "WITHDRAWN", "NONE"],
            },
            "fixed": {
                name: value
                for name, value in request().items()
                if name
                not in {
                    "action",
                    "resource.type",
                    "resource.category",
                    "actor.agency_type",
                    "actor.roles",
                    "purpose",
                    "justification",
                    "actor.case_relationships",
                    "break_glass",
                    "resource.consent_state",
                }
            },
        },
    )
    policy = shipped()

    def outcome(req: dict[str, object]) -> tuple[str, tuple[str, ...]]:
        decision = policy.decide(req)
        return decision.effect.value, tuple(o.words() for o in decision.obligations)

    walked: Counter[tuple[str, tuple[str, ...]]] = Counter()
    tracked = tracked_conditions(policy)
    covered = explore(
        space, schema, tracked, lambda v: walked.update({outcome(v.request): v.weight})
    )
    naive: Counter[tuple[str, tuple[str, ...]]] = Counter()
    for combination in itertools.product(*(d.values for d in space.dimensions)):
        req = dict(space.fixed)
        for dim, value in zip(space.dimensions, combination, strict=True):
            req.update(dim.given(value))
        naive[outcome(req)] += 1
    assert covered == space.size == naive.total()
    assert walked == naive


@pytest.fixture
def policy_copy(tmp_path: Path) -> Path:
    root = tmp_path / "policies"
    shutil.copytree(POLICIES, root)
    return root


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_r17_check_reports_counterexamples_when_housing_address_rule_is_removed(
    policy_copy: Path,
) -> None:
    _edit(
        policy_copy / "rules" / "victims_children.yaml",
        "      fields: [address]\n",
        "      fields: [handling]\n",
    )
    # Only the invariant under test, to keep the run short.
    invariants = yaml.safe_load(INVARIANTS.read_text(encoding="utf-8"))
    invariants["invariants"] = [inv for inv in invariants["invariants"] if "housing" in inv["id"]]
    reduced = policy_copy / "invariants.yaml"
    reduced.write_text(yaml.safe_dump(invariants), encoding="utf-8")
    report = check(PolicySet.load(policy_copy), reduced)
    assert not report.ok
    assert set(report.counts) == {"INV-housing-never-gets-victim-address"}
    example = next(e for e in report.examples if e.invariant_id in report.counts)
    assert example.problem == "returns address"
    assert example.request["actor.agency_type"] == "DTC_HOUSING"
    assert example.request["resource.category"] == "VICTIM"
    text = str(report)
    assert "FAIL  INV-housing-never-gets-victim-address" in text
    assert "returns address" in text


def test_diff_of_a_policy_with_itself_is_empty() -> None:
    report = diff(shipped(), shipped(), INVARIANTS)
    assert report.unchanged
    assert report.requests_covered == load_invariants(INVARIANTS, shipped().schema).space.size


def test_diff_finds_a_deliberate_change(policy_copy: Path) -> None:
    _edit(
        policy_copy / "rules" / "break_glass.yaml",
        "require_justification: {min_chars: 40}",
        "require_justification: {min_chars: 30}",
    )
    changed = PolicySet.load(policy_copy)
    assert changed.bundle_hash != shipped().bundle_hash
    report = diff(shipped(), changed, INVARIANTS)
    assert not report.unchanged
    assert report.changes
    for change in report.changes:
        assert change.request["break_glass"] is True
        assert "require a justification of at least 40 characters" in change.old[1]
        assert "require a justification of at least 30 characters" in change.new[1]
        assert any(rule.startswith("R-16-break-glass") for rule in change.new_rules)
    assert "decide differently" in report.lines()[0]
    assert "PERMIT" in report.lines()[1]


def test_an_invariant_file_naming_unknown_things_does_not_load(tmp_path: Path) -> None:
    text = INVARIANTS.read_text(encoding="utf-8")
    bad = tmp_path / "invariants.yaml"
    bad.write_text(text.replace("[MAPPA_CHAIR_L2, MAPPA_CHAIR_L3]", "[MAPPA_CHAIR_L9]"))
    unknown_role = r"space: actor\.roles: unknown value .MAPPA_CHAIR_L9."
    with pytest.raises(PolicyLoadError, match=unknown_role):
        load_invariants(bad, shipped().schema)
    bad.write_text(text.replace("expect: deny", "expect: denny", 1))
    with pytest.raises(PolicyLoadError, match="invariant INV-cosa-never-restricted-items: expect"):
        load_invariants(bad, shipped().schema)
