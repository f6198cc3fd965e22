"""What the gate hands out: redacted views, never ORM objects."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import ColumnElement, and_, or_

from hub.models import MappaCase


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
class ListPosition:
    """A place in the case list's order (soonest review first, none last, then id)."""

    next_review_due: date | None
    case_id: uuid.UUID

    @classmethod
    def of(cls, case: MappaCase) -> ListPosition:
        return cls(case.next_review_due, case.id)

    def later_cases(self) -> ColumnElement[bool]:
        """SQL true for the cases after this position in the list's order."""
        due, case_id = MappaCase.next_review_due, MappaCase.id
        if self.next_review_due is None:
            return and_(due.is_(None), case_id > self.case_id)
        return or_(
            due > self.next_review_due,
            and_(due == self.next_review_due, case_id > self.case_id),
            due.is_(None),
        )


@dataclass(frozen=True)
class CasePage:
    """A page of the cases a reader may list; `total` counts only those, never the hidden.

    `total_exact` is False when there are more than `total` (the count stops at a cap).
    """

    cases: list[View]
    total: int
    page: int
    per_page: int
    total_exact: bool = True
    following: ListPosition | None = None  # where the next page starts; None on the last
