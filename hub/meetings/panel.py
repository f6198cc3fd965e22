"""The dashboard's "Overdue actions" panel: open actions past their due date, escalated to
chairs and coordinators, on cases the reader may list (filtered in SQL by the gate's clause,
then each case decided and audited by the gate as a case list is).
"""

from __future__ import annotations

from flask import url_for

from hub.gate import case_filter
from hub.meetings.actions import overdue_actions
from hub.meetings.common import ORGANISERS
from hub.meetings.models import MeetingCaseItem
from hub.meetings.reading import listed_cases
from hub.models import Agency
from hub.web.panels import Panel, PanelContext, PanelRow, dashboard_panel

SHOWN = 10


@dashboard_panel("overdue-actions", order=30)
def overdue_actions_panel(ctx: PanelContext) -> Panel | None:
    if not ctx.reader.actor.has_any_role(*ORGANISERS):
        return None  # escalation goes to the chairs and coordinators
    visible = case_filter(ctx.gate.policy, ctx.reader, "list", ctx.today)
    actions, total = overdue_actions(ctx.session, visible=visible, today=ctx.today, limit=SHOWN)
    # The gate decides each case shown, as it does for every case list, and audits it.
    shown = listed_cases(ctx.gate, ctx.session, ctx.reader, sorted({a.case_id for a in actions}))
    rows = []
    for action in (a for a in actions if a.case_id in shown):
        item = ctx.session.get_one(MeetingCaseItem, action.item_id)
        agency = ctx.session.get(Agency, action.owner_agency_id)
        days = (ctx.today - action.due_date).days
        owner = agency.name if agency else "an agency"
        late = f"{days} day" if days == 1 else f"{days} days"
        rows.append(
            PanelRow(
                text=f"Case {action.case_id.hex[:8].upper()}: action for {owner}",
                href=url_for("meetings.minutes_page", meeting_id=item.meeting_id, item_id=item.id),
                tag="Overdue",
                tag_colour="red",
                detail=f"Due {action.due_date:%d %B %Y} ({late} late)",
            )
        )
    return Panel(
        key="overdue-actions",
        title="Overdue actions",
        rows=rows,
        empty_text="No actions are overdue on your cases.",
        total=total if total > len(rows) else None,
    )
