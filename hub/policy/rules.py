"""Rules and obligations as loaded from policies/rules/*.yaml."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from .conditions import ALWAYS, AllOf, AnyOf, Comparison, Condition, Operator


class RuleEffect(StrEnum):
    PERMIT = "permit"
    FORBID = "forbid"


@dataclass(frozen=True, slots=True)
class Redact:
    """Withhold these fields of the resource."""

    fields: frozenset[str]
    name = "redact"

    def words(self) -> str:
        return "withhold " + ", ".join(sorted(self.fields))


@dataclass(frozen=True, slots=True)
class RedactAllExcept:
    """Withhold every field of the resource except these (a whitelist, e.g. R-51)."""

    fields: frozenset[str]
    name = "redact_all_except"

    def words(self) -> str:
        return "withhold every field except " + ", ".join(sorted(self.fields))


@dataclass(frozen=True, slots=True)
class RequireJustification:
    """The request must carry a justification of at least ``min_chars`` characters (checked by
    the engine itself; the gate records the justification in the audit entry)."""

    min_chars: int
    name = "require_justification"

    def words(self) -> str:
        return f"require a justification of at least {self.min_chars} characters"


@dataclass(frozen=True, slots=True)
class NotifyOwner:
    name = "notify_owner"

    def words(self) -> str:
        return "notify the owning agency"


@dataclass(frozen=True, slots=True)
class FlagForReview:
    name = "flag_for_review"

    def words(self) -> str:
        return "flag the access for review"


@dataclass(frozen=True, slots=True)
class RecordBreakGlass:
    name = "record_break_glass"

    def words(self) -> str:
        return "record the break-glass access"


Obligation = (
    Redact | RedactAllExcept | RequireJustification | NotifyOwner | FlagForReview | RecordBreakGlass
)
OBLIGATION_NAMES = (
    "require_justification",
    "redact",
    "redact_all_except",
    "record_break_glass",
    "notify_owner",
    "flag_for_review",
)


def merge_obligations(obligations: Iterable[Obligation]) -> tuple[Obligation, ...]:
    """One obligation of each kind, the strictest: redactions add up, whitelists intersect,
    the longest justification wins. The order is fixed so decisions compare equal."""
    redact: set[str] = set()
    keep: frozenset[str] | None = None
    min_chars = -1
    flags: set[str] = set()
    for ob in obligations:
        match ob:
            case Redact(fields=fields):
                redact |= fields
            case RedactAllExcept(fields=fields):
                keep = fields if keep is None else keep & fields
            case RequireJustification(min_chars=n):
                min_chars = max(min_chars, n)
            case _:
                flags.add(ob.name)
    merged: list[Obligation] = []
    if min_chars >= 0:
        merged.append(RequireJustification(min_chars))
    if redact:
        merged.append(Redact(frozenset(redact)))
    if keep is not None:
        merged.append(RedactAllExcept(keep))
    for flag, make in (
        ("record_break_glass", RecordBreakGlass),
        ("notify_owner", NotifyOwner),
        ("flag_for_review", FlagForReview),
    ):
        if flag in flags:
            merged.append(make())
    return tuple(merged)


@dataclass(frozen=True, slots=True)
class Scope:
    """What a rule is about. Each part is optional (None: any). A rule applies to a request only
    when every given part matches: the action, the resource type, the item category (items only),
    at least one of the actor's roles, and the actor's agency type.

    ``fields`` / ``fields_except`` (forbid rules only) narrow a forbid to some fields of the
    resource: the record stays visible and those fields are withheld, whichever rule permitted it.
    """

    actions: frozenset[str] | None = None
    resource_types: frozenset[str] | None = None
    categories: frozenset[str] | None = None
    roles: frozenset[str] | None = None
    agency_types: frozenset[str] | None = None
    fields: frozenset[str] | None = None
    fields_except: frozenset[str] | None = None

    def as_condition(self) -> Condition:
        """The scope as a condition over request attributes (for analysis and SQL)."""
        parts: list[Condition] = []
        for attr, values in (
            ("action", self.actions),
            ("resource.type", self.resource_types),
        ):
            if values is not None:
                parts.append(Comparison(Operator.IN, attr, tuple(sorted(values))))
        if self.categories is not None:
            # Only items carry a category; the presence test keeps other records out of scope.
            parts.append(
                AllOf(
                    (
                        Comparison(Operator.PRESENT, "resource.category"),
                        Comparison(
                            Operator.IN, "resource.category", tuple(sorted(self.categories))
                        ),
                    )
                )
            )
        if self.roles is not None:
            parts.append(
                AnyOf(
                    tuple(
                        Comparison(Operator.CONTAINS, "actor.roles", r) for r in sorted(self.roles)
                    )
                )
            )
        if self.agency_types is not None:
            parts.append(
                Comparison(Operator.IN, "actor.agency_type", tuple(sorted(self.agency_types)))
            )
        return AllOf(tuple(parts)) if parts else ALWAYS


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    description: str
    effect: RuleEffect
    scope: Scope
    when: Condition
    obligations: tuple[Obligation, ...]
    file: str

    @property
    def is_field_forbid(self) -> bool:
        return self.scope.fields is not None or self.scope.fields_except is not None

    def field_obligation(self) -> Obligation | None:
        """What a field-level forbid does to a permitted record: the redaction it imposes."""
        if self.scope.fields is not None:
            return Redact(self.scope.fields)
        if self.scope.fields_except is not None:
            return RedactAllExcept(self.scope.fields_except)
        return None

    def applicability(self) -> Condition:
        """Scope and condition together: the rule applies exactly when this holds."""
        return AllOf((self.scope.as_condition(), self.when))
