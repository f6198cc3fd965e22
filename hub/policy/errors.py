"""Errors raised while loading policies and while evaluating conditions."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

Report = Callable[[str, str], None]
"""Where parsers send a problem: (path inside the rule or file, message)."""


@dataclass(frozen=True, slots=True)
class LoadProblem:
    """One thing wrong with a policy file, located precisely enough to fix it."""

    file: str
    rule_id: str | None
    path: str
    message: str
    subject: str = "rule"  # what rule_id names: a rule, an invariant or a test case

    def __str__(self) -> str:
        where = f"{self.file}: "
        if self.rule_id is not None:
            where += f"{self.subject} {self.rule_id}: "
        if self.path:
            where += f"{self.path}: "
        return where + self.message


class PolicyLoadError(Exception):
    """A policy file (schema, rules, invariants or tests) does not validate.

    Every problem found is kept, so one run shows them all; the message lists them one a line,
    each as ``file: rule <id>: <path inside the rule>: <what is wrong>``.
    """

    def __init__(self, problems: list[LoadProblem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in problems))


class ConditionError(Exception):
    """A condition could not be evaluated against a request (missing attribute, wrong type).

    Raised inside the engine only; a permit rule whose condition raises does not apply, and a
    forbid rule whose condition raises makes the decision a deny (the gate fails closed).
    """

    def __init__(self, attribute: str, problem: str, *, missing: bool = False) -> None:
        self.attribute = attribute
        self.problem = problem
        self.missing = missing
        super().__init__(f"{attribute}: {problem}")
