"""The hub's error vocabulary.

Every error a user can cause names what is wrong and where (the rule id and the field), so
the API, the web UI and the CLI can each show one clear line and no stack trace.
"""

from __future__ import annotations


class HubError(Exception):
    """Base of every error the hub raises on purpose."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class SettingsError(HubError):
    """A HUB_* variable has a bad value; start-up stops."""

    def __init__(self, variable: str, problem: str) -> None:
        super().__init__(f"setting {variable} {problem}")
        self.variable = variable


class InvalidInput(HubError):
    """A value is missing or malformed; `field` is its path, e.g. ``names[0].family``."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


class RuleViolation(InvalidInput):
    """A business rule from domain.md §9 forbids the write; `rule` is its id, e.g. R-02."""

    def __init__(self, rule: str, field: str, problem: str) -> None:
        super().__init__(field, problem)
        self.rule = rule
        self.message = f"{rule} ({field}): {problem}"

    def __str__(self) -> str:
        return self.message


class NotFound(HubError):
    """No such record, or one the actor may not know exists: the two answer alike."""

    def __init__(self, kind: str) -> None:
        super().__init__(f"{kind} not found")
        self.kind = kind


class Conflict(HubError):
    """The record changed since the caller read it (optimistic locking)."""
