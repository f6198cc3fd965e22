"""The policy test runner and the generated rule catalogue."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.policy import PolicyLoadError
from hub.policy.catalogue import BEGIN, END, rule_catalogue, with_catalogue
from hub.policy.testing import run_policy_tests, unexercised_rules
from tests.policy.support import POLICIES, ROOT, shipped

CASES = """
base_from: _base.yaml
cases:
  - name: R-16 lead reads a conviction item
    expect: {effect: permit, rules: [R-16-case-leads-read-items]}
  - name: R-16 this expectation is wrong on purpose
    expect:
      effect: deny
      obligations: [notify_owner]
      explanation: ["no such words"]
"""


def write_cases(tmp_path: Path, text: str) -> Path:
    (tmp_path / "_base.yaml").write_text((POLICIES / "tests" / "_base.yaml").read_text())
    (tmp_path / "cases.yaml").write_text(text)
    return tmp_path


def test_runner_reports_each_case_and_the_rules_never_exercised(tmp_path: Path) -> None:
    report = run_policy_tests(shipped(), write_cases(tmp_path, CASES))
    assert [r.passed for r in report.results] == [True, False]
    failed = report.results[1]
    assert "effect PERMIT, expected DENY" in failed.problems
    assert "obligations: none" in failed.problems
    assert "explanation lacks 'no such words'" in failed.problems
    assert report.coverage["R-16-case-leads-read-items"] == 2
    assert "R-51-cosa-read-circle-profile" in report.unexercised
    assert not report.ok
    text = str(report)
    assert "FAIL  " in text
    assert "1/2 cases pass" in text
    assert "never exercised: R-51-cosa-read-circle-profile" in text


def test_every_shipped_rule_is_exercised_by_the_shipped_cases() -> None:
    assert unexercised_rules(shipped(), POLICIES / "tests") == []


def test_a_case_naming_an_unknown_attribute_or_rule_does_not_load(tmp_path: Path) -> None:
    broken = CASES.replace(
        "expect: {effect: permit, rules: [R-16-case-leads-read-items]}",
        "request: {actor.role: [DTC_REP]}\n"
        "    expect: {effect: permit, rules: [R-16-case-leads-reads-items]}",
    )
    with pytest.raises(PolicyLoadError) as caught:
        run_policy_tests(shipped(), write_cases(tmp_path, broken))
    message = str(caught.value)
    assert (
        "cases.yaml: case 'R-16 lead reads a conviction item': request: unknown attribute"
        in message
    )
    assert "expect.rules: unknown rule 'R-16-case-leads-reads-items'" in message


def test_docs_hold_the_current_rule_catalogue() -> None:
    document = (ROOT / "docs" / "policies.md").read_text(encoding="utf-8")
    assert BEGIN in document
    assert END in document
    assert with_catalogue(document, shipped()) == document, (
        "docs/policies.md is stale: run hub.policy.catalogue.refresh_catalogue"
    )


def test_catalogue_lists_every_rule_with_its_description() -> None:
    catalogue = rule_catalogue(shipped())
    for rule in shipped().rules:
        assert f"**{rule.id}** ({rule.effect}) — {rule.description}" in catalogue
