"""Reading the portal's forms: GOV.UK date inputs, numbers, and error messages people read."""

from __future__ import annotations

from datetime import date

from flask import request

from hub.errors import InvalidInput


class FormProblem(Exception):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def date_field(name: str, label: str, *, required: bool) -> date | None:
    """A GOV.UK date input: three boxes `name-day`, `name-month`, `name-year`."""
    parts = [request.form.get(f"{name}-{p}", "").strip() for p in ("day", "month", "year")]
    if not any(parts):
        if required:
            raise FormProblem(name, f"Enter {label}")
        return None
    if not all(p.isdigit() for p in parts) or len(parts[2]) != 4:
        raise FormProblem(name, f"{label[0].upper()}{label[1:]} must be a real date")
    try:
        return date(int(parts[2]), int(parts[1]), int(parts[0]))
    except ValueError:
        raise FormProblem(name, f"{label[0].upper()}{label[1:]} must be a real date") from None


def date_values(name: str) -> dict[str, str]:
    return {p: request.form.get(f"{name}-{p}", "") for p in ("day", "month", "year")}


def number_field(name: str, label: str, low: int, high: int) -> int:
    raw = request.form.get(name, "").strip()
    if not raw:
        raise FormProblem(name, f"Enter {label}")
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise FormProblem(
            name, f"{label[0].upper()}{label[1:]} must be a number from {low} to {high}"
        )
    return int(raw)


def service_problem(error: InvalidInput, labels: dict[str, str]) -> tuple[str, str]:
    """A service's refusal as an error-summary line naming the field as the form does."""
    field = error.field if error.field in labels else next(iter(labels))
    label = labels.get(error.field)
    problem = error.problem
    if label and problem[:1].islower():
        problem = f"{label} {problem}"
    return field, problem[0].upper() + problem[1:]
