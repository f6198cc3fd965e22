"""Decisions, their explanations, obligation enforcement and field-level views."""

from __future__ import annotations

import itertools
import os
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple, Protocol

from .errors import ConditionError
from .evaluate import Failure
from .rules import Obligation, Redact, RedactAllExcept, RuleEffect


class Effect(StrEnum):
    PERMIT = "PERMIT"
    DENY = "DENY"


class DenyReason(StrEnum):
    """Why a decision is a deny; None on a permit."""

    BAD_REQUEST = "bad_request"  # a required attribute is missing or malformed
    FORBIDDEN = "forbidden"  # a forbid rule fired
    FORBID_ERROR = "forbid_error"  # a forbid rule could not be evaluated: fail closed
    NO_PERMIT = "no_permit"  # default deny: no permit rule applied
    JUSTIFICATION = "justification"  # a permit required a longer justification
    OBLIGATION_UNFULFILLED = "obligation_unfulfilled"  # the caller cannot carry one out


@dataclass(frozen=True, slots=True)
class RuleNote:
    """What one rule did with the request."""

    rule_id: str
    effect: RuleEffect
    outcome: str  # permitted | forbade | withheld fields | did not apply | could not be evaluated
    reason: str  # the rule's description, or why it did not apply, in plain words
    failure: Failure | None = None
    obligations: tuple[Obligation, ...] = ()

    def line(self) -> str:
        text = f"{self.rule_id} ({self.effect}) {self.outcome}: {self.reason}"
        if self.obligations:
            text += " [obligations: " + "; ".join(o.words() for o in self.obligations) + "]"
        return text


@dataclass(frozen=True, slots=True)
class Explanation:
    effect: Effect
    summary: str
    notes: tuple[RuleNote, ...]

    @property
    def missing_attributes(self) -> tuple[str, ...]:
        """Attributes some candidate rule needed and the request did not give."""
        seen: dict[str, None] = {}
        for note in self.notes:
            if note.failure is not None:
                seen.update(dict.fromkeys(note.failure.missing))
        return tuple(seen)

    def lines(self) -> list[str]:
        return [self.summary, *("  - " + note.line() for note in self.notes)]

    def __str__(self) -> str:
        return "\n".join(self.lines())


class Explainer(Protocol):
    def explain(self, decision: Decision, request: Mapping[str, object] | None) -> Explanation: ...


class Decision(NamedTuple):
    """The engine's answer for one request. Obligations are empty on a deny.

    An immutable record (a NamedTuple: a frozen dataclass costs a microsecond more to build,
    a tenth of a decision's budget).
    """

    effect: Effect
    obligations: tuple[Obligation, ...]
    permitted_by: tuple[str, ...]
    forbidden_by: tuple[str, ...]
    withheld_by: tuple[str, ...]
    decision_id: str
    bundle_hash: str
    reason: DenyReason | None
    errors: tuple[tuple[str, ConditionError], ...]
    unfulfilled: tuple[Obligation, ...]
    # Built only when asked for: most decisions are never explained, so they do not pay for it.
    explainer: Explainer
    request: Mapping[str, object] | None

    @property
    def permitted(self) -> bool:
        return self.effect is Effect.PERMIT

    @property
    def explanation(self) -> Explanation:
        return self.explainer.explain(self, self.request)

    def obligation_names(self) -> tuple[str, ...]:
        return tuple(o.name for o in self.obligations)


def enforce(decision: Decision, can_fulfil: Callable[[Obligation], bool]) -> Decision:
    """The gate's last step: a permit whose obligation the caller cannot carry out is a deny."""
    if not decision.permitted:
        return decision
    unfulfilled = tuple(o for o in decision.obligations if not can_fulfil(o))
    if not unfulfilled:
        return decision
    return decision._replace(
        effect=Effect.DENY,
        obligations=(),
        reason=DenyReason.OBLIGATION_UNFULFILLED,
        unfulfilled=unfulfilled,
    )


@dataclass(frozen=True, slots=True)
class FieldView:
    """Which fields of a resource go out and which are withheld, in the order given."""

    returned: tuple[str, ...]
    withheld: tuple[str, ...]


def visible_fields(decision: Decision, fields: Iterable[str]) -> FieldView:
    """Apply a decision's redactions to a resource's field list. A deny withholds everything."""
    names = tuple(fields)
    if not decision.permitted:
        return FieldView((), names)
    redact: frozenset[str] = frozenset()
    keep: frozenset[str] | None = None
    for ob in decision.obligations:
        if isinstance(ob, Redact):
            redact = ob.fields
        elif isinstance(ob, RedactAllExcept):
            keep = ob.fields
    if not redact and keep is None:
        return FieldView(names, ())
    returned: list[str] = []
    withheld: list[str] = []
    for name in names:
        hidden = name in redact or (keep is not None and name not in keep)
        (withheld if hidden else returned).append(name)
    return FieldView(tuple(returned), tuple(withheld))


class DecisionIds:
    """Unique decision ids, UUID-shaped, cheaper than uuid4 per call.

    A random 80-bit prefix per process (fresh again after fork, so gunicorn workers differ) and a
    48-bit counter. uuid4() costs about ten times more and ids only need to be unique, not secret.
    """

    def __init__(self) -> None:
        self._reseed()
        os.register_at_fork(after_in_child=self._reseed)

    def _reseed(self) -> None:
        hex32 = uuid.uuid4().hex
        self._prefix = f"{hex32[:8]}-{hex32[8:12]}-{hex32[12:16]}-{hex32[16:20]}-"
        self._counter = itertools.count()

    def next(self) -> str:
        return f"{self._prefix}{next(self._counter) & 0xFFFFFFFFFFFF:012x}"


def uuid4_id() -> str:
    """The plain alternative, kept for the benchmark's comparison."""
    return str(uuid.uuid4())
