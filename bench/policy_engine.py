"""Benchmark of the policy engine: one decision, a whole case, and the invariant check.

Run: .venv/bin/python bench/policy_engine.py
Prints readable lines, then (last line) one JSON object with the figures, a baseline measured
in the same run (a trivial function call and a dict lookup) and the ratios to it.
Targets: decide p50 <= 10 us, p99 <= 50 us; whole case (1 case + person + 40 items) p50 <= 200 us;
check of the full space <= 10 s; the engine at least 10x faster than Cedar (cedarpy) deciding the
same requests under the same policy, translated by hub.policy.cedar.

cedarpy is a dev dependency (`make bench` installs it); without it this benchmark fails.
"""

from __future__ import annotations

import gc
import importlib.metadata
import json
import os
import random
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from hub.policy import PolicySet, visible_fields  # noqa: E402
from hub.policy.cedar import CedarRequests, cedar_policies  # noqa: E402
from hub.policy.check import check  # noqa: E402
from hub.policy.decision import DecisionIds  # noqa: E402

CEDAR_BATCH = 100

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
REASON = "imminent risk reported by police overnight, need the plan"

# (agency type, roles, case relationships, purpose): the people and systems that ask most.
ACTORS = [
    ("RA_PROBATION", {"OFFENDER_MANAGER"}, {"LEAD_AGENCY_CASE_MANAGER"}, "RISK_MANAGEMENT"),
    ("RA_POLICE", {"MOSOVO_OFFICER"}, {"CASE_AGENCY"}, "RISK_MANAGEMENT"),
    ("RA_PROBATION", {"MAPPA_CHAIR_L2"}, {"MEETING_CHAIR"}, "MAPPA_MEETING"),
    ("RA_POLICE", {"MAPPA_COORDINATOR"}, {"COORDINATOR"}, "MAPPA_MEETING"),
    ("DTC_HOUSING", {"DTC_REP"}, {"CASE_AGENCY"}, "SAFEGUARDING"),
    ("DTC_HEALTH", {"HEALTH_DISCLOSER"}, {"CASE_AGENCY"}, "RISK_MANAGEMENT"),
    ("DTC_CHILDRENS_SERVICES", {"SYSTEM_API_CLIENT"}, {"CASE_AGENCY"}, "SAFEGUARDING"),
    ("COSA_PROVIDER", {"COSA_VOLUNTEER"}, {"CIRCLE_COORDINATOR"}, "COSA_SUPPORT"),
    ("RA_PRISON", {"OFFENDER_MANAGER"}, set(), "RISK_MANAGEMENT"),
]
CATEGORIES = ["CONVICTION", "RISK", "RISK", "LOCATION", "OTHER", "INTELLIGENCE", "VICTIM"]
CATEGORIES += ["CHILD", "HEALTH", "FINANCIAL", "CONVICTION", "RISK"]
ITEM_FIELDS = ("summary", "content", "reference", "address", "handling", "intelligence_grading")


def actor(index: int) -> dict[str, object]:
    agency, roles, relationships, purpose = ACTORS[index % len(ACTORS)]
    return {
        "actor.agency_id": f"agency-{index % len(ACTORS)}",
        "actor.agency_type": agency,
        "actor.roles": frozenset(roles),
        "actor.case_relationships": frozenset(relationships),
        "purpose": purpose,
        "break_glass": False,
        "justification": "",
        "now": NOW,
    }


def item(rng: random.Random, category: str) -> dict[str, object]:
    return {
        "action": "read",
        "resource.type": "item",
        "resource.category": category,
        "actor.is_item_owner": rng.random() < 0.2,
        "actor.named_on_item": rng.random() < 0.2,
        "resource.owning_agency_id": "agency-1",
        "resource.owning_agency_type": "RA_POLICE",
        "resource.classification": "OFFICIAL_SENSITIVE",
        "resource.legal_basis": rng.choice(["DPA_PART3", "CONSENT", "CJA_S325", "STATUTE"]),
        "resource.originator_control": rng.random() < 0.1,
        "resource.recipient_of_original_share": rng.random() < 0.5,
        "resource.consent_state": rng.choice(["ACTIVE_COVERS", "WITHDRAWN", "NOT_REQUIRED"]),
        "resource.public_interest_state": "NONE",
        "resource.address_confidential": rng.random() < 0.1,
        "resource.case_count": 1,
    }


def mixed_requests(count: int) -> list[dict[str, object]]:
    rng = random.Random(20250601)
    requests = []
    for n in range(count):
        request = {**actor(rng.randrange(len(ACTORS))), **item(rng, rng.choice(CATEGORIES))}
        request["action"] = rng.choice(["read"] * 6 + ["list"] * 2 + ["edit", "disclose"])
        if request["action"] == "disclose":
            request["purpose"], request["justification"] = "DISCLOSURE_DECISION", REASON
        if n % 10 == 0:
            request.update({"break_glass": True, "justification": REASON})
        requests.append(request)
    return requests


def per_call_us(fn: Callable[[], object], repeat: int) -> list[float]:
    clock = time.perf_counter_ns
    samples = []
    for _ in range(repeat):
        start = clock()
        fn()
        samples.append((clock() - start) / 1000)
    return samples


def mean_us(fn: Callable[[], object], loops: int) -> float:
    start = time.perf_counter()
    for _ in range(loops):
        fn()
    return (time.perf_counter() - start) / loops * 1e6


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def import_cedarpy() -> Any:
    try:
        import cedarpy
    except ImportError:
        sys.exit(
            "bench/policy_engine.py: cedarpy is not installed; it is a dev dependency: "
            "run `make bench`, or .venv/bin/pip install -e '.[dev]'"
        )
    return cedarpy


@dataclass(frozen=True)
class CedarFigures:
    single: list[float]  # microseconds per is_authorized call
    batch: list[float]  # microseconds per request, in is_authorized_batch calls of CEDAR_BATCH
    translate_us: float  # our request mapping to Cedar's request and entities, per request
    agrees: bool  # Cedar's allow/deny equals ours on every request timed


def time_cedar(policy: PolicySet, requests: list[dict[str, object]]) -> CedarFigures:
    """The same requests through cedarpy. Cedar gets every advantage a service would give it:
    policies parsed once (a PolicySet handle), each request's context and entities already
    serialised to JSON outside the timed call, and no schema validation per request."""
    cedarpy = import_cedarpy()
    policies = cedarpy.PolicySet.from_str(cedar_policies(policy))
    translate = CedarRequests(policy.schema)
    start = time.perf_counter()
    translated = [translate(request, f"r{n}") for n, request in enumerate(requests)]
    translate_us = (time.perf_counter() - start) / len(requests) * 1e6
    singles = [
        ({**t.request, "context": json.dumps(t.request["context"])}, json.dumps(t.entities))
        for t in translated
    ]
    batches = []
    for first in range(0, len(translated), CEDAR_BATCH):
        chunk = translated[first : first + CEDAR_BATCH]
        batches.append(
            (
                [request for request, _ in singles[first : first + CEDAR_BATCH]],
                json.dumps([e for t in chunk for e in t.entities]),
            )
        )
    is_authorized, is_authorized_batch = cedarpy.is_authorized, cedarpy.is_authorized_batch
    allowed = [
        result.allowed
        for reqs, ents in batches
        for result in is_authorized_batch(reqs, policies, ents)
    ]
    agrees = allowed == [policy.decide(request).permitted for request in requests]
    for request, entities in singles[:200]:  # warm up
        is_authorized(request, policies, entities)

    gc.collect()
    single: list[float] = []
    for request, entities in singles:
        single += per_call_us(lambda r=request, e=entities: is_authorized(r, policies, e), 1)
    batch: list[float] = []
    for _ in range(5):
        for reqs, ents in batches:
            took = per_call_us(lambda q=reqs, e=ents: is_authorized_batch(q, policies, e), 1)
            batch.append(took[0] / len(reqs))
    return CedarFigures(single, batch, translate_us, agrees)


def main() -> None:
    import_cedarpy()  # fail at once, not after the other measurements
    policy = PolicySet.load(ROOT / "policies")
    requests = mixed_requests(2000)
    for request in requests:  # warm the per-actor caches, as a running service would be
        policy.decide(request)

    # Baselines, same run: a trivial call through a lambda, and a loop of dict lookups.
    table = {f"k{i}": i for i in range(64)}
    keys = list(table)
    trivial: Callable[[], object] = lambda: None  # noqa: E731
    baseline_call = statistics.median(per_call_us(trivial, 200_000))
    baseline_lookup = mean_us(lambda: [table[k] for k in keys], 20_000) / len(keys)

    gc.collect()
    decide_samples: list[float] = []
    for round_ in range(50):
        batch = requests[round_ * 37 % 1000 :][:1000]
        for request in batch:
            decide_samples += per_call_us(lambda r=request: policy.decide(r), 1)
    decide_p50, decide_p99 = percentile(decide_samples, 0.5), percentile(decide_samples, 0.99)

    # A whole case: its record, its person and 40 items, each item's fields worked out.
    rng = random.Random(7)
    case_items = [item(rng, rng.choice(CATEGORIES)) for _ in range(40)]
    resources = [
        {"action": "read", "resource.type": "case", "actor.is_item_owner": False},
        {"action": "read", "resource.type": "person", "actor.is_item_owner": False},
        *case_items,
    ]
    person_fields = policy.schema.fields["person"]
    common = actor(0)

    def whole_case() -> None:
        for decision, resource in zip(
            policy.decide_case(resources, common=common), resources, strict=True
        ):
            fields = person_fields if resource["resource.type"] == "person" else ITEM_FIELDS
            visible_fields(decision, fields)

    case_samples = per_call_us(whole_case, 3000)
    case_p50 = percentile(case_samples, 0.5)

    ids = DecisionIds()
    uuid4_us = mean_us(lambda: str(uuid.uuid4()), 100_000)
    counter_id_us = mean_us(ids.next, 100_000)

    # Consent and lawful basis (issue 6): what the gate adds to the plain decision of a case
    # of 40 items, 8 on health consent; measured by bench/consent.py on a real (SQLite) case.
    from consent import measure as measure_consent

    consent = measure_consent()

    # As `hub policy check` runs it: one process per core (the parts are a partition).
    report = check(policy, ROOT / "policies" / "invariants.yaml", workers=os.cpu_count() or 1)

    cedar = time_cedar(policy, requests)
    cedar_p50, cedar_p99 = percentile(cedar.single, 0.5), percentile(cedar.single, 0.99)
    batch_p50, batch_p99 = percentile(cedar.batch, 0.5), percentile(cedar.batch, 0.99)
    ratios = {
        "cedar_single_p50_ratio": round(cedar_p50 / decide_p50, 1),
        "cedar_single_p99_ratio": round(cedar_p99 / decide_p99, 1),
        "cedar_batch_p50_ratio": round(batch_p50 / decide_p50, 1),
        "cedar_batch_p99_ratio": round(batch_p99 / decide_p99, 1),
    }

    figures = {
        "decide_p50_us": round(decide_p50, 2),
        "decide_p99_us": round(decide_p99, 2),
        "case_batch_p50_us": round(case_p50, 1),
        "case_batch_requests": len(resources),
        "consent_plain_decision_p50_us": consent["plain_decision_p50_us"],
        "consent_basis_states_p50_us": consent["states_p50_us"],
        "consent_basis_states_p99_us": consent["states_p99_us"],
        "consent_basis_target_20us_met": consent["states_target_20us_met"],
        "check_seconds": round(report.seconds, 2),
        "check_requests_covered": report.requests_covered,
        "check_cases_evaluated": report.representatives,
        "check_ok": report.ok,
        "decision_id_counter_us": round(counter_id_us, 3),
        "decision_id_uuid4_us": round(uuid4_us, 3),
        "baseline_call_us": round(baseline_call, 3),
        "baseline_dict_lookup_us": round(baseline_lookup, 4),
        "decide_p50_per_call": round(decide_p50 / baseline_call, 1),
        "decide_p99_per_call": round(decide_p99 / baseline_call, 1),
        "case_batch_p50_per_call": round(case_p50 / baseline_call, 1),
        "decide_p50_per_dict_lookup": round(decide_p50 / baseline_lookup, 1),
        "cedarpy_version": importlib.metadata.version("cedarpy"),
        "cedar_requests": len(requests),
        "cedar_agrees": cedar.agrees,
        "cedar_single_p50_us": round(cedar_p50, 1),
        "cedar_single_p99_us": round(cedar_p99, 1),
        "cedar_batch_size": CEDAR_BATCH,
        "cedar_batch_p50_us": round(batch_p50, 1),
        "cedar_batch_p99_us": round(batch_p99, 1),
        "cedar_translate_us": round(cedar.translate_us, 1),
        **ratios,
        # Ours at least 10x faster than Cedar's best (batched) p50 and p99.
        "cedar_10x_target_met": min(
            ratios["cedar_batch_p50_ratio"], ratios["cedar_batch_p99_ratio"]
        )
        >= 10,
    }
    print(f"policy bundle {policy.bundle_hash[:12]}: {len(policy.rules)} rules")
    print(f"decide: p50 {decide_p50:.2f} us, p99 {decide_p99:.2f} us over {len(decide_samples):,}")
    print(f"whole case ({len(resources)} requests and their fields): p50 {case_p50:.1f} us")
    print(
        f"consent and basis on top of the plain decision: p50 "
        f"{consent['states_p50_us']} us (target <= 20), p99 {consent['states_p99_us']} us"
    )
    print(
        f"check: {report.requests_covered:,} requests ({report.representatives:,} evaluated) "
        f"in {report.seconds:.2f} s, {'all invariants hold' if report.ok else 'FAILURES'}"
    )
    print(f"decision id: counter {counter_id_us:.3f} us, uuid4 {uuid4_us:.3f} us")
    print(f"baseline: call {baseline_call:.3f} us (with timer), lookup {baseline_lookup:.4f} us")
    print(
        f"cedarpy {figures['cedarpy_version']}, same {len(requests):,} requests "
        f"({'same allow/deny' if cedar.agrees else 'DIFFERENT allow/deny'}): "
        f"single p50 {cedar_p50:.1f} us, p99 {cedar_p99:.1f} us; in batches of {CEDAR_BATCH} "
        f"p50 {batch_p50:.1f} us, p99 {batch_p99:.1f} us per request "
        f"(translation {cedar.translate_us:.1f} us, not timed)"
    )
    print(
        f"engine vs cedarpy: {ratios['cedar_single_p50_ratio']}x (p50), "
        f"{ratios['cedar_single_p99_ratio']}x (p99) single; {ratios['cedar_batch_p50_ratio']}x "
        f"(p50), {ratios['cedar_batch_p99_ratio']}x (p99) batched; target 10x "
        f"{'met' if figures['cedar_10x_target_met'] else 'NOT met'}"
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
