"""Every shipped rule, exercised by name: each test names the R-id it shows working."""

from __future__ import annotations

from pathlib import Path

from hub.policy import Decision, DenyReason, Effect, visible_fields
from hub.policy.testing import run_policy_tests
from tests.policy.support import LONG_REASON, POLICIES, request, shipped

NOT_AN_ITEM = {"resource__category": None}
COSA_VOLUNTEER = {
    "actor__agency_type": "COSA_PROVIDER",
    "actor__roles": ["COSA_VOLUNTEER"],
    "actor__case_relationships": ["CIRCLE_COORDINATOR"],
    "purpose": "COSA_SUPPORT",
}


def decide(**overrides: object) -> Decision:
    return shipped().decide(request(**overrides))


def fired(decision: Decision) -> set[str]:
    return {*decision.permitted_by, *decision.forbidden_by, *decision.withheld_by}


def test_r21_no_purpose_no_data() -> None:
    decision = decide(purpose=None)
    assert decision.forbidden_by == ("R-21-purpose-of-use-required",)
    assert "a purpose of use is required" in str(decision.explanation)


def test_r16_case_leads_read_items() -> None:
    chair = decide(actor__roles=["MAPPA_CHAIR_L3"], actor__case_relationships=["MEETING_CHAIR"])
    assert chair.permitted_by == ("R-16-case-leads-read-items",)
    not_chairing = decide(actor__roles=["MAPPA_CHAIR_L3"], actor__case_relationships=[])
    assert not_chairing.effect is Effect.DENY


def test_r16_case_agencies_read_items() -> None:
    housing = {"actor__agency_type": "DTC_HOUSING", "actor__roles": ["DTC_REP"]}
    decision = decide(**housing, actor__case_relationships=["CASE_AGENCY"])
    assert decision.permitted_by == ("R-16-case-agencies-read-items",)
    assert decide(**housing, actor__case_relationships=["NONE"]).effect is Effect.DENY


def test_r16_intelligence_only_to_original_recipients() -> None:
    agency = {
        "actor__agency_type": "DTC_HOUSING",
        "actor__roles": ["DTC_REP"],
        "actor__case_relationships": ["CASE_AGENCY"],
        "resource__category": "INTELLIGENCE",
    }
    assert decide(**agency).effect is Effect.DENY
    sent = decide(**agency, resource__recipient_of_original_share=True)
    assert sent.permitted_by == ("R-16-intelligence-to-original-recipients",)


def test_r16_case_leads_read_records() -> None:
    decision = decide(resource__type="case", **NOT_AN_ITEM)
    assert decision.permitted_by == ("R-16-case-leads-read-records",)


def test_r16_case_agencies_read_records() -> None:
    decision = decide(
        resource__type="minutes",
        actor__case_relationships=["CASE_AGENCY"],
        purpose="MAPPA_MEETING",
        **NOT_AN_ITEM,
    )
    assert decision.permitted_by == ("R-16-case-agencies-read-records",)


def test_r16_coordinators_create_case_records() -> None:
    coordinator = decide(
        action="create", resource__type="case", actor__roles=["MAPPA_COORDINATOR"], **NOT_AN_ITEM
    )
    assert coordinator.permitted_by == ("R-16-coordinators-create-case-records",)
    assert decide(action="create", resource__type="case", **NOT_AN_ITEM).effect is Effect.DENY


def test_r16_lay_advisers_and_smb_members_see_no_case_data() -> None:
    for role in ("LAY_ADVISER", "SMB_MEMBER"):
        assert decide(actor__roles=[role]).reason is DenyReason.NO_PERMIT


def test_r16_break_glass_items() -> None:
    glass = {
        "actor__case_relationships": ["NONE"],
        "break_glass": True,
        "resource__category": "RISK",
    }
    decision = decide(**glass, justification=LONG_REASON)
    assert decision.permitted_by == ("R-16-break-glass-items",)
    assert decision.obligation_names() == (
        "require_justification",
        "record_break_glass",
        "notify_owner",
        "flag_for_review",
    )
    short = decide(**glass, justification="urgent")
    assert short.reason is DenyReason.JUSTIFICATION
    health = {**glass, "resource__category": "HEALTH"}
    assert decide(**health, justification=LONG_REASON).effect is Effect.DENY


def test_r16_break_glass_records_never_for_api_clients_or_cosa() -> None:
    glass = dict(
        resource__type="case",
        actor__case_relationships=[],
        break_glass=True,
        justification=LONG_REASON,
        **NOT_AN_ITEM,
    )
    assert decide(**glass).permitted_by == ("R-16-break-glass-records",)
    api = decide(**glass, actor__roles=["OFFENDER_MANAGER", "SYSTEM_API_CLIENT"])
    assert api.effect is Effect.DENY
    assert (
        decide(**glass, actor__roles=["OFFENDER_MANAGER", "COSA_VOLUNTEER"]).effect is Effect.DENY
    )


def test_r14_owner_uses_own_items() -> None:
    decision = decide(
        actor__agency_type="DTC_HEALTH",
        actor__roles=["HEALTH_DISCLOSER"],
        actor__case_relationships=["CASE_AGENCY"],
        actor__is_item_owner=True,
        resource__category="HEALTH",
        resource__consent_state="NONE",
    )
    assert decision.permitted_by == ("R-14-owner-uses-own-items",)


def test_r14_owner_edits_and_only_the_owner() -> None:
    assert decide(action="edit", actor__is_item_owner=True).permitted_by == ("R-14-owner-edits",)
    assert decide(action="edit").forbidden_by == ("R-14-only-owner-edits",)


def test_r14_case_agencies_annotate() -> None:
    decision = decide(action="annotate", actor__case_relationships=["CASE_AGENCY"])
    assert decision.permitted_by == ("R-14-case-agencies-annotate",)


def test_r14_case_agencies_create_items() -> None:
    decision = decide(action="create", actor__is_item_owner=True)
    assert decision.permitted_by == ("R-14-case-agencies-create-items",)


def test_r15_originator_control_blocks_onward_disclosure() -> None:
    disclose = {
        "action": "disclose",
        "purpose": "DISCLOSURE_DECISION",
        "justification": LONG_REASON,
        "resource__originator_control": True,
    }
    assert decide(**disclose).forbidden_by == ("R-15-originator-control",)
    owner = decide(**disclose, actor__is_item_owner=True)
    assert owner.permitted
    minutes = decide(
        **disclose,
        resource__type="minutes",
        actor__roles=["MAPPA_CHAIR_L2"],
        actor__case_relationships=["MEETING_CHAIR"],
        **NOT_AN_ITEM,
    )
    assert minutes.permitted_by == ("R-26-case-leads-disclose-records",)


def test_r26_case_leads_disclose_items_with_a_justification() -> None:
    disclose = {"action": "disclose", "purpose": "DISCLOSURE_DECISION"}
    decision = decide(**disclose, justification=LONG_REASON)
    assert decision.permitted_by == ("R-26-case-leads-disclose-items",)
    assert decision.obligation_names() == ("require_justification", "notify_owner")
    assert decide(**disclose, justification="risky").reason is DenyReason.JUSTIFICATION


def test_r26_case_leads_disclose_records() -> None:
    decision = decide(
        action="disclose",
        purpose="DISCLOSURE_DECISION",
        resource__type="case",
        justification=LONG_REASON,
        **NOT_AN_ITEM,
    )
    assert decision.permitted_by == ("R-26-case-leads-disclose-records",)


def test_r11_case_leads_export_records() -> None:
    decision = decide(
        action="export", resource__type="minutes", justification=LONG_REASON, **NOT_AN_ITEM
    )
    assert decision.permitted_by == ("R-11-case-leads-export-records",)


def test_r17_victim_child_visibility() -> None:
    assert decide(resource__category="VICTIM").permitted_by == ("R-17-victim-child-visibility",)
    named = {
        "resource__category": "CHILD",
        "actor__agency_type": "DTC_EDUCATION",
        "actor__roles": ["DTC_REP"],
        "actor__case_relationships": ["CASE_AGENCY"],
    }
    assert decide(**named).effect is Effect.DENY
    assert decide(**named, actor__named_on_item=True).permitted


def test_r17_victim_items_hidden_from_cosa() -> None:
    decision = decide(**COSA_VOLUNTEER, resource__category="VICTIM")
    assert "R-17-victim-child-never-to-cosa" in decision.forbidden_by


def test_r17_housing_never_sees_victim_address() -> None:
    decision = decide(
        resource__category="VICTIM",
        actor__agency_type="DTC_HOUSING",
        actor__roles=["DTC_REP"],
        actor__named_on_item=True,
    )
    assert decision.permitted
    assert decision.withheld_by == ("R-17-housing-never-sees-victim-address",)
    assert visible_fields(decision, ["summary", "address"]).withheld == ("address",)


def test_r17_housing_never_sees_confidential_victims() -> None:
    decision = decide(
        resource__category="VICTIM",
        actor__agency_type="DTC_HOUSING",
        actor__roles=["DTC_REP"],
        actor__named_on_item=True,
        resource__address_confidential=True,
    )
    assert decision.forbidden_by == ("R-17-housing-never-sees-confidential-victims",)


HEALTH = {
    "resource__category": "HEALTH",
    "resource__legal_basis": "CONSENT",
    "resource__consent_state": "ACTIVE_COVERS",
    "actor__case_relationships": ["CASE_AGENCY"],
}


def test_r18_r28_health_basis() -> None:
    assert decide(**HEALTH).permitted_by == ("R-28-health-basis",)
    assert decide(**{**HEALTH, "resource__consent_state": "NOT_COVERING"}).effect is Effect.DENY
    statute = {**HEALTH, "resource__legal_basis": "STATUTE", "resource__consent_state": "NONE"}
    assert decide(**statute).permitted
    duty_only = decide(**{**HEALTH, "resource__legal_basis": "CJA_S325"})
    assert "needs resource.legal_basis one of CONSENT" in str(duty_only.explanation)


def test_r28_health_consent_withdrawn_or_expired() -> None:
    for state in ("WITHDRAWN", "EXPIRED"):
        decision = decide(**{**HEALTH, "resource__consent_state": state})
        assert decision.forbidden_by == ("R-28-health-consent-withdrawn-or-expired",)
        assert "consent is withdrawn or has expired" in str(decision.explanation)
    covered = decide(
        **{**HEALTH, "resource__consent_state": "WITHDRAWN"},
        resource__public_interest_state="ACTIVE_COVERS",
    )
    assert covered.permitted


def test_r19_police_read_financial() -> None:
    police = {"actor__agency_type": "RA_POLICE", "actor__roles": ["MOSOVO_OFFICER"]}
    decision = decide(**police, resource__category="FINANCIAL")
    assert decision.permitted_by == ("R-19-police-read-financial",)


def test_r19_financial_police_only() -> None:
    decision = decide(resource__category="FINANCIAL")
    assert decision.forbidden_by == ("R-19-financial-police-only",)


def test_r19_financial_never_in_api_payloads() -> None:
    decision = decide(
        resource__category="FINANCIAL",
        actor__agency_type="RA_POLICE",
        actor__roles=["SYSTEM_API_CLIENT"],
    )
    assert decision.forbidden_by == ("R-19-financial-never-in-api-payloads",)


def test_r19_identity_fields_police_only() -> None:
    person = dict(resource__type="person", **NOT_AN_ITEM)
    probation = decide(**person)
    assert probation.withheld_by == ("R-19-identity-fields-police-only",)
    fields = ["names", "identity_documents", "financial_instruments"]
    assert visible_fields(probation, fields).returned == ("names",)
    police = decide(**person, actor__agency_type="RA_POLICE")
    assert visible_fields(police, fields).returned == tuple(fields)


def test_r19_r20_identity_fields_never_in_api_payloads() -> None:
    decision = decide(
        resource__type="person",
        actor__agency_type="RA_POLICE",
        actor__roles=["SYSTEM_API_CLIENT"],
        **NOT_AN_ITEM,
    )
    assert decision.withheld_by == ("R-19-identity-fields-never-in-api-payloads",)


def test_r20_api_clients_decide_like_their_agency_and_never_export_in_bulk() -> None:
    api = {"actor__roles": ["SYSTEM_API_CLIENT"]}
    assert decide(**api).permitted_by == decide().permitted_by
    export = dict(action="export", resource__type="case", justification=LONG_REASON, **NOT_AN_ITEM)
    assert decide(**api, **export).permitted
    bulk = decide(**api, **export, resource__case_count=30)
    assert bulk.forbidden_by == ("R-20-no-bulk-export-for-api-clients",)


def test_r49_confidential_victims_never_in_api_payloads() -> None:
    decision = decide(
        actor__roles=["SYSTEM_API_CLIENT"],
        resource__category="VICTIM",
        resource__address_confidential=True,
    )
    assert decision.forbidden_by == ("R-49-confidential-victims-never-in-api-payloads",)


WHITELIST = (
    "first_name",
    "circle_goals",
    "relevant_conditions",
    "relevant_prohibitions",
    "risk_triggers",
    "relapse_prevention_plan",
    "offence_history_summary",
)


def test_r51_cosa_read_circle_profile_whitelisted_fields_only() -> None:
    decision = decide(**COSA_VOLUNTEER, resource__type="circle_profile", **NOT_AN_ITEM)
    assert decision.permitted_by == ("R-51-cosa-read-circle-profile",)
    assert decision.withheld_by == ("R-51-cosa-profile-whitelist",)
    profile = shipped().schema.fields["circle_profile"] + ("attached_later",)
    view = visible_fields(decision, profile)
    assert view.returned == WHITELIST
    assert "attached_later" in view.withheld


def test_r51_cosa_only_circle_profile() -> None:
    decision = decide(**COSA_VOLUNTEER, resource__type="minutes", **NOT_AN_ITEM)
    assert decision.forbidden_by == ("R-51-cosa-only-circle-profile",)


def test_r51_cosa_never_restricted_categories() -> None:
    for category in ("HEALTH", "VICTIM", "CHILD", "INTELLIGENCE", "FINANCIAL"):
        decision = decide(**COSA_VOLUNTEER, resource__category=category)
        assert "R-51-cosa-never-restricted-categories" in decision.forbidden_by


def test_r22_auditor_reads_audit_log_for_oversight_only() -> None:
    auditor = {
        "resource__type": "audit_log",
        "actor__roles": ["AUDITOR"],
        "actor__case_relationships": [],
    }
    oversight = decide(**auditor, purpose="AUDIT_OVERSIGHT", **NOT_AN_ITEM)
    assert oversight.permitted_by == ("R-22-auditor-reads-audit-log",)
    assert decide(**auditor, **NOT_AN_ITEM).effect is Effect.DENY
    assert decide(actor__roles=["AUDITOR"], purpose="AUDIT_OVERSIGHT").effect is Effect.DENY


def test_r22_audit_log_is_append_only() -> None:
    decision = decide(
        action="edit",
        resource__type="audit_log",
        actor__roles=["AUDITOR"],
        actor__is_item_owner=True,
        **NOT_AN_ITEM,
    )
    assert "R-22-audit-log-is-append-only" in decision.forbidden_by


def test_every_shipped_rule_has_a_test_here_naming_it() -> None:
    source = Path(__file__).read_text(encoding="utf-8")
    unnamed = [rule.id for rule in shipped().rules if f'"{rule.id}"' not in source]
    assert unnamed == []


def test_policy_test_cases_pass_and_exercise_every_rule() -> None:
    report = run_policy_tests(shipped(), POLICIES / "tests")
    assert [str(r.case.name) for r in report.results if not r.passed] == []
    assert report.unexercised == []
    assert report.ok
