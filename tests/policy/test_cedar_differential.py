"""Differential test: the shipped policy set, translated to Cedar (hub.policy.cedar), decided by
cedarpy must give the same allow/deny as ``PolicySet.decide``.

Compared, for every request: the effect of ``decide`` (so the justification length it checks
itself is in, ``enforce`` and the other obligations are out); on an allow, the permit rules that
applied; on a deny, the record-level forbid rules that applied or could not be evaluated; and
whether the request was malformed (our BAD_REQUEST, Cedar's refusal of a request that does not
conform to its schema). A Cedar policy that errors at run time would be skipped silently, so a
well-formed request must come back without any Cedar error.

Requests: every representative of the enumerated request space that ``hub.policy.check`` walks
(each stands for a class of requests every rule treats alike) and, for a random quarter of the
classes, another member; the policy test cases of policies/tests; named scenarios per domain
rule; and hypothesis-generated requests, over the shipped policies and over a purpose-built
policy that uses every operator of the condition language.

cedarpy is a dev dependency, like hypothesis: `make test` installs both, and the hub never
imports it (a test below checks).
"""

from __future__ import annotations

import json
import random
import re
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

import cedarpy
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hub.policy import DenyReason, Kind, PolicySet, RuleEffect
from hub.policy.cedar import (
    CedarRequest,
    CedarRequests,
    CedarTranslationError,
    cedar_policies,
    cedar_request,
    cedar_schema,
    micros,
)
from hub.policy.check import load_invariants, tracked_conditions
from hub.policy.space import RequestSpace, Visit, explore
from hub.policy.testing import load_cases
from tests.policy.support import LONG_REASON, NOW, POLICIES, ROOT, policy_dir, request, shipped

POLICY = shipped()
SCHEMA = POLICY.schema
BATCH = 100  # cedarpy validates a batch's entities together; larger batches are no faster
SECOND_MEMBER_EVERY = 4  # each a few hundred microseconds in Cedar: a sample keeps the run short
PROPERTY_SETTINGS = settings(
    max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What both sides must agree on."""

    allowed: bool
    rules: frozenset[str]  # on allow the permits that applied; on deny the record forbids
    malformed: bool

    def __str__(self) -> str:
        effect = "ALLOW" if self.allowed else "DENY"
        bad = " (malformed request)" if self.malformed else ""
        return f"{effect}{bad} by {sorted(self.rules) or 'default'}"


@dataclass(frozen=True)
class Cedar:
    """A policy set translated to Cedar and parsed once by cedarpy."""

    policy: PolicySet
    policies: cedarpy.PolicySet
    schema: cedarpy.Schema
    translate: CedarRequests

    @classmethod
    def of(cls, policy: PolicySet) -> Cedar:
        return cls(
            policy,
            cedarpy.PolicySet.from_str(cedar_policies(policy)),
            cedarpy.Schema.from_str(cedar_schema(policy.schema)),
            CedarRequests(policy.schema),
        )

    def decide(self, requests: Sequence[Mapping[str, object]]) -> list[Outcome]:
        """Cedar's outcome for each request, in batches (a request Cedar cannot even be asked,
        having no action or resource type, is a deny)."""
        outcomes: list[Outcome | None] = [None] * len(requests)
        asked = []
        for index, req in enumerate(requests):
            try:
                asked.append((index, self.translate(req, f"r{index}")))
            except CedarTranslationError:
                outcomes[index] = Outcome(False, frozenset(), malformed=True)
        for start in range(0, len(asked), BATCH):
            chunk = asked[start : start + BATCH]
            results = self._batch([c for _, c in chunk])
            for (index, _), result in zip(chunk, results, strict=True):
                outcomes[index] = _cedar_outcome(result)
        assert all(o is not None for o in outcomes)
        return [o for o in outcomes if o is not None]

    def _batch(self, translated: list[CedarRequest]) -> list[cedarpy.AuthzResult]:
        requests, entities = _shared_entities(translated)
        results = cedarpy.is_authorized_batch(requests, self.policies, entities, schema=self.schema)
        if len(translated) > 1 and any(r.diagnostics.errors for r in results):
            # One request that does not conform to the schema makes Cedar refuse the shared
            # entity list, and with it the whole batch: ask one by one.
            return [r for t in translated for r in self._batch([t])]
        return list(results)


def _shared_entities(
    translated: Sequence[CedarRequest],
) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    """The requests of a batch and one entity list for them, where requests whose actor (or
    resource) has the same type and attributes share one entity: Cedar then parses and checks
    a third as many entities, which makes a batch about 40 % faster."""
    uids: dict[tuple[str, str], str] = {}
    entities: list[dict[str, object]] = []
    requests = []
    for item in translated:
        req = dict(item.request)
        for role, entity in zip(("principal", "resource"), item.entities, strict=True):
            etype = entity["uid"]["type"]  # type: ignore[index]
            key = (etype, json.dumps(entity["attrs"], sort_keys=True))
            uid = uids.get(key)
            if uid is None:
                uid = uids[key] = f"e{len(uids)}"
                entities.append({"uid": {"type": etype, "id": uid}, **_body(entity)})
            req[role] = {"type": etype, "id": uid}
        requests.append(req)
    return requests, entities


def _body(entity: Mapping[str, object]) -> dict[str, object]:
    return {"attrs": entity["attrs"], "parents": entity["parents"]}


def _cedar_outcome(result: cedarpy.AuthzResult) -> Outcome:
    errors = result.diagnostics.errors
    if errors:
        # Only a refused request may error: a policy that errors would be skipped by Cedar, so an
        # error here means a guard is missing from the translation.
        assert all(
            "conform to the schema" in e or "according to the schema" in e for e in errors
        ), errors
        return Outcome(False, frozenset(), malformed=True)
    annotations = result.diagnostics.id_annotations_by_reason
    ids = {annotations[policy_id] for policy_id in result.diagnostics.reasons}
    # The '#justification' and '#unevaluable' policies express the engine's other denies; the
    # engine names no rule for those, so only whole rules are compared.
    return Outcome(result.allowed, frozenset(i for i in ids if "#" not in i), malformed=False)


def our_outcome(policy: PolicySet, req: Mapping[str, object]) -> Outcome:
    decision = policy.decide(req)
    if decision.permitted:
        return Outcome(True, frozenset(decision.permitted_by), malformed=False)
    forbids = set(decision.forbidden_by)
    forbids |= {
        rule_id
        for rule_id, _ in decision.errors
        if policy.rule(rule_id).effect is RuleEffect.FORBID
        and not policy.rule(rule_id).is_field_forbid
    }
    malformed = decision.reason is DenyReason.BAD_REQUEST
    return Outcome(False, frozenset(forbids), malformed)


def disagreements(
    cedar: Cedar, requests: Sequence[Mapping[str, object]], *, limit: int = 5
) -> list[str]:
    """Each request on which the two sides differ, with both answers and our explanation."""
    found = []
    for req, theirs in zip(requests, cedar.decide(requests), strict=True):
        ours = our_outcome(cedar.policy, req)
        if ours != theirs:
            explanation = "\n    ".join(cedar.policy.decide(req).explanation.lines())
            found.append(f"{dict(req)}\n  ours:  {ours}\n  cedar: {theirs}\n    {explanation}")
            if len(found) >= limit:
                break
    return found


SHIPPED = Cedar.of(POLICY)


# -- the translation itself ---------------------------------------------------------------------


def test_translation_validates_against_the_generated_cedar_schema() -> None:
    """Cedar's validator checks every attribute, type and action, and that each optional
    attribute is read only under a ``has`` guard: the translation cannot error at run time."""
    text = cedar_policies(POLICY)
    result = cedarpy.validate_policies(text, SHIPPED.schema)
    assert result.validation_passed, [str(e) for e in result.errors]
    for rule in POLICY.rules:
        # One Cedar policy per rule that can decide a record, none for the shipped field
        # forbids (their conditions always evaluate), one more per justification limit.
        assert text.count(f'@id("{rule.id}")') == (0 if rule.is_field_forbid else 1), rule.id
    assert len(SHIPPED.policies) == text.count("@id(")


def test_hub_never_imports_cedarpy() -> None:
    """cedarpy is a dev dependency: no hub module may import it."""
    importing = re.compile(r"^\s*(import|from)\s+cedarpy\b", re.MULTILINE)
    offenders = [
        str(path.relative_to(ROOT))
        for path in sorted((ROOT / "hub").rglob("*.py"))
        if importing.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_requests_outside_the_schema_are_refused_not_guessed() -> None:
    with pytest.raises(CedarTranslationError, match="purpose"):
        cedar_request(request(purpose="NOT_A_PURPOSE"), SCHEMA)
    with pytest.raises(CedarTranslationError, match="action"):
        cedar_request(request(action=None), SCHEMA)
    with pytest.raises(CedarTranslationError, match="now"):
        cedar_request(request(now=datetime(2025, 6, 1, 12, 0)), SCHEMA)  # noqa: DTZ001
    translated = cedar_request(request(justification="  twelve chars  "), SCHEMA, "x")
    assert translated.request["context"]["justification_chars"] == 12  # type: ignore[index]
    assert micros(datetime(1970, 1, 1, 0, 0, 0, 1, tzinfo=UTC)) == 1


# -- every class of the enumerated request space --------------------------------------------------


def _space() -> RequestSpace:
    return load_invariants(POLICIES / "invariants.yaml", SCHEMA).space


def _another_member(visit: Visit, space: RequestSpace, rng: random.Random) -> dict[str, object]:
    """A random request of the same class as ``visit``: each dimension the walk expanded takes
    a value of the visit's class of it, each dimension it never expanded any of its values."""
    classes = dict(visit.classes)
    member: dict[str, object] = dict(space.fixed)
    for dim in space.dimensions:
        member.update(dim.given(rng.choice(classes.get(dim.name, dim.values))))
    return member


def test_cedar_agrees_on_every_class_of_the_request_space() -> None:
    """The walk of ``hub.policy.check`` covers the whole space (about 3.6 x 10^12 requests) with
    representatives, one per class of requests that every rule treats alike. Cedar must decide
    each representative as we do. The classes are ours, so for one class in SECOND_MEMBER_EVERY
    (drawn at random) Cedar also decides another member, to show it does not split them."""
    space = _space()
    visits: list[Visit] = []
    covered = explore(space, SCHEMA, tracked_conditions(POLICY), visits.append)
    assert covered == space.size
    rng = random.Random(20250601)
    representatives = [v.request for v in visits]
    pairs = [
        (v.request, _another_member(v, space, rng))
        for v in visits
        if rng.randrange(SECOND_MEMBER_EVERY) == 0
    ]
    for rep, member in pairs:
        # The second member is in its class: our engine decides it alike.
        assert POLICY.decide(rep).effect is POLICY.decide(member).effect, (rep, member)
    members = [member for _, member in pairs]

    compared = representatives + members
    found = disagreements(SHIPPED, compared)
    assert not found, "Cedar and the engine disagree:\n" + "\n".join(found)
    allowed = sum(POLICY.decide(r).permitted for r in representatives)
    print(
        f"\ncedar differential: {len(compared):,} requests ({len(visits):,} classes covering "
        f"{covered:,} requests, {allowed:,} of them allowed, and {len(members):,} second "
        "members) decided alike"
    )
    assert allowed > 0
    assert len(visits) > 10_000


def test_cedar_agrees_on_every_policy_test_case() -> None:
    cases = load_cases(POLICIES / "tests", POLICY)
    found = disagreements(SHIPPED, [c.request for c in cases])
    assert not found, "\n".join(found)
    assert {c.effect for c in cases} == {"permit", "deny"}


# -- named scenarios, one or more per domain rule -------------------------------------------------

CHAIR: dict[str, object] = {
    "actor__roles": ["MAPPA_CHAIR_L2"],
    "actor__case_relationships": ["MEETING_CHAIR"],
}
EXPORT_MINUTES: dict[str, object] = {
    "action": "export",
    "resource__type": "minutes",
    "resource__category": None,
    "resource__originator_control": True,
    "justification": LONG_REASON,
}
API_CLIENT: dict[str, object] = {
    "actor__roles": ["SYSTEM_API_CLIENT"],
    "actor__agency_type": "DTC_CHILDRENS_SERVICES",
}
POLICE_CASE_AGENCY: dict[str, object] = {
    "actor__agency_type": "RA_POLICE",
    "actor__roles": ["MOSOVO_OFFICER"],
    "actor__case_relationships": ["CASE_AGENCY"],
}
COSA: dict[str, object] = {
    "actor__agency_type": "COSA_PROVIDER",
    "actor__roles": ["COSA_VOLUNTEER"],
    "actor__case_relationships": ["CIRCLE_COORDINATOR"],
    "purpose": "COSA_SUPPORT",
}
BREAK_GLASS: dict[str, object] = {
    "actor__agency_type": "RA_POLICE",
    "actor__case_relationships": [],
    "break_glass": True,
    "justification": LONG_REASON,
}
SCENARIOS: list[tuple[str, dict[str, object], bool]] = [
    ("R-14 the owner edits its item", {"action": "edit", "actor__is_item_owner": True}, True),
    ("R-14 another agency may not edit", {"action": "edit"}, False),
    (
        "R-14 an edit whose ownership is not given fails closed",
        {"action": "edit", "actor__is_item_owner": None},
        False,
    ),
    ("R-15 originator control stops a non-owner exporting minutes", EXPORT_MINUTES, False),
    ("R-15 the meeting chair may export controlled minutes", {**EXPORT_MINUTES, **CHAIR}, True),
    (
        "R-15 a chair whose case relationships are not given fails closed",
        {**EXPORT_MINUTES, **CHAIR, "actor__case_relationships": None},
        False,
    ),
    ("R-16 the lead agency reads a conviction item", {}, True),
    ("R-16 no case relationship, no read", {"actor__case_relationships": []}, False),
    (
        "R-16 break-glass read of a victim item with a justification",
        {**BREAK_GLASS, "resource__category": "VICTIM"},
        True,
    ),
    (
        "R-16 break-glass with a short justification is denied",
        {**BREAK_GLASS, "resource__category": "VICTIM", "justification": "urgent"},
        False,
    ),
    (
        "R-16 break-glass asks 40 characters even where another permit asks none",
        {"break_glass": True, "justification": "urgent, see the log"},
        False,
    ),
    (
        "R-17 housing is denied a victim item whose address is confidential",
        {
            "actor__agency_type": "DTC_HOUSING",
            "actor__named_on_item": True,
            "resource__category": "VICTIM",
            "resource__address_confidential": True,
        },
        False,
    ),
    (
        "R-17 housing named on a victim item reads it (its address withheld)",
        {
            "actor__agency_type": "DTC_HOUSING",
            "actor__named_on_item": True,
            "actor__case_relationships": ["CASE_AGENCY"],
            "resource__category": "VICTIM",
        },
        True,
    ),
    (
        "R-17 housing and a victim item without the confidentiality flag fails closed",
        {
            "actor__agency_type": "DTC_HOUSING",
            "actor__named_on_item": True,
            "resource__category": "VICTIM",
            "resource__address_confidential": None,
        },
        False,
    ),
    (
        "R-19 police working the case read a financial item",
        {**POLICE_CASE_AGENCY, "resource__category": "FINANCIAL"},
        True,
    ),
    ("R-19 probation is denied a financial item", {"resource__category": "FINANCIAL"}, False),
    (
        "R-19 a police API client is denied a financial item",
        {
            **POLICE_CASE_AGENCY,
            "actor__roles": ["SYSTEM_API_CLIENT"],
            "resource__category": "FINANCIAL",
        },
        False,
    ),
    (
        "R-20 an API client may not export thirty cases",
        {
            **API_CLIENT,
            **EXPORT_MINUTES,
            "actor__case_relationships": ["LEAD_AGENCY_CASE_MANAGER"],
            "resource__originator_control": False,
            "resource__case_count": 30,
        },
        False,
    ),
    (
        "R-20 an API client exports one case's minutes",
        {
            **API_CLIENT,
            **EXPORT_MINUTES,
            "actor__case_relationships": ["LEAD_AGENCY_CASE_MANAGER"],
            "resource__originator_control": False,
        },
        True,
    ),
    (
        "R-20 an API client export without a case count fails closed",
        {
            **API_CLIENT,
            **EXPORT_MINUTES,
            "actor__case_relationships": ["LEAD_AGENCY_CASE_MANAGER"],
            "resource__originator_control": False,
            "resource__case_count": None,
        },
        False,
    ),
    ("R-21 no purpose, no data", {"purpose": None}, False),
    (
        "R-21 no purpose is still fine for an edit",
        {"purpose": None, "action": "edit", "actor__is_item_owner": True},
        True,
    ),
    (
        "R-26 the lead discloses with a justification of 20 characters",
        {"action": "disclose", "purpose": "DISCLOSURE_DECISION", "justification": "x" * 20},
        True,
    ),
    (
        "R-26 padding does not count towards the 20 characters",
        {"action": "disclose", "purpose": "DISCLOSURE_DECISION", "justification": f" {'x' * 19} "},
        False,
    ),
    (
        "R-22 the auditor reads the audit log for oversight",
        {
            "actor__roles": ["AUDITOR"],
            "resource__type": "audit_log",
            "resource__category": None,
            "purpose": "AUDIT_OVERSIGHT",
        },
        True,
    ),
    (
        "R-22 nobody creates audit entries through the gate",
        {
            "action": "create",
            "actor__roles": ["AUDITOR", "MAPPA_COORDINATOR"],
            "resource__type": "audit_log",
            "resource__category": None,
        },
        False,
    ),
    (
        "R-28 health under covering consent",
        {
            "resource__category": "HEALTH",
            "resource__legal_basis": "CONSENT",
            "resource__consent_state": "ACTIVE_COVERS",
        },
        True,
    ),
    (
        "R-28 health once consent is withdrawn",
        {
            "resource__category": "HEALTH",
            "resource__legal_basis": "CONSENT",
            "resource__consent_state": "WITHDRAWN",
        },
        False,
    ),
    (
        "R-49 a victim with a confidential address never goes to an API client",
        {
            **API_CLIENT,
            "actor__named_on_item": True,
            "resource__category": "VICTIM",
            "resource__address_confidential": True,
        },
        False,
    ),
    (
        "R-51 a COSA volunteer reads the circle profile",
        {**COSA, "resource__type": "circle_profile", "resource__category": None},
        True,
    ),
    ("R-51 a COSA volunteer sees no item", {**COSA}, False),
    (
        "R-51 a COSA volunteer never breaks glass",
        {**COSA, **BREAK_GLASS, "actor__roles": ["COSA_VOLUNTEER"], "purpose": "RISK_MANAGEMENT"},
        False,
    ),
    ("malformed: an item without a category", {"resource__category": None}, False),
    ("malformed: a case with a category", {"resource__type": "case"}, False),
    ("malformed: no roles", {"actor__roles": None}, False),
    ("malformed: no action", {"action": None}, False),
]


@pytest.mark.parametrize(
    ("overrides", "allowed"), [pytest.param(o, a, id=name) for name, o, a in SCENARIOS]
)
def test_cedar_agrees_on_the_domain_rules(overrides: dict[str, object], allowed: bool) -> None:
    """R-14, R-15, R-16, R-17, R-19, R-20, R-21, R-22, R-26, R-28, R-49 and R-51, allowed and
    denied, including the engine's fail-closed forbids (a forbid whose attribute is not given
    denies) and the justification a break-glass permit adds to every permit of the request."""
    req = request(**overrides)
    ours = our_outcome(POLICY, req)
    assert ours.allowed is allowed, POLICY.decide(req).explanation
    (theirs,) = SHIPPED.decide([req])
    assert theirs == ours


# -- hypothesis: random requests --------------------------------------------------------------

ZONES = [UTC, timezone(timedelta(hours=1)), timezone(timedelta(hours=-5, minutes=-30))]
JUSTIFICATIONS = [
    "",
    "   ",
    "urgent",
    "  four  ",
    "x" * 19,
    "x" * 20,
    " " + "x" * 19 + " ",
    "x" * 39,
    "y" * 40,
    "\t" + "z" * 40 + "\n",
    LONG_REASON,
    'quote " and \\ backslash, and a long enough justification',
]


def instants(around: datetime = NOW) -> st.SearchStrategy[datetime]:
    """Aware datetimes near ``around`` (to the microsecond, in several zones) or anywhere."""
    near = st.integers(-3, 3).map(lambda us: around + timedelta(microseconds=us))
    wide = st.datetimes(
        min_value=datetime(1990, 1, 1),  # noqa: DTZ001 (hypothesis wants naive bounds)
        max_value=datetime(2100, 1, 1),  # noqa: DTZ001
        timezones=st.just(UTC),
    )
    return st.tuples(st.one_of(near, wide), st.sampled_from(ZONES)).map(
        lambda pair: pair[0].astimezone(pair[1])
    )


def _values(name: str) -> st.SearchStrategy[object]:
    kind = SCHEMA.attributes[name].type
    if kind.kind is Kind.ENUM:
        return st.sampled_from(SCHEMA.enum_values(str(kind.enum)))
    if kind.kind is Kind.SET:
        members = st.sampled_from(SCHEMA.enum_values(str(kind.enum)))
        return st.frozensets(members, max_size=4)
    if kind.kind is Kind.BOOL:
        return st.booleans()
    if kind.kind is Kind.INT:
        return st.one_of(st.integers(-2, 4), st.integers(-(2**40), 2**40))
    if kind.kind is Kind.DATETIME:
        return instants()
    if name == "justification":
        return st.sampled_from(JUSTIFICATIONS)
    return st.sampled_from(["", "agency-a", "agency-b", "agency-police-north"])


# Built once: hypothesis spends most of a run building strategies if they are made per draw.
# (The purpose-built policy below shares the shipped schema.)
VALUES = {name: _values(name) for name in SCHEMA.attributes}
RESOURCE_TYPES = st.sampled_from(SCHEMA.enum_values("resource_type"))
ONE_IN = {n: st.integers(0, n - 1) for n in (3, 4, 20, 40)}


@st.composite
def random_requests(draw: st.DrawFn) -> dict[str, object]:
    """Schema-valid requests: every attribute drawn from its type; each optional attribute
    missing one time in four, a required one now and then, and now and then a category on a
    record that has none or none on an item (malformed, so both must deny)."""
    rtype = draw(RESOURCE_TYPES)
    req: dict[str, object] = {"resource.type": rtype}
    for name, spec in SCHEMA.attributes.items():
        if name == "resource.type":
            continue
        if name == "resource.category":
            wanted = rtype in SCHEMA.categorised_resource_types
            if draw(ONE_IN[20]) == 0:
                wanted = not wanted
            if wanted:
                req[name] = draw(VALUES[name])
            continue
        if draw(ONE_IN[40] if spec.required else ONE_IN[4]) > 0:
            req[name] = draw(VALUES[name])
    return req


ATTRIBUTE_NAMES = st.lists(st.sampled_from(sorted(SCHEMA.attributes)), min_size=1, max_size=3)


@st.composite
def near_permits(draw: st.DrawFn) -> dict[str, object]:
    """A request a policy test case permits, with a few attributes removed or redrawn: random
    requests are mostly denied, these sit on the edge of a permit."""
    req = dict(draw(PERMIT_SEEDS))
    for name in draw(ATTRIBUTE_NAMES):
        if draw(st.booleans()):
            req.pop(name, None)
        else:
            req[name] = draw(VALUES[name])
    return req


PERMIT_SEEDS = st.sampled_from(
    [dict(c.request) for c in load_cases(POLICIES / "tests", POLICY) if c.effect == "permit"]
)


def _assert_agree(cedar: Cedar, requests: Sequence[Mapping[str, object]]) -> None:
    found = disagreements(cedar, requests)
    assert not found, "Cedar and the engine disagree:\n" + "\n".join(found)


@pytest.fixture(scope="module")
def compared() -> Iterator[Counter[str]]:
    """How many generated requests each property compared (printed at the end, -rP shows it)."""
    counts: Counter[str] = Counter()
    yield counts
    print("\ncedar differential, generated: " + ", ".join(f"{n:,} {k}" for k, n in counts.items()))


@PROPERTY_SETTINGS
@given(st.lists(st.one_of(random_requests(), near_permits()), min_size=1, max_size=12))
def test_cedar_agrees_on_random_requests(
    compared: Counter[str], requests: list[dict[str, object]]
) -> None:
    _assert_agree(SHIPPED, requests)
    compared["on the shipped policies"] += len(requests)


# -- every operator: a purpose-built policy ----------------------------------------------------

EVERY_OPERATOR = """
rules:
  - id: R-90-every-comparison
    description: A permit over every comparison operator and attribute kind (R-90).
    effect: permit
    scope: {actions: [read, list, annotate], roles: [OFFENDER_MANAGER, DTC_REP, AUDITOR]}
    when:
      any:
        - all:
            - eq: {attr: actor.roles, value: [OFFENDER_MANAGER]}
            - ne: {attr: actor.case_relationships, value: []}
            - gte: {attr: now, value: 2025-06-01T11:59:59.999999+00:00}
            - lte: {attr: now, value: 2025-06-01T12:00:00.000001+00:00}
        - all:
            - in: {attr: resource.case_count, values: [1, 2, 3]}
            - not_in: {attr: justification, values: ["", urgent]}
            - is_false: resource.originator_control
            - ne: {attr: actor.agency_id, value: agency-a}
        - not:
            any:
              - present: purpose
              - eq: {attr: break_glass, value: true}
              - contains: {attr: actor.case_relationships, value: NONE}
    obligations:
      - require_justification: {min_chars: 5}

  - id: R-91-actions-and-types
    description: A permit over conditions on the action and the resource type (R-91).
    effect: permit
    scope: {resource_types: [case, person, item, audit_log]}
    when:
      all:
        - in: {attr: action, values: [create, edit, export]}
        - ne: {attr: action, value: edit}
        - not_in: {attr: resource.type, values: [audit_log]}
        - any:
            - eq: {attr: resource.type, value: person}
            - all:
                - ne: {attr: resource.type, value: case}
                - eq: {attr: resource.category, value: RISK}
            - eq: {attr: resource.owning_agency_type, value: RA_POLICE}

  - id: R-92-forbid-that-can-fail
    description: A forbid reading optional attributes under any and not (R-92).
    effect: forbid
    scope: {actions: [export, create]}
    when:
      any:
        - lte: {attr: resource.case_count, value: -1}
        - all:
            - is_true: break_glass
            - not: {in: {attr: purpose, values: [SAFEGUARDING, AUDIT_OVERSIGHT]}}

  - id: R-93-field-forbid-that-can-fail
    description: Withholds a person's address unless safeguarding; no purpose fails closed (R-93).
    effect: forbid
    scope: {resource_types: [person], fields: [address]}
    when:
      ne: {attr: purpose, value: SAFEGUARDING}

  - id: R-94-cut-off
    description: Nothing after the cut-off; a request without a time fails closed (R-94).
    effect: forbid
    scope: {actions: [annotate]}
    when:
      gte: {attr: now, value: 2025-06-01T12:00:00.000002+00:00}

  - id: R-95-categories-and-agencies
    description: A permit scoped by category and agency type, with nested negations (R-95).
    effect: permit
    scope:
      actions: [read, export]
      resource_types: [item]
      categories: [HEALTH, VICTIM]
      agency_types: [DTC_HEALTH, RA_POLICE]
    when:
      not:
        all:
          - eq: {attr: resource.owning_agency_id, value: agency-b}
          - is_true: actor.named_on_item
          - not: {present: resource.legal_basis}
    obligations:
      - require_justification: {min_chars: 20}
      - notify_owner: true

  - id: R-96-set-equality
    description: A permit over set equality, the empty set included (R-96).
    effect: permit
    scope: {actions: [disclose, edit]}
    when:
      any:
        - eq: {attr: actor.case_relationships, value: []}
        - eq: {attr: actor.roles, value: [DTC_REP, HEALTH_DISCLOSER]}
        - all:
            - ne: {attr: actor.roles, value: [AUDITOR]}
            - gte: {attr: resource.case_count, value: 3}
            - lte: {attr: resource.case_count, value: 3}

  - id: R-97-negations
    description: A permit whose negations read attributes that may be missing (R-97).
    effect: permit
    scope: {actions: [list, read], roles: [LAY_ADVISER, SMB_MEMBER]}
    when:
      all:
        - not: {eq: {attr: resource.classification, value: OFFICIAL}}
        - not:
            all:
              - is_true: resource.address_confidential
              - eq: {attr: actor.named_on_item, value: false}
"""


@pytest.fixture(scope="module")
def every_operator(tmp_path_factory: pytest.TempPathFactory) -> Cedar:
    root = policy_dir(tmp_path_factory.mktemp("cedar"), {"every.yaml": EVERY_OPERATOR})
    return Cedar.of(PolicySet.load(root))


def test_every_operator_translation_validates(every_operator: Cedar) -> None:
    text = cedar_policies(every_operator.policy)
    result = cedarpy.validate_policies(text, every_operator.schema)
    assert result.validation_passed, [str(e) for e in result.errors]
    # The field forbid can fail to evaluate, so it has a policy; the justifications have theirs.
    for expected in (
        "R-90-every-comparison#justification",
        "R-93-field-forbid-that-can-fail#unevaluable",
        "R-95-categories-and-agencies#justification",
    ):
        assert f'@id("{expected}")' in text


# Values test for: drawn often, so that their conditions are not settled by the
# scope alone (a uniformly random request rarely reaches a rule's condition).
FOCUS: dict[str, st.SearchStrategy[object]] = {
    "action": st.sampled_from(["read", "read", "list", "annotate", "export", "edit", "disclose"]),
    "resource.type": st.sampled_from(["item", "item", "person", "case", "audit_log"]),
    "actor.agency_type": st.sampled_from(["DTC_HEALTH", "RA_POLICE", "DTC_HOUSING"]),
    "actor.roles": st.sampled_from(
        [
            frozenset({"OFFENDER_MANAGER"}),
            frozenset({"DTC_REP", "HEALTH_DISCLOSER"}),
            frozenset({"AUDITOR"}),
            frozenset({"DTC_REP"}),
        ]
    ),
    "actor.case_relationships": st.sampled_from(
        [frozenset(), frozenset({"NONE"}), frozenset({"CASE_AGENCY"})]
    ),
    "purpose": st.sampled_from(["SAFEGUARDING", "AUDIT_OVERSIGHT", "RISK_MANAGEMENT"]),
    "resource.owning_agency_id": st.just("agency-b"),
    "actor.agency_id": st.just("agency-a"),
    "resource.case_count": st.sampled_from([-1, 1, 3, 4]),
    "now": instants(),
    "justification": st.sampled_from(JUSTIFICATIONS),
}

FOCUS_CATEGORIES = st.sampled_from(["HEALTH", "VICTIM", "RISK"])


@st.composite
def requests_for_every_operator(draw: st.DrawFn) -> dict[str, object]:
    """Random requests, half of them pulled towards the values R-90 to R-96 compare with; any
    of those attributes may still be missing."""
    req = draw(random_requests())
    if draw(st.booleans()):
        for name, strategy in FOCUS.items():
            if name not in ("action", "resource.type") and draw(ONE_IN[3]) == 0:
                req.pop(name, None)
            else:
                req[name] = draw(strategy)
        if req["resource.type"] == "item":
            req["resource.category"] = draw(FOCUS_CATEGORIES)
        else:
            req.pop("resource.category", None)
    return req


@PROPERTY_SETTINGS
@given(st.lists(requests_for_every_operator(), min_size=1, max_size=12))
def test_cedar_agrees_on_every_operator(
    every_operator: Cedar, compared: Counter[str], requests: list[dict[str, object]]
) -> None:
    """Every operator (eq/ne on enums, strings, bools and sets, the empty set included; in and
    not_in on ints, strings, actions and resource types; contains; is_true/is_false; gte/lte on
    ints and on datetimes to the microsecond; present), under all, any and not, with missing
    attributes wherever they fall: permits that cannot be evaluated do not apply, forbids and
    field forbids that cannot be evaluated deny."""
    _assert_agree(every_operator, requests)
    compared["on every operator"] += len(requests)
