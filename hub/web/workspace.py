"""The chairs' and coordinators' workspace: case list, case page, overdue reviews.

Thin: each page takes the signed-in person and their stated purpose, reads through the gate,
commits the gate's audit entries, and only then renders. A hidden case and a missing one
are the same 404 page (design.md §2).
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit

from flask import Blueprint, current_app, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from hub.accounts.web import login_required
from hub.app import db_session
from hub.errors import NotFound
from hub.gate import Gate
from hub.vocabulary import Purpose
from hub.web import present
from hub.web.listing import agency_choices, parse_filters
from hub.web.purpose import LABELS, remember, stated_purpose
from hub.web.reading import gate, today, web_reader

F = TypeVar("F", bound=Callable[..., ResponseReturnValue])

workspace = Blueprint("workspace", __name__, template_folder="templates")
PER_PAGE = 50
CHOOSE_PURPOSE = "Select why you are using the hub"


@workspace.app_context_processor
def _layout_helpers() -> dict[str, Any]:
    return {"area": current_app.config["HUB_SETTINGS"].mappa_area}


def purpose_required(view: F) -> F:
    """No purpose, no data: a page that reads asks for one first, then comes back."""

    @functools.wraps(view)
    def asked(*args: Any, **kwargs: Any) -> ResponseReturnValue:
        if stated_purpose() is None:
            return redirect(url_for("workspace.purpose", next=request.full_path.rstrip("?")))
        # The policy set in force is fetched before the page opens its own transaction: on
        # SQLite every transaction takes the write lock (hub/db.py), and the store records a
        # newly loaded set in a session of its own, which would wait on the page's lock.
        g.hub_gate = gate()
        return view(*args, **kwargs)

    return cast(F, asked)


@workspace.route("/purpose", methods=["GET", "POST"])
@login_required
def purpose() -> ResponseReturnValue:
    back = _local_path(request.values.get("next")) or url_for("dashboard.index")
    if request.method == "GET":
        return _render("workspace/purpose.html", chosen=stated_purpose(), back=back)
    chosen = request.form.get("purpose", "")
    if chosen not in Purpose.__members__:
        errors = [("purpose", CHOOSE_PURPOSE)]
        return _render("workspace/purpose.html", chosen=None, back=back, errors=errors), 400
    response = redirect(back, code=303)
    remember(response, Purpose(chosen))
    return response


@workspace.get("/cases")
@login_required
@purpose_required
def cases() -> ResponseReturnValue:
    """The cases the reader may list, narrowed by the filters and reference search, in SQL."""
    number = _page_number()
    session = db_session()
    filters, errors = parse_filters(session, request.args)
    choices = agency_choices(session)
    if errors:  # nothing read: the form comes back with what was typed and what is wrong
        return (
            _render(
                "workspace/cases.html",
                page=None,
                filters=filters,
                given=request.args,
                choices=choices,
                errors=errors,
            ),
            400,
        )
    reader = web_reader(_purpose())
    now = today()
    page = request_gate().list_cases(
        session,
        reader,
        page=number,
        per_page=PER_PAGE,
        where=filters.clause(reader.actor, now) if filters.any else None,
    )
    session.commit()  # the CONSULT entries first, then the page
    if number > 1 and not page.cases:
        return _not_found()
    return _render(
        "workspace/cases.html",
        page=page,
        filters=filters,
        given=request.args,
        choices=choices,
        agencies=present.agency_names(session, page.cases),
        today=now,
    )


@workspace.get("/cases/<case_id>")
@login_required
@purpose_required
def case(case_id: str) -> ResponseReturnValue:
    try:
        wanted = uuid.UUID(case_id)
    except ValueError:
        return _not_found()  # not even an id: the same page as a hidden case
    session = db_session()
    try:
        view = request_gate().read_case(session, web_reader(_purpose()), wanted)
    except NotFound:
        session.commit()  # the DENY entry stays: probing shows in the trail
        return _not_found()
    session.commit()
    agencies = present.agency_names(session, [view.case, *view.items])
    return _render(
        "workspace/case.html",
        view=view,
        sections=present.sections(view.items),
        agencies=agencies,
        overdue=present.review_overdue(view.case, today()),
        tab="case",
    )


@workspace.get("/reviews/overdue")
@login_required
@purpose_required
def overdue_reviews() -> ResponseReturnValue:
    """R-06, scenario 3: the cases whose review date has passed, among those listable.

    Filtered in the database (`due_before`), so only the overdue cases are listed, and only
    they are audited as consulted.
    """
    number = _page_number()
    session = db_session()
    now = today()
    reader = web_reader(_purpose())
    page = request_gate().list_cases(
        session, reader, page=number, per_page=PER_PAGE, due_before=now
    )
    session.commit()
    late = page.cases
    more = page.following is not None
    return _render(
        "workspace/overdue.html",
        cases=late,
        number=number,
        more=more,
        agencies=present.agency_names(session, late),
        today=now,
    )


def request_gate() -> Gate:
    """The gate of this request (taken by `purpose_required` before any transaction)."""
    found: Gate | None = g.get("hub_gate")
    return found if found is not None else gate()


def case_id_from(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None  # not even an id: answered as a hidden case is


def _purpose() -> Purpose:
    chosen = stated_purpose()
    if chosen is None:  # purpose_required runs first; this keeps the types honest
        raise PermissionError("no purpose of use")
    return chosen


def _page_number() -> int:
    given = request.args.get("page", "1")
    return int(given) if given.isdigit() and 0 < int(given) <= 10_000 else 1


def _not_found() -> ResponseReturnValue:
    return _render("workspace/not_found.html"), 404


def _render(template: str, **context: Any) -> str:
    context.setdefault("errors", [])
    return render_template(
        template, purpose=stated_purpose(), purposes=LABELS, present=present, **context
    )


def _local_path(value: str | None) -> str | None:
    """A path on this hub to return to; anything else is dropped (no open redirect)."""
    if not value or len(value) > 500 or not value.startswith("/") or value.startswith("//"):
        return None
    parts = urlsplit(value)
    return None if parts.scheme or parts.netloc or "\\" in value else value


# The sibling pages of a case (hub/web/case_tabs.py) and the dashboard answer the same way.
chosen_purpose = _purpose
not_found_page = _not_found
render_page = _render
