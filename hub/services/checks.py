"""Small input checks shared by the services; each names the field it refuses."""

from __future__ import annotations

from enum import StrEnum
from typing import TypeVar

from hub.errors import InvalidInput, RuleViolation
from hub.vocabulary import Classification

E = TypeVar("E", bound=StrEnum)

_ABOVE_OFFICIAL = {"SECRET", "TOP_SECRET", "TOP SECRET", "TOP-SECRET"}


def parse_enum(enum_class: type[E], value: object, field: str) -> E:
    if isinstance(value, enum_class):
        return value
    if isinstance(value, str):
        try:
            return enum_class(value.strip().upper())
        except ValueError:
            pass
    allowed = ", ".join(m.value for m in enum_class)
    raise InvalidInput(field, f"must be one of {allowed}; got {value!r}")


def parse_classification(value: object, field: str = "classification") -> Classification:
    """R-13: nothing above OFFICIAL(-SENSITIVE) may enter the hub."""
    if isinstance(value, str):
        normalised = value.strip().upper().replace("-", "_")
        if normalised in _ABOVE_OFFICIAL or normalised.replace("_", " ") in _ABOVE_OFFICIAL:
            raise RuleViolation(
                "R-13",
                field,
                f"{value} material must not enter the hub; record a pointer instead "
                "(for example 'further information held by CTP') at OFFICIAL-SENSITIVE",
            )
    return parse_enum(Classification, value, field)


def required_text(value: object, field: str, *, max_length: int, min_length: int = 1) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(field, "is required")
    cleaned = value.strip()
    if len(cleaned) < min_length:
        raise InvalidInput(field, f"must be at least {min_length} characters")
    if len(cleaned) > max_length:
        raise InvalidInput(field, f"must be at most {max_length} characters")
    return cleaned


def optional_text(value: object, field: str, *, max_length: int) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return required_text(value, field, max_length=max_length)
