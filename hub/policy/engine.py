"""The need-to-know policy engine: a loaded, compiled policy set that decides requests.

Semantics (Cedar's, plus obligations): deny by default; any applicable forbid overrides every
permit; no side effects. A permit rule whose condition cannot be evaluated does not apply (the
error is reported). A forbid rule whose condition cannot be evaluated makes the decision a deny:
Cedar would skip it, but the hub's gate fails closed. Obligations of all permitting rules are
merged; a required justification is checked here, against the request's ``justification``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from .compile import Test, compile_condition
from .decision import Decision, DecisionIds, DenyReason, Effect, Explanation
from .errors import ConditionError, LoadProblem, PolicyLoadError
from .explain import build_explanation
from .loader import bundle_hash, load_rules
from .rules import Obligation, RequireJustification, Rule, RuleEffect, merge_obligations
from .schema import Schema

_CACHE_LIMIT = 50_000
_IDS = DecisionIds()
_NO_ERRORS: tuple[tuple[str, ConditionError], ...] = ()

Key = tuple[object, object, object, object, object]


@dataclass(frozen=True, slots=True)
class _Bucket:
    """The rules that can apply to one (action, type, category, agency type, role set)."""

    forbids: tuple[tuple[str, Test], ...]
    permits: tuple[tuple[str, Test], ...]
    field_forbids: tuple[tuple[str, Test], ...]


@dataclass(frozen=True, slots=True)
class _Outcome:
    obligations: tuple[Obligation, ...]
    min_chars: int


class PolicySet:
    """A validated, compiled set of rules. Immutable; safe to share between threads."""

    def __init__(self, schema: Schema, rules: Sequence[Rule], bundle_hash: str) -> None:
        self.schema = schema
        self.rules: tuple[Rule, ...] = tuple(rules)
        self.bundle_hash = bundle_hash
        self._by_id = {rule.id: rule for rule in self.rules}
        self._tests = {rule.id: compile_condition(rule.when, schema) for rule in self.rules}
        self._index = self._build_index()
        self._buckets: dict[Key, _Bucket] = {}
        self._outcomes: dict[tuple[tuple[str, ...], tuple[str, ...]], _Outcome] = {}

    @classmethod
    def load(cls, directory: str | Path) -> PolicySet:
        """Load ``schema.yaml`` and ``rules/*.yaml`` from a policy directory (raises
        PolicyLoadError naming file, rule and path for anything that does not validate)."""
        root = Path(directory)
        if not (root / "rules").is_dir():
            problem = LoadProblem(str(root / "rules"), None, "", "the policy has no rules folder")
            raise PolicyLoadError([problem])
        schema = Schema.load(root / "schema.yaml")
        rule_files = sorted((root / "rules").glob("*.yaml"))
        rules = load_rules(rule_files, schema)
        return cls(schema, rules, bundle_hash(root, [root / "schema.yaml", *rule_files]))

    def rule(self, rule_id: str) -> Rule:
        return self._by_id[rule_id]

    # -- deciding -----------------------------------------------------------------------------

    def decide(self, request: Mapping[str, object]) -> Decision:
        """Decide one request (a mapping of schema attribute name to value)."""
        return self._decide(request, owned=False)

    def _decide(self, request: Mapping[str, object], *, owned: bool) -> Decision:
        # ``owned``: the caller built the request for this call, so a deny may keep it as is.
        try:
            bucket = self._buckets[
                (
                    request["action"],
                    request["resource.type"],
                    request.get("resource.category"),
                    request["actor.agency_type"],
                    request["actor.roles"],
                )
            ]
        except (KeyError, TypeError):
            found = self._bucket_for(request)
            if found is None:
                return self._deny(DenyReason.BAD_REQUEST, (), (), _NO_ERRORS, request, owned)
            bucket = found
        return self._decide_in(bucket, request, owned)

    def decide_case(
        self,
        requests: Iterable[Mapping[str, object]],
        *,
        common: Mapping[str, object] | None = None,
    ) -> list[Decision]:
        """Decide many requests of one actor (a whole case: its record, items and people).

        ``common`` holds what every request shares (actor, purpose, justification, time); each
        request adds the resource's attributes and wins over ``common`` where both give one.
        """
        if common is None:
            decide = self.decide
            return [decide(r) for r in requests]
        base = dict(common)
        roles = base.get("actor.roles")
        if isinstance(roles, set):
            base["actor.roles"] = frozenset(roles)  # once per batch, not once per request
        decide_owned = self._decide
        return [decide_owned({**base, **r}, owned=True) for r in requests]

    def _decide_in(
        self, bucket: _Bucket, request: Mapping[str, object], owned: bool = False
    ) -> Decision:
        errors: list[tuple[str, ConditionError]] = []
        forbidden = _fired(bucket.forbids, request, errors)
        if forbidden or errors:
            reason = DenyReason.FORBIDDEN if forbidden else DenyReason.FORBID_ERROR
            return self._deny(reason, (), forbidden, tuple(errors), request, owned)
        permitted = _fired(bucket.permits, request, errors)
        if not permitted:
            return self._deny(DenyReason.NO_PERMIT, (), (), tuple(errors), request, owned)
        before = len(errors)
        withheld = _fired(bucket.field_forbids, request, errors)
        if len(errors) > before:
            # A field forbid that cannot be evaluated withholds the record (fail closed).
            return self._deny(DenyReason.FORBID_ERROR, permitted, (), tuple(errors), request, owned)
        key = (permitted, withheld)
        outcome = self._outcomes.get(key) or self._outcome(key)
        if outcome.min_chars:
            justification = request.get("justification", "")
            if not isinstance(justification, str) or len(justification.strip()) < outcome.min_chars:
                return self._deny(
                    DenyReason.JUSTIFICATION, permitted, (), tuple(errors), request, owned
                )
        return Decision(
            Effect.PERMIT,
            outcome.obligations,
            permitted,
            (),
            withheld,
            _IDS.next(),
            self.bundle_hash,
            None,
            tuple(errors) if errors else _NO_ERRORS,
            (),
            self,
            None,
        )

    def _deny(
        self,
        reason: DenyReason,
        permitted: tuple[str, ...],
        forbidden: tuple[str, ...],
        errors: tuple[tuple[str, ConditionError], ...],
        request: Mapping[str, object],
        owned: bool = False,
    ) -> Decision:
        # The request is kept (copied, unless built for this call) so the explanation can be
        # built later, on demand.
        return Decision(
            Effect.DENY,
            (),
            permitted,
            forbidden,
            (),
            _IDS.next(),
            self.bundle_hash,
            reason,
            errors,
            (),
            self,
            request if owned else dict(request),
        )

    def _outcome(self, key: tuple[tuple[str, ...], tuple[str, ...]]) -> _Outcome:
        obligations = [ob for rule_id in key[0] for ob in self._by_id[rule_id].obligations]
        for rule_id in key[1]:
            field_ob = self._by_id[rule_id].field_obligation()
            if field_ob is not None:
                obligations.append(field_ob)
        merged = merge_obligations(obligations)
        min_chars = max(
            (ob.min_chars for ob in merged if isinstance(ob, RequireJustification)), default=0
        )
        outcome = _Outcome(merged, min_chars)
        self._outcomes[key] = outcome
        return outcome

    # -- indexing -----------------------------------------------------------------------------

    def _build_index(self) -> dict[tuple[str, str, str | None], tuple[Rule, ...]]:
        """Rules by (action, resource type, category): the scope parts every request gives."""
        schema = self.schema
        index: dict[tuple[str, str, str | None], tuple[Rule, ...]] = {}
        for action in schema.enum_values("action"):
            for rtype in schema.enum_values("resource_type"):
                categorised = rtype in schema.categorised_resource_types
                categories = schema.enum_values("category") if categorised else (None,)
                for category in categories:
                    index[(action, rtype, category)] = tuple(
                        rule
                        for rule in self.rules
                        if _in_scope(rule.scope.actions, action)
                        and _in_scope(rule.scope.resource_types, rtype)
                        and (
                            rule.scope.categories is None
                            or (category is not None and category in rule.scope.categories)
                        )
                    )
        return index

    def candidates(self, request: Mapping[str, object]) -> tuple[Rule, ...]:
        """Rules whose action, resource type and category match the request (for explanations)."""
        key = (
            request.get("action"),
            request.get("resource.type"),
            request.get("resource.category"),
        )
        return self._index.get(key, ())  # type: ignore[arg-type]

    def in_scope(self, request: Mapping[str, object]) -> tuple[Rule, ...]:
        """Every rule whose scope takes the request (action, resource type, category, agency
        type, roles), whatever its conditions say: what compiles a policy to SQL starts from."""
        roles = request.get("actor.roles")
        if not isinstance(roles, set | frozenset):
            return ()
        agency = request.get("actor.agency_type")
        return tuple(
            rule
            for rule in self.candidates(request)
            if _in_scope(rule.scope.agency_types, agency)
            and (rule.scope.roles is None or not rule.scope.roles.isdisjoint(roles))
        )

    def _bucket_for(self, request: Mapping[str, object]) -> _Bucket | None:
        """Filter the index entry by the actor's agency type and roles; None for a request the
        engine cannot place (missing or malformed action, type, category, agency type, roles)."""
        action, rtype = request.get("action"), request.get("resource.type")
        category, agency = request.get("resource.category"), request.get("actor.agency_type")
        given_roles = request.get("actor.roles")
        if not isinstance(given_roles, set | frozenset):
            return None
        roles = frozenset(given_roles)
        cached = self._buckets.get((action, rtype, category, agency, roles))
        if cached is not None:
            return cached  # a set of roles (unhashable) misses the fast lookup, not this one
        rules = self._index.get((action, rtype, category))  # type: ignore[arg-type]
        if rules is None or agency not in self.schema.enums["agency_type"]:
            return None
        chosen = [
            rule
            for rule in rules
            if _in_scope(rule.scope.agency_types, agency)
            and (rule.scope.roles is None or not rule.scope.roles.isdisjoint(roles))
        ]
        bucket = _Bucket(
            forbids=self._pairs(r for r in chosen if _is_record_forbid(r)),
            permits=self._pairs(r for r in chosen if r.effect is RuleEffect.PERMIT),
            field_forbids=self._pairs(
                r for r in chosen if r.effect is RuleEffect.FORBID and r.is_field_forbid
            ),
        )
        if len(self._buckets) >= _CACHE_LIMIT:
            self._buckets.clear()  # unbounded role sets must not grow memory without end
        self._buckets[(action, rtype, category, agency, roles)] = bucket
        return bucket

    def _pairs(self, rules: Iterable[Rule]) -> tuple[tuple[str, Test], ...]:
        return tuple((rule.id, self._tests[rule.id]) for rule in rules)

    # -- explaining ---------------------------------------------------------------------------

    def explain(self, decision: Decision, request: Mapping[str, object] | None) -> Explanation:
        return build_explanation(self, decision, request)


def _fired(
    rules: tuple[tuple[str, Test], ...],
    request: Mapping[str, object],
    errors: list[tuple[str, ConditionError]],
) -> tuple[str, ...]:
    """Ids of the rules whose condition holds; those that cannot be evaluated go to ``errors``."""
    fired = []
    for rule_id, test in rules:
        try:
            if test(request):
                fired.append(rule_id)
        except ConditionError as exc:
            errors.append((rule_id, exc))
    return tuple(fired)


def _in_scope(values: frozenset[str] | None, value: object) -> bool:
    return values is None or value in values


def _is_record_forbid(rule: Rule) -> bool:
    return rule.effect is RuleEffect.FORBID and not rule.is_field_forbid
