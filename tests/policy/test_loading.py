"""Loading and validating policy files: every error names the file, the rule and the path."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from hub.policy import PolicyLoadError, PolicySet
from tests.policy.support import POLICIES, policy_dir, shipped

GOOD_RULE = """
rules:
  - id: R-16-test-rule
    description: A rule for tests (R-16).
    effect: permit
    scope: {actions: [read], resource_types: [item], categories: [RISK]}
    when:
      all:
        - in: {attr: purpose, values: [RISK_MANAGEMENT]}
        - in: {attr: resource.legal_basis, values: [CONSENT]}
"""


def load_error(tmp_path: Path, text: str, name: str = "health.yaml") -> str:
    root = policy_dir(tmp_path, {name: text})
    with pytest.raises(PolicyLoadError) as caught:
        PolicySet.load(root)
    return str(caught.value)


def test_shipped_policy_loads() -> None:
    policy = shipped()
    assert len(policy.rules) >= 30
    assert len(policy.bundle_hash) == 64


def test_r28_misspelt_enum_value_names_file_rule_and_path(tmp_path: Path) -> None:
    text = (
        GOOD_RULE.replace("R-16-test-rule", "R-28-health-basis")
        .replace("(R-16)", "(R-28)")
        .replace("[CONSENT]", "[CONSNET]")
    )
    message = load_error(tmp_path, text)
    assert message == (
        f"{tmp_path / 'policies' / 'rules' / 'health.yaml'}: rule R-28-health-basis: "
        "when.all[1].in: unknown value 'CONSNET' for enum legal_basis"
    )


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("attr: purpose", "attr: purpse"), "when.all[0].in.attr: unknown attribute 'purpse'"),
        (
            ("actions: [read]", "actions: [reed]"),
            "scope.actions[0]: unknown value 'reed' for enum action",
        ),
        (("effect: permit", "efect: permit"), "efect: unknown field"),
        (("- in: {attr: purpose", "- inn: {attr: purpose"), "when.all[0]: unknown operator 'inn'"),
        (
            ("categories: [RISK]", "categories: [RISKY]"),
            "scope.categories[0]: unknown value 'RISKY'",
        ),
        (
            ("resource_types: [item]", "resource_types: [case]"),
            "scope.categories: categories apply only to items",
        ),
        (("effect: permit", "effect: allow"), "effect: must be permit or forbid, not 'allow'"),
        (("values: [RISK_MANAGEMENT]", "values: []"), "when.all[0].in: in takes a non-empty list"),
        (
            ("values: [RISK_MANAGEMENT]", "values: [7]"),
            "when.all[0].in: expected purpose, got int 7",
        ),
        (("(R-16)", "(no id)"), "description: must name the rule's R-id (R-16)"),
        (("R-16-test-rule", "victim-rule"), "rule victim-rule: id: must look like"),
    ],
)
def test_malformed_rule_is_refused_with_its_location(
    tmp_path: Path, change: tuple[str, str], expected: str
) -> None:
    message = load_error(tmp_path, GOOD_RULE.replace(*change), "ownership.yaml")
    assert "ownership.yaml: rule " in message
    assert expected in message


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (
            "    obligations: [{notify_ownr: true}]",
            "obligations[0].notify_ownr: unknown obligation",
        ),
        ("    obligations: [{redact: [adress]}]", "obligations[0].redact: unknown field 'adress'"),
        (
            "    obligations: [{require_justification: {min_chars: -1}}]",
            "obligations[0].require_justification: must be {min_chars: <positive whole number>}",
        ),
        (
            "    obligations: [{notify_owner: yes please}]",
            "obligations[0].notify_owner: must be true",
        ),
        ("    colour: blue", "colour: unknown field"),
    ],
)
def test_malformed_obligation_is_refused(tmp_path: Path, extra: str, expected: str) -> None:
    message = load_error(tmp_path, GOOD_RULE + extra + "\n")
    assert "rule R-16-test-rule: " + expected in message


def test_wrong_operator_for_the_attribute_type_is_refused(tmp_path: Path) -> None:
    text = GOOD_RULE.replace(
        "- in: {attr: purpose, values: [RISK_MANAGEMENT]}", "- is_true: purpose"
    )
    assert "when.all[0].is_true: is_true does not apply to purpose, which is purpose" in load_error(
        tmp_path, text
    )


def test_forbid_rules_carry_no_obligations_and_fields_need_a_forbid(tmp_path: Path) -> None:
    text = (
        GOOD_RULE.replace("effect: permit", "effect: forbid")
        + "    obligations: [{notify_owner: true}]\n"
    )
    assert "obligations: a forbid rule has no obligations" in load_error(tmp_path, text)
    text = GOOD_RULE.replace("categories: [RISK]}", "categories: [RISK], fields: [address]}")
    assert "scope.fields: field-level scope is for forbid rules only" in load_error(tmp_path, text)


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    text = GOOD_RULE.replace("[CONSENT]", "[CONSNET]").replace("[read]", "[reed]")
    message = load_error(tmp_path, text)
    assert "CONSNET" in message
    assert "reed" in message


def test_duplicate_rule_ids_are_refused(tmp_path: Path) -> None:
    root = policy_dir(tmp_path, {"a.yaml": GOOD_RULE, "b.yaml": GOOD_RULE})
    with pytest.raises(
        PolicyLoadError, match=r"b\.yaml: rule R-16-test-rule: id: rule id already used"
    ):
        PolicySet.load(root)


def test_a_file_that_is_not_yaml_or_not_a_rule_list_is_refused(tmp_path: Path) -> None:
    assert "not valid YAML" in load_error(tmp_path, "rules: [\n")
    assert "a rule file is a mapping with a 'rules' list" in load_error(tmp_path, "- 1\n")


def test_unknown_type_in_the_schema_is_refused(tmp_path: Path) -> None:
    root = policy_dir(tmp_path, {"a.yaml": GOOD_RULE})
    schema = root / "schema.yaml"
    schema.write_text(
        schema.read_text().replace("type: set<role>", "type: set<rol>"), encoding="utf-8"
    )
    with pytest.raises(PolicyLoadError, match=r"schema\.yaml: attributes\.actor\.roles\.type"):
        PolicySet.load(root)


def test_bundle_hash_follows_content_not_layout(tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(POLICIES, copy)
    assert PolicySet.load(copy).bundle_hash == shipped().bundle_hash
    audit = copy / "rules" / "audit.yaml"
    audit.write_text("# a comment\n" + audit.read_text(), encoding="utf-8")
    assert PolicySet.load(copy).bundle_hash == shipped().bundle_hash
    audit.write_text(
        audit.read_text().replace("AUDIT_OVERSIGHT", "SUBJECT_ACCESS"), encoding="utf-8"
    )
    assert PolicySet.load(copy).bundle_hash != shipped().bundle_hash


def test_a_policy_without_a_rules_folder_or_schema_does_not_load(tmp_path: Path) -> None:
    with pytest.raises(PolicyLoadError, match="the policy has no rules folder"):
        PolicySet.load(tmp_path)
    (tmp_path / "rules").mkdir()
    with pytest.raises(PolicyLoadError, match=r"schema\.yaml: cannot be read"):
        PolicySet.load(tmp_path)
