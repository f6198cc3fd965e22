"""Decision semantics on small purpose-built policies: default deny, forbid wins, errors,
missing attributes, obligations, justification length, field views and batches."""

from __future__ import annotations

import re
import uuid
from enum import StrEnum
from pathlib import Path

import pytest

from hub.policy import (
    DenyReason,
    Effect,
    NotifyOwner,
    Obligation,
    PolicySet,
    Redact,
    RedactAllExcept,
    RequireJustification,
    enforce,
    visible_fields,
)
from tests.policy.support import policy_dir, request, shipped

PERMIT_RISK = """
  - id: R-16-read-risk
    description: Case agencies read risk items for risk management (R-16).
    effect: permit
    scope: {actions: [read], resource_types: [item], categories: [RISK, CONVICTION]}
    when:
      all:
        - eq: {attr: purpose, value: RISK_MANAGEMENT}
        - contains: {attr: actor.case_relationships, value: LEAD_AGENCY_CASE_MANAGER}
"""


def load(tmp_path: Path, *rules: str) -> PolicySet:
    return PolicySet.load(policy_dir(tmp_path, {"rules.yaml": "rules:\n" + "".join(rules)}))


def test_r16_default_deny_when_no_rule_permits(tmp_path: Path) -> None:
    policy = load(tmp_path, PERMIT_RISK)
    decision = policy.decide(request(resource__category="HEALTH"))
    assert decision.effect is Effect.DENY
    assert decision.reason is DenyReason.NO_PERMIT
    assert decision.obligations == ()
    assert "no rule permits read on item (HEALTH); access is denied by default" in str(
        decision.explanation
    )


def test_permit_names_the_rules_that_permitted(tmp_path: Path) -> None:
    decision = load(tmp_path, PERMIT_RISK).decide(request())
    assert decision.permitted
    assert decision.permitted_by == ("R-16-read-risk",)
    assert str(decision.explanation).startswith("PERMIT: permitted by R-16-read-risk")


def test_forbid_overrides_permit(tmp_path: Path) -> None:
    forbid = """
  - id: R-19-no-probation
    description: Probation is refused here (R-19).
    effect: forbid
    scope: {agency_types: [RA_PROBATION]}
"""
    decision = load(tmp_path, PERMIT_RISK, forbid).decide(request())
    assert decision.effect is Effect.DENY
    assert decision.forbidden_by == ("R-19-no-probation",)
    assert "forbidden by R-19-no-probation: Probation is refused here (R-19)." in str(
        decision.explanation
    )


def test_missing_attribute_is_named_in_the_explanation(tmp_path: Path) -> None:
    decision = load(tmp_path, PERMIT_RISK).decide(request(purpose=None))
    assert decision.effect is Effect.DENY
    explanation = decision.explanation
    assert "needs purpose RISK_MANAGEMENT; the request gave none" in str(explanation)
    assert explanation.missing_attributes == ("purpose",)
    assert "could not be evaluated" in str(explanation)


def test_condition_that_errors_makes_a_permit_not_apply_and_is_reported(tmp_path: Path) -> None:
    by_count = """
  - id: R-20-count
    description: Counts matter (R-20).
    effect: permit
    scope: {actions: [read]}
    when: {gte: {attr: resource.case_count, value: 1}}
"""
    policy = load(tmp_path, by_count, PERMIT_RISK)
    alone = policy.decide(request(resource__case_count="many", actor__case_relationships=[]))
    assert alone.effect is Effect.DENY
    assert [rule for rule, _ in alone.errors] == ["R-20-count"]
    assert "resource.case_count should be int, the request gave str 'many'" in str(
        alone.explanation
    )
    # Another permit still applies; the error is reported beside it.
    beside = policy.decide(request(resource__case_count="many"))
    assert beside.permitted_by == ("R-16-read-risk",)
    assert "R-20-count (permit) could not be evaluated" in str(beside.explanation)


def test_forbid_that_cannot_be_evaluated_denies(tmp_path: Path) -> None:
    forbid = """
  - id: R-17-confidential
    description: Confidential victims are refused (R-17).
    effect: forbid
    when: {is_true: resource.address_confidential}
"""
    decision = load(tmp_path, PERMIT_RISK, forbid).decide(
        request(resource__address_confidential=None)
    )
    assert decision.reason is DenyReason.FORBID_ERROR
    assert "rule R-17-confidential could not be evaluated (the request gave no " in str(
        decision.explanation
    )
    assert "fails closed" in str(decision.explanation)


def test_malformed_requests_are_denied_with_the_reason(tmp_path: Path) -> None:
    policy = load(tmp_path, PERMIT_RISK)
    cases = {
        "the request gave no actor.roles": request(actor__roles=None),
        "actor.agency_type: unknown value 'POLICE' for enum agency_type": request(
            actor__agency_type="POLICE"
        ),
        "the request gave no resource.category (every item has one)": request(
            resource__category=None
        ),
        "resource.category is given only for item": request(resource__type="case"),
    }
    for words, bad in cases.items():
        decision = policy.decide(bad)
        assert decision.reason is DenyReason.BAD_REQUEST
        assert words in str(decision.explanation)
    roles_as_list = request()
    roles_as_list["actor.roles"] = ["OFFENDER_MANAGER"]
    assert policy.decide(roles_as_list).reason is DenyReason.BAD_REQUEST


JUSTIFIED = """
  - id: R-26-justified
    description: Disclosures need a reason (R-26).
    effect: permit
    scope: {actions: [disclose]}
    obligations:
      - require_justification: {min_chars: 20}
      - notify_owner: true
"""


def test_justification_shorter_than_required_turns_a_permit_into_a_deny(tmp_path: Path) -> None:
    policy = load(tmp_path, JUSTIFIED)
    short = policy.decide(request(action="disclose", justification="risky"))
    assert short.effect is Effect.DENY
    assert short.reason is DenyReason.JUSTIFICATION
    assert short.permitted_by == ("R-26-justified",)
    assert (
        "a justification of at least 20 characters is required; the request gave 5 characters"
        in str(short.explanation)
    )
    blank = policy.decide(request(action="disclose", justification=" " * 30))
    assert blank.effect is Effect.DENY
    enough = policy.decide(request(action="disclose", justification="agreed at the L3 meeting"))
    assert enough.permitted
    assert enough.obligations == (RequireJustification(20), NotifyOwner())


def test_obligation_the_caller_cannot_fulfil_turns_a_permit_into_a_deny(tmp_path: Path) -> None:
    decision = load(tmp_path, JUSTIFIED).decide(
        request(action="disclose", justification="agreed at the L3 meeting")
    )

    def no_notifications(obligation: Obligation) -> bool:
        return not isinstance(obligation, NotifyOwner)

    assert enforce(decision, lambda _: True) is decision
    refused = enforce(decision, no_notifications)
    assert refused.effect is Effect.DENY
    assert refused.reason is DenyReason.OBLIGATION_UNFULFILLED
    assert refused.obligations == ()
    assert refused.unfulfilled == (NotifyOwner(),)
    assert "cannot carry out the obligation(s): notify the owning agency" in str(
        refused.explanation
    )


def test_obligations_merge_from_every_permitting_rule(tmp_path: Path) -> None:
    rules = [
        f"""
  - id: R-51-whitelist-{n}
    description: Rule {n} (R-51).
    effect: permit
    scope: {{resource_types: [person]}}
    obligations: [{{redact: [{redact}]}}, {{redact_all_except: [{keep}]}}]
"""
        for n, redact, keep in (
            (1, "address", "names, date_of_birth, address"),
            (2, "photos", "names, address, photos"),
        )
    ]
    decision = load(tmp_path, *rules).decide(
        request(resource__type="person", resource__category=None)
    )
    assert decision.permitted_by == ("R-51-whitelist-1", "R-51-whitelist-2")
    assert decision.obligations == (
        Redact(frozenset({"address", "photos"})),
        RedactAllExcept(frozenset({"names", "address"})),
    )
    view = visible_fields(decision, ["photos", "names", "address", "vehicles"])
    assert view.returned == ("names",)
    assert view.withheld == ("photos", "address", "vehicles")


def test_a_deny_withholds_every_field(tmp_path: Path) -> None:
    decision = load(tmp_path, PERMIT_RISK).decide(request(resource__category="HEALTH"))
    assert visible_fields(decision, ["summary", "content"]).withheld == ("summary", "content")


def test_decide_case_matches_decide_one_by_one() -> None:
    policy = shipped()
    common = request()
    items = [
        {"resource.category": c, "actor.named_on_item": n}
        for c in policy.schema.enum_values("category")
        for n in (False, True)
    ]
    batch = policy.decide_case(items, common={**common, "actor.roles": {"OFFENDER_MANAGER"}})
    single = [policy.decide({**common, **item}) for item in items]
    assert [d.effect for d in batch] == [d.effect for d in single]
    assert [d.obligations for d in batch] == [d.obligations for d in single]
    assert policy.decide_case([common])[0].effect is Effect.PERMIT


def test_decisions_carry_unique_ids_and_the_bundle_hash() -> None:
    policy = shipped()
    decisions = [policy.decide(request()) for _ in range(1000)]
    ids = {d.decision_id for d in decisions}
    assert len(ids) == 1000
    for decision_id in list(ids)[:10]:
        assert re.fullmatch(
            r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", decision_id
        )
        uuid.UUID(decision_id)
    assert {d.bundle_hash for d in decisions} == {policy.bundle_hash}


class Role(StrEnum):
    OFFENDER_MANAGER = "OFFENDER_MANAGER"


class Purpose(StrEnum):
    RISK_MANAGEMENT = "RISK_MANAGEMENT"


def test_str_enum_members_decide_like_their_values() -> None:
    policy = shipped()
    typed = request(
        actor__roles=frozenset({Role.OFFENDER_MANAGER}), purpose=Purpose.RISK_MANAGEMENT
    )
    assert policy.decide(typed).permitted_by == policy.decide(request()).permitted_by


@pytest.mark.parametrize("justification", [None, 42])
def test_justification_missing_or_not_text_counts_as_none(
    tmp_path: Path, justification: object
) -> None:
    decision = load(tmp_path, JUSTIFIED).decide(
        request(action="disclose", justification=justification)
    )
    assert decision.reason is DenyReason.JUSTIFICATION
    assert "the request gave none" in str(decision.explanation)
