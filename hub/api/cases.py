"""/api/v1/cases: the cases a partner system may see, through the gate.

The gate writes the CONSULT (or DENY) entries in the request's transaction; the view is
serialised only after that transaction commits, so no data leaves without its audit entry.
A refused read commits its DENY too, then answers exactly as a missing case does.
"""

from __future__ import annotations

import uuid
from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE

from hub.api import cursor
from hub.api.reading import JUSTIFICATION, api_reader, gate
from hub.api.schemas import CaseList, CaseListArgs, CaseRead, Problem, view_document
from hub.app import db_session
from hub.errors import NotFound
from hub.oauth.resource import require_token

cases = Blueprint(
    "cases", __name__, description="MAPPA cases, as the policy lets the calling agency see them"
)


# The token is checked before anything else about the request: an unauthenticated caller
# learns nothing, not even which of its arguments were wrong.
@cases.route("")
class Cases(MethodView):
    @require_token("cases:read")
    @cases.arguments(CaseListArgs, location="query", as_kwargs=True, unknown=RAISE)
    @cases.response(200, CaseList)
    @cases.alt_response(422, schema=Problem, description="a bad limit or cursor")
    def get(self, limit: int, cursor: str | None) -> dict[str, Any]:
        """List the cases this agency may see, soonest review first."""
        from flask import request

        after = _position(cursor)
        reader = api_reader(request.headers.get(JUSTIFICATION))
        page = gate().list_cases(db_session(), reader, per_page=limit, after=after)
        db_session().commit()  # the CONSULT entries first, then the data
        return {
            "cases": [view_document(v) for v in page.cases],
            "total": page.total,
            "total_exact": page.total_exact,
            "next_cursor": _cursor(page.following),
        }


@cases.route("/<uuid:case_id>")
class Case(MethodView):
    @cases.response(200, CaseRead)
    @cases.alt_response(
        404, schema=Problem, description="no such case, or none this agency may see"
    )
    @require_token("cases:read")
    def get(self, case_id: uuid.UUID) -> dict[str, Any]:
        """One case with its person and items, redacted for this agency."""
        from flask import request

        reader = api_reader(request.headers.get(JUSTIFICATION))
        session = db_session()
        try:
            view = gate().read_case(session, reader, case_id)
        except NotFound:
            session.commit()  # the DENY entry stays: probing shows in the trail
            raise
        session.commit()
        return {
            "case": view_document(view.case),
            "person": view_document(view.person) if view.person else None,
            "items": [view_document(v) for v in view.items],
        }


def _position(value: str | None) -> Any:
    return cursor.decode(value) if value is not None else None


def _cursor(position: Any) -> str | None:
    return cursor.encode(position) if position is not None else None
