"""Shared helpers for the policy tests: the shipped policy set and request builders."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

from hub.policy import PolicySet

ROOT = Path(__file__).resolve().parents[2]
POLICIES = ROOT / "policies"
NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
LONG_REASON = "imminent risk reported by police overnight, need the plan"


@cache
def shipped() -> PolicySet:
    return PolicySet.load(POLICIES)


def request(**overrides: object) -> dict[str, object]:
    """A probation offender manager of the lead agency reading a police conviction item of
    their case for risk management; keyword names use '__' for '.' (actor__roles)."""
    base: dict[str, object] = {
        "action": "read",
        "resource.type": "item",
        "resource.category": "CONVICTION",
        "actor.agency_id": "agency-probation-north",
        "actor.agency_type": "RA_PROBATION",
        "actor.roles": frozenset({"OFFENDER_MANAGER"}),
        "actor.case_relationships": frozenset({"LEAD_AGENCY_CASE_MANAGER"}),
        "actor.is_item_owner": False,
        "actor.named_on_item": False,
        "purpose": "RISK_MANAGEMENT",
        "break_glass": False,
        "justification": "",
        "resource.owning_agency_id": "agency-police-north",
        "resource.owning_agency_type": "RA_POLICE",
        "resource.classification": "OFFICIAL_SENSITIVE",
        "resource.legal_basis": "DPA_PART3",
        "resource.originator_control": False,
        "resource.recipient_of_original_share": False,
        "resource.consent_state": "NOT_REQUIRED",
        "resource.public_interest_state": "NONE",
        "resource.address_confidential": False,
        "resource.case_count": 1,
        "now": NOW,
    }
    for key, value in overrides.items():
        name = key.replace("__", ".")
        if value is None:
            base.pop(name, None)
        else:
            base[name] = frozenset(value) if isinstance(value, list | set) else value
    return base


def policy_dir(tmp_path: Path, rules: dict[str, str]) -> Path:
    """A policy directory with the shipped schema and the given rule files (name -> YAML)."""
    root = tmp_path / "policies"
    if root.exists():
        shutil.rmtree(root)  # a test may build several policy directories in turn
    (root / "rules").mkdir(parents=True)
    shutil.copy(POLICIES / "schema.yaml", root / "schema.yaml")
    for name, text in rules.items():
        (root / "rules" / name).write_text(text, encoding="utf-8")
    return root
