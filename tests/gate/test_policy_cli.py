"""`hub policy test|check|diff|explain` as a policy author and an auditor run them (issue 4)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from sqlalchemy import select

from hub.db import make_engine
from hub.gate.cli import policy
from hub.models import AuditRecord, InformationItem, MappaCase
from hub.vocabulary import AuditOperation, Category
from tests.gate.conftest import POLICIES
from tests.helpers import hub_env, run_hub

# A corner of the request space: reads of items of the reader's own agency, with and without a
# purpose. Small enough to explore in well under a second, wide enough to catch R-21 dropped.
SMALL_SPACE = """
space:
  optional: [purpose]
  fixed:
    now: 2025-06-01T12:00:00Z
    action: read
    resource.type: item
  values:
    justification: [""]
    resource.case_count: [1]
    actor.agency_id: [agency-a]
    resource.owning_agency_id: [agency-a]
invariants:
  - id: INV-no-read-without-purpose
    description: Nothing is read without a stated purpose of use (R-21).
    when:
      not: {present: purpose}
    expect: deny
"""


@pytest.fixture
def policies(tmp_path: Path) -> Path:
    root = tmp_path / "policies"
    shutil.copytree(POLICIES, root)
    return root


def _drop_rule(root: Path, file: str, rule_id: str) -> None:
    path = root / "rules" / file
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["rules"] = [r for r in data["rules"] if r["id"] != rule_id]
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def test_policy_test_passes_on_the_shipped_set_and_reports_coverage() -> None:
    result = CliRunner().invoke(policy, ["test", "--policies", str(POLICIES)])
    assert result.exit_code == 0, result.output
    assert "rules exercised" in result.output.splitlines()[-1]
    assert "FAIL" not in result.output


def test_policy_test_fails_when_a_rule_is_never_exercised(policies: Path) -> None:
    extra = {
        "rules": [
            {
                "id": "R-99-untested-extra",
                "description": "A rule nobody wrote a case for (R-99).",
                "effect": "permit",
                "scope": {"actions": ["read"], "resource_types": ["minutes"]},
                "when": {"eq": {"attr": "purpose", "value": "AUDIT_OVERSIGHT"}},
            }
        ]
    }
    (policies / "rules" / "zz_extra.yaml").write_text(yaml.safe_dump(extra), encoding="utf-8")
    result = CliRunner().invoke(policy, ["test", "--policies", str(policies)])
    assert result.exit_code == 1
    assert "never exercised: R-99-untested-extra" in result.output


def test_policy_check_proves_an_invariant_and_shows_a_counterexample(
    policies: Path, tmp_path: Path
) -> None:
    invariants = tmp_path / "invariants.yaml"
    invariants.write_text(SMALL_SPACE, encoding="utf-8")
    args = ["check", "--policies", str(policies), "--invariants", str(invariants)]
    ok = CliRunner().invoke(policy, args)
    assert ok.exit_code == 0, ok.output
    assert "ok  INV-no-read-without-purpose" in ok.output

    _drop_rule(policies, "purpose.yaml", "R-21-purpose-of-use-required")
    broken = CliRunner().invoke(policy, args)
    assert broken.exit_code == 1
    assert "FAIL  INV-no-read-without-purpose" in broken.output
    assert "requests break it" in broken.output
    assert "permitted, should be denied" in broken.output


def test_policy_diff_lists_what_a_change_would_alter(policies: Path, tmp_path: Path) -> None:
    invariants = tmp_path / "invariants.yaml"
    invariants.write_text(SMALL_SPACE, encoding="utf-8")
    _drop_rule(policies, "purpose.yaml", "R-21-purpose-of-use-required")
    args = ["diff", str(POLICIES), str(policies), "--invariants", str(invariants)]
    result = CliRunner().invoke(policy, args)
    assert result.exit_code == 0, result.output  # a report, not a failure, unless asked
    assert "requests decide differently" in result.output
    assert "DENY (R-21-purpose-of-use-required) -> PERMIT" in result.output
    assert CliRunner().invoke(policy, [*args, "--exit-code"]).exit_code == 1
    same = ["diff", str(POLICIES), str(POLICIES), "--invariants", str(invariants)]
    assert " 0 of " in CliRunner().invoke(policy, [*same, "--exit-code"]).output


def test_a_malformed_policy_is_refused_naming_file_rule_and_path(
    policies: Path, tmp_path: Path
) -> None:
    path = policies / "rules" / "cosa.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("value: COSA_SUPPORT", "value: 7"),
        encoding="utf-8",
    )
    env = hub_env("sqlite://", tmp_path)  # no database is opened: the policy does not load
    result = run_hub(["policy", "test", "--policies", str(policies)], env)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert lines[0] == "hub: error: the policy does not load:"
    assert "cosa.yaml: rule R-51-cosa-read-circle-profile: when.all[0].eq:" in lines[1]
    assert "got int 7" in lines[1]


# -- explain: the real command against a real, demo-loaded database ----------------------------


def test_explain_shows_a_readers_view_field_by_field_without_values(
    scratch_database_url: str, tmp_path: Path
) -> None:
    env = hub_env(scratch_database_url, tmp_path)
    assert run_hub(["db", "upgrade"], env).returncode == 0
    loaded = run_hub(["demo", "load", "--count", "6", "--seed", "4"], env)
    assert loaded.returncode == 0, loaded.stderr
    engine = make_engine(scratch_database_url)
    try:
        with engine.connect() as connection:
            case_id = connection.scalar(
                select(InformationItem.case_id).where(InformationItem.category == Category.HEALTH)
            ) or connection.scalar(select(MappaCase.id))
    finally:
        engine.dispose()
    assert case_id is not None

    # a COSA coordinator asking about a case (not a circle profile) gets nothing.
    cosa = run_hub(
        ["policy", "explain", "--as", "DEMO-COSA/COSA_COORDINATOR", "--purpose", "COSA_SUPPORT",
         "--case", str(case_id), "--json"],
        env,
    )  # fmt: skip
    assert cosa.returncode == 0, cosa.stderr
    records = [json.loads(line) for line in cosa.stdout.splitlines()]
    assert records[0]["type"] == "case"
    assert {r["effect"] for r in records} == {"DENY"}
    assert all(r["returned"] == [] for r in records)
    assert any("R-51" in line for line in records[0]["explanation"])

    # The lead's offender manager sees the case; the output names fields, never values.
    om = run_hub(
        ["policy", "explain", "--as", "DEMO-PRB/OFFENDER_MANAGER", "--purpose",
         "RISK_MANAGEMENT", "--case", str(case_id)],
        env,
    )  # fmt: skip
    assert om.returncode == 0, om.stderr
    assert om.stdout.startswith("case ")
    assert "returned:" in om.stdout or "withheld" in om.stdout

    # Asking is itself an audited consultation about the case (s.62).
    engine = make_engine(scratch_database_url)
    try:
        with engine.connect() as connection:
            asked = connection.scalars(
                select(AuditRecord.canonical).where(
                    AuditRecord.operation == AuditOperation.CONSULT,
                    AuditRecord.case_id == str(case_id),
                )
            ).all()
    finally:
        engine.dispose()
    explanations = [json.loads(c) for c in asked if '"policy_explanation"' in c]
    assert len(explanations) == 2
    assert explanations[0]["purpose"] == "AUDIT_OVERSIGHT"
    assert explanations[0]["extra"]["as"] == "DEMO-COSA/COSA_COORDINATOR"


def test_explain_refuses_a_reader_that_cannot_exist(
    scratch_database_url: str, tmp_path: Path
) -> None:
    env = hub_env(scratch_database_url, tmp_path)
    bad_form = run_hub(
        ["policy", "explain", "--as", "DEMO-POL", "--purpose", "RISK_MANAGEMENT",
         "--case", "00000000-0000-0000-0000-000000000001"],
        env,
    )  # fmt: skip
    assert bad_form.returncode == 1
    assert bad_form.stderr.startswith("hub: error: --as:")
    assert "AGENCY_CODE/ROLE" in bad_form.stderr
    bad_role = run_hub(
        ["policy", "explain", "--as", "DEMO-POL/JESTER", "--purpose", "RISK_MANAGEMENT",
         "--case", "00000000-0000-0000-0000-000000000001"],
        env,
    )  # fmt: skip
    assert bad_role.returncode == 1
    assert "unknown role 'JESTER'" in bad_role.stderr


def test_check_in_several_processes_finds_exactly_what_one_process_finds(
    policies: Path, tmp_path: Path
) -> None:
    from hub.policy import PolicySet, check

    invariants = tmp_path / "invariants.yaml"
    invariants.write_text(SMALL_SPACE.replace("    action: read\n", ""), encoding="utf-8")
    _drop_rule(policies, "purpose.yaml", "R-21-purpose-of-use-required")
    broken = PolicySet.load(policies)
    alone = check(broken, invariants, workers=1)
    shared = check(broken, invariants, workers=2)
    assert shared.requests_covered == alone.requests_covered
    assert shared.representatives == alone.representatives
    assert shared.counts == alone.counts
    assert shared.counts["INV-no-read-without-purpose"] > 0
    assert [e.problem for e in shared.examples] == [e.problem for e in alone.examples]
