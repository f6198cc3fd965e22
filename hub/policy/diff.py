"""``diff``: every request of the space whose decision changes between two policy sets.

Differences are reported by class: one representative request, the values it stands for and how
many requests of the space share it, with the old and new effect and obligations.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from .check import load_invariants, tracked_conditions
from .decision import Decision
from .engine import PolicySet
from .space import RequestSpace, Visit, explore

MAX_CHANGES = 200


def _signature(decision: Decision) -> tuple[str, tuple[str, ...]]:
    return decision.effect.value, tuple(sorted(o.words() for o in decision.obligations))


@dataclass(frozen=True, slots=True)
class DecisionChange:
    request: dict[str, object]
    covers: int
    classes: str
    old: tuple[str, tuple[str, ...]]
    new: tuple[str, tuple[str, ...]]
    old_rules: tuple[str, ...]
    new_rules: tuple[str, ...]

    def line(self) -> str:
        def side(sig: tuple[str, tuple[str, ...]], rules: tuple[str, ...]) -> str:
            obligations = f" [{'; '.join(sig[1])}]" if sig[1] else ""
            return f"{sig[0]}{obligations} ({', '.join(rules) or 'no rule'})"

        return (
            f"{side(self.old, self.old_rules)} -> {side(self.new, self.new_rules)}: "
            f"{self.classes} (covers {self.covers:,})"
        )


@dataclass(slots=True)
class DiffReport:
    old_hash: str
    new_hash: str
    requests_covered: int = 0
    requests_changed: int = 0
    representatives: int = 0
    seconds: float = 0.0
    changes: list[DecisionChange] = field(default_factory=list)

    @property
    def unchanged(self) -> bool:
        return self.requests_changed == 0

    def lines(self) -> list[str]:
        out = [
            f"policy diff {self.old_hash[:12]} -> {self.new_hash[:12]}: "
            f"{self.requests_changed:,} of {self.requests_covered:,} requests decide differently "
            f"({len(self.changes)} classes shown, {self.representatives:,} cases evaluated, "
            f"{self.seconds:.2f} s)"
        ]
        out += ["  " + change.line() for change in self.changes]
        return out

    def __str__(self) -> str:
        return "\n".join(self.lines())


def diff(
    old: PolicySet,
    new: PolicySet,
    space: RequestSpace | str | Path,
    *,
    max_changes: int = MAX_CHANGES,
) -> DiffReport:
    """Compare the decisions (effect and obligations) of two policy sets over a request space
    (or the space declared in an invariants file). The new set's schema defines the space."""
    if not isinstance(space, RequestSpace):
        space = load_invariants(Path(space), new.schema).space
    report = DiffReport(old.bundle_hash, new.bundle_hash)
    started = time.perf_counter()

    def visit(v: Visit) -> None:
        report.representatives += 1
        before, after = old.decide(v.request), new.decide(v.request)
        if _signature(before) == _signature(after):
            return
        report.requests_changed += v.weight
        if len(report.changes) < max_changes:
            report.changes.append(
                DecisionChange(
                    v.request,
                    v.weight,
                    v.describe(),
                    _signature(before),
                    _signature(after),
                    before.permitted_by or before.forbidden_by,
                    after.permitted_by or after.forbidden_by,
                )
            )

    tracked = tracked_conditions(old) + tracked_conditions(new)
    report.requests_covered = explore(space, new.schema, tracked, visit)
    report.seconds = time.perf_counter() - started
    return report
