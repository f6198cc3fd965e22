"""The dashboard: the workspace's home after sign-in, one panel per kind of work due.

Every registered panel source (hub/web/panels.py) is asked, in order, for the signed-in
reader; each reads through the gate, so a panel lists only cases the reader may list and
its reads are audited as the case list's are (`Gate.list_cases`, CONSULT per case shown).
The entries are committed before the page is rendered.

The panels defined here: my cases; reviews due and overdue (R-06); consent changes
(R-29). Meetings, actions, concerns and case-management rules register their own panels
from their own modules.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from flask import Blueprint, redirect, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import ColumnElement, and_, or_, select

from hub.accounts.web import current_user, login_required
from hub.app import db_session
from hub.gate import Gate, View
from hub.models import Agency, Consent, ConsentRecipient, MappaCase
from hub.web import present
from hub.web.listing import due_within, mine_clause
from hub.web.panels import Panel, PanelContext, PanelRow, dashboard_panel, panel_sources
from hub.web.reading import today, web_reader
from hub.web.workspace import chosen_purpose, purpose_required, render_page, request_gate

dashboard = Blueprint("dashboard", __name__, template_folder="templates")

SHOWN = 5  # rows per panel; the full list is one link away
PANEL_COUNT_CAP = 100
DUE_SOON_DAYS = 28
CONSENT_WINDOW_DAYS = 30


@dashboard.get("/dashboard")
@login_required
@purpose_required
def index() -> ResponseReturnValue:
    session = db_session()
    # The panels count what they list only so far: "more than 100" is all a dashboard needs,
    # and walking further costs a listed case's worth per case (bench/web.py).
    panel_gate = Gate(request_gate().policy, count_cap=PANEL_COUNT_CAP)
    context = PanelContext(session, panel_gate, web_reader(chosen_purpose()), today())
    panels = [panel for source in panel_sources() if (panel := source(context)) is not None]
    session.commit()  # every panel's CONSULT entries, then the page
    return render_page("dashboard/index.html", panels=panels)


def home_for_signed_in() -> ResponseReturnValue | None:
    """Where "/" sends a signed-in person: the dashboard (hub/web/landing.py asks)."""
    return redirect(url_for("dashboard.index")) if current_user() is not None else None


def case_row(view: View, ctx: PanelContext, detail: str | None = None) -> PanelRow:
    """A listed case as one panel row: reference, category and level, review date."""
    f = view.fields
    words = [present.reference(view.id)]
    if "category" in f:
        words.append(f"category {f['category']}")
    if "current_level" in f:
        words.append(f"level {f['current_level']}")
    due = f.get("next_review_due")
    overdue = present.review_overdue(view, ctx.today)
    soon = isinstance(due, str) and not overdue
    return PanelRow(
        text=", ".join(words),
        href=url_for("workspace.case", case_id=view.id),
        tag="Overdue" if overdue else ("Due soon" if soon else None),
        tag_colour="red" if overdue else ("yellow" if soon else None),
        detail=detail
        or (f"Review due {present.long_date(due)}" if isinstance(due, str) else "No review date"),
    )


@dataclass(frozen=True)
class Listed:
    cases: list[View]
    total: int | None  # None when every case is shown
    exact: bool


def listed(ctx: PanelContext, where: ColumnElement[bool]) -> Listed:
    page = ctx.gate.list_cases(ctx.session, ctx.reader, per_page=SHOWN, where=where)
    more = page.total if (page.total > len(page.cases) or not page.total_exact) else None
    return Listed(page.cases, more, page.total_exact)


@dashboard_panel("my-cases", order=10)
def my_cases(ctx: PanelContext) -> Panel:
    found = listed(ctx, mine_clause(ctx.reader.actor, ctx.today))
    return Panel(
        key="my-cases",
        title="My cases",
        rows=[case_row(v, ctx) for v in found.cases],
        empty_text="You are not named on any case you may see.",
        more_href=url_for("workspace.cases", mine="yes"),
        total=found.total,
        total_exact=found.exact,
    )


@dashboard_panel("reviews-due", order=20)
def reviews_due(ctx: PanelContext) -> Panel:
    """R-06: reviews overdue and those falling due in the next four weeks, soonest first."""
    found = listed(ctx, due_within(ctx.today, DUE_SOON_DAYS))
    return Panel(
        key="reviews-due",
        title="Reviews due and overdue",
        rows=[case_row(v, ctx) for v in found.cases],
        empty_text="No reviews are due in the next four weeks among the cases you may see.",
        more_href=url_for("workspace.overdue_reviews"),
        total=found.total,
        total_exact=found.exact,
    )


@dashboard_panel("consent-changes", order=45)
def consent_changes(ctx: PanelContext) -> Panel:
    """R-29: consents withdrawn or expired in the last 30 days, where the reader's agency is
    the controller or a recipient, on cases the reader may list."""
    now = datetime.combine(ctx.today, time.max, tzinfo=UTC)
    since = now - timedelta(days=CONSENT_WINDOW_DAYS)
    agency = ctx.reader.actor.agency_id
    changed = or_(
        and_(Consent.withdrawn_at > since, Consent.withdrawn_at <= now),
        and_(Consent.expires_at > since, Consent.expires_at <= now),
    )
    concerns_reader = or_(
        Consent.controller_agency_id == agency,
        Consent.id.in_(
            select(ConsentRecipient.consent_id).where(ConsentRecipient.agency_id == agency)
        ),
    )
    consents = select(Consent.subject_person_id).where(changed, concerns_reader)
    found = listed(ctx, MappaCase.person_id.in_(consents))
    rows = []
    for view in found.cases:
        event = _latest_change(ctx, view, changed, concerns_reader)
        rows.append(case_row(view, ctx, detail=event))
    return Panel(
        key="consent-changes",
        title="Consent changes",
        rows=rows,
        empty_text="No consent your agency gives or receives under was withdrawn or expired in "
        "the last 30 days.",
        total=found.total,
        total_exact=found.exact,
    )


def _latest_change(
    ctx: PanelContext, view: View, changed: ColumnElement[bool], concerns: ColumnElement[bool]
) -> str:
    person = select(MappaCase.person_id).where(MappaCase.id == view.id).scalar_subquery()
    found = ctx.session.execute(
        select(Consent.withdrawn_at, Consent.expires_at, Agency.name)
        .join(Agency, Agency.id == Consent.controller_agency_id)
        .where(Consent.subject_person_id == person, changed, concerns)
        .order_by(Consent.updated_at.desc())
        .limit(1)
    ).first()
    if found is None:
        return "Consent changed"
    withdrawn, expires, controller = found
    if withdrawn is not None:
        return f"Consent withdrawn {present.long_date(withdrawn.isoformat())} ({controller})"
    when = present.long_date(expires.isoformat()) if expires is not None else "recently"
    return f"Consent expired {when} ({controller})"
