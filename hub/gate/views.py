"""What the gate hands out: redacted views, never ORM objects."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field


@dataclass(frozen=True)
class View:
    """One record as one reader may see it: the fields returned and why others are withheld."""

    type: str
    id: uuid.UUID
    fields: dict[str, object]
    withheld: dict[str, str]  # field name -> the plain-English reason
    decision_id: str
    category: str | None = None


@dataclass(frozen=True)
class CaseView:
    case: View
    person: View | None
    items: list[View] = field(default_factory=list)


@dataclass(frozen=True)
class CasePage:
    """A page of the cases a reader may list; `total` counts only those, never the hidden."""

    cases: list[View]
    total: int
    page: int
    per_page: int
