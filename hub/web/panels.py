"""Dashboard panels: each part of the hub contributes the panels its own work needs.

The dashboard knows no meetings, circles or tasks. A module that owns such work registers a
panel source; the dashboard asks every source, in order, for the signed-in reader. A source
reads through the gate (or a SQL clause the gate made, such as `case_filter`), so a panel
never shows a case its reader could not open, and a source that is not for this reader
returns None rather than an empty panel.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.orm import Session

from hub.gate import Gate, Reader


@dataclass(frozen=True)
class PanelRow:
    text: str
    href: str | None = None
    tag: str | None = None  # a short status ("Overdue", "Urgent"), shown as a GOV.UK tag
    tag_colour: str | None = None  # a govuk-tag modifier: "red", "yellow", "grey", ...
    detail: str | None = None  # a second line, such as a due date


@dataclass(frozen=True)
class Panel:
    key: str  # stable id, used as the HTML id and in tests
    title: str
    rows: list[PanelRow] = field(default_factory=list)
    empty_text: str = "Nothing to show."
    more_href: str | None = None  # the full list, when the panel shows only the first rows
    total: int | None = None  # how many there are in all, when more than the rows shown
    total_exact: bool = True  # False: `total` is a floor ("more than"), the count was capped


@dataclass(frozen=True)
class PanelContext:
    session: Session
    gate: Gate
    reader: Reader
    today: date


PanelSource = Callable[[PanelContext], Panel | None]


@dataclass(frozen=True)
class _Registered:
    order: int
    source: PanelSource


_sources: dict[str, _Registered] = {}


def dashboard_panel(key: str, *, order: int) -> Callable[[PanelSource], PanelSource]:
    """Register `source` as the dashboard's panel `key`; lower `order` shows first."""

    def register(source: PanelSource) -> PanelSource:
        _sources[key] = _Registered(order, source)
        return source

    return register


def panel_sources() -> list[PanelSource]:
    return [r.source for r in sorted(_sources.values(), key=lambda r: r.order)]
