"""The workspace dashboard's "Unacknowledged concerns" panel (R-52), for police and probation.

Concerns are listed only on cases the reader may list (the gate's `case_filter`), and each
one shown is audited as consulted, like a row of the case list.
"""

from __future__ import annotations

from sqlalchemy import case, func, select

from hub.audit import AuditEntry, record_many
from hub.cosa.models import Circle, Concern
from hub.cosa.vocabulary import Severity
from hub.gate import case_filter
from hub.models import MappaCase
from hub.vocabulary import AgencyType, AuditOperation
from hub.web.panels import Panel, PanelContext, PanelRow, dashboard_panel

READERS = frozenset({AgencyType.RA_POLICE, AgencyType.RA_PROBATION})
SHOWN = 10
TAGS = {
    Severity.URGENT: ("Urgent", "red"),
    Severity.SIGNIFICANT: ("Significant", "orange"),
    Severity.ROUTINE: ("Routine", "grey"),
}
CATEGORY_TEXT = {
    "RISK_INDICATOR": "Risk indicator",
    "POSSIBLE_BREACH": "Possible breach",
    "WELFARE": "Welfare",
    "VOLUNTEER_SAFETY": "Volunteer safety",
    "OTHER": "Other concern",
}


@dashboard_panel("concerns", order=5)  # urgent concerns come first
def unacknowledged_concerns(ctx: PanelContext) -> Panel | None:
    if ctx.reader.agency_type not in READERS:
        return None
    visible = case_filter(ctx.gate.policy, ctx.reader, "list", ctx.today)
    open_concerns = (
        select(Concern, Circle.reference)
        .join(MappaCase, MappaCase.id == Concern.case_id)
        .join(Circle, Circle.id == Concern.circle_id)
        .where(visible, Concern.acknowledged_at.is_(None))
    )
    total = ctx.session.scalar(select(func.count()).select_from(open_concerns.subquery())) or 0
    urgent_first = case((Concern.severity == Severity.URGENT, 0), else_=1)
    found = ctx.session.execute(
        open_concerns.order_by(urgent_first, Concern.raised_at.desc(), Concern.id).limit(SHOWN)
    ).all()
    rows = []
    entries = []
    for concern, reference in found:
        tag, colour = TAGS[concern.severity]
        rows.append(
            PanelRow(
                text=f"{CATEGORY_TEXT[concern.category.value]}, circle {reference}",
                href=f"/concerns/{concern.id}",
                tag=tag,
                tag_colour=colour,
                detail=f"Raised {concern.raised_at:%d %B %Y at %H:%M} UTC",
            )
        )
        entries.append(
            AuditEntry(
                operation=AuditOperation.CONSULT,
                actor=ctx.reader.actor,
                record_type="concern",
                record_ids=(str(concern.id),),
                case_id=concern.case_id,
                fields_returned=("category", "severity", "raised_at", "circle"),
                extra={"action": "list", "panel": "concerns"},
            )
        )
    if entries:
        record_many(ctx.session, entries)
    return Panel(
        key="concerns",
        title="Unacknowledged concerns",
        rows=rows,
        empty_text="No unacknowledged COSA concerns on your cases.",
        total=total if total > len(rows) else None,
    )
