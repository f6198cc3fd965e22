"""/api/v1/persons/{id} and the records held about a person, and a case's change history:
read-only, every record through the gate (hub/gate/subject.py says what decides each).

As for cases, the CONSULT / DENY entries are committed before the answer is serialised, and
a person the agency may not reach answers exactly as a missing one (404).
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from datetime import datetime
from typing import Any

from flask import Response, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE, Schema, fields, validate

from hub.api.idempotency import etag
from hub.api.reading import JUSTIFICATION, api_reader, gate
from hub.api.schemas import Problem, RecordView, Strict, view_document
from hub.app import db_session
from hub.errors import InvalidInput, NotFound
from hub.gate.gate import MAX_PER_PAGE
from hub.gate.subject import read_case_changes, read_held, read_person
from hub.models import Person
from hub.oauth.resource import require_token

persons = Blueprint(
    "persons",
    __name__,
    description="Persons, the records held about them and a case's change history, "
    "as the policy lets the calling agency see them",
)

_MISSING = "no such person, or none this agency may see"


class PageArgs(Strict):
    limit = fields.Integer(
        load_default=50,
        validate=validate.Range(1, MAX_PER_PAGE),
        metadata={"description": "records per page"},
    )
    cursor = fields.String(
        load_default=None,
        validate=validate.Length(max=200),
        metadata={"description": "next_cursor of the previous page; omit for the first"},
    )


class PersonRead(RecordView):
    """A person as the calling agency may see them; the ETag header carries its version."""


class HeldList(Schema):
    records = fields.List(fields.Nested(RecordView), required=True)


class ChangeList(Schema):
    changes = fields.List(fields.Nested(RecordView), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


@persons.route("/persons/<uuid:person_id>")
class PersonView(MethodView):
    @persons.response(200, PersonRead)
    @persons.alt_response(404, schema=Problem, description=_MISSING)
    @require_token("cases:read")
    def get(self, person_id: uuid.UUID) -> Response:
        """A person, redacted for this agency as in a read of their case."""
        session = db_session()
        reader = api_reader(request.headers.get(JUSTIFICATION))
        try:
            view, _standing = read_person(gate(), session, reader, person_id)
        finally:
            session.commit()  # the CONSULT or DENY entries, before any data leaves
        version = session.get_one(Person, person_id).version
        response = Response(
            json.dumps(PersonRead().dump(view_document(view))),
            status=200,
            mimetype="application/json",
        )
        response.headers["ETag"] = etag(version)
        return response


def _held(kind: str, person_id: uuid.UUID) -> dict[str, Any]:
    session = db_session()
    reader = api_reader(request.headers.get(JUSTIFICATION))
    try:
        views = read_held(gate(), session, reader, person_id, kind)
    except NotFound:
        session.commit()  # the DENY entry stays: probing shows in the trail
        raise
    session.commit()
    return {"records": [view_document(v) for v in views]}


@persons.route("/persons/<uuid:person_id>/risk-assessments")
class RiskAssessments(MethodView):
    @persons.response(200, HeldList)
    @persons.alt_response(404, schema=Problem, description=_MISSING)
    @require_token("cases:read")
    def get(self, person_id: uuid.UUID) -> dict[str, Any]:
        """Risk assessments with their tool and algorithm version (R-42, R-43), newest first."""
        return _held("risk_assessment", person_id)


@persons.route("/persons/<uuid:person_id>/orders")
class Orders(MethodView):
    @persons.response(200, HeldList)
    @persons.alt_response(404, schema=Problem, description=_MISSING)
    @require_token("cases:read")
    def get(self, person_id: uuid.UUID) -> dict[str, Any]:
        """Civil orders with their prohibitions, newest first."""
        return _held("civil_order", person_id)


@persons.route("/persons/<uuid:person_id>/notification-requirements")
class NotificationRequirements(MethodView):
    @persons.response(200, HeldList)
    @persons.alt_response(404, schema=Problem, description=_MISSING)
    @require_token("cases:read")
    def get(self, person_id: uuid.UUID) -> dict[str, Any]:
        """Notification requirements with their events, newest first."""
        return _held("notification_requirement", person_id)


@persons.route("/cases/<uuid:case_id>/changes")
class CaseChanges(MethodView):
    @require_token("cases:read")
    @persons.arguments(PageArgs, location="query", as_kwargs=True, unknown=RAISE)
    @persons.response(200, ChangeList)
    @persons.alt_response(404, schema=Problem, description="no such case, or none it may see")
    @persons.alt_response(422, schema=Problem, description="a bad limit or cursor")
    def get(self, case_id: uuid.UUID, limit: int, cursor: str | None) -> dict[str, Any]:
        """A case's level, category, status and lead changes with their reasons, oldest first."""
        after = _decode(cursor) if cursor is not None else None
        session = db_session()
        reader = api_reader(request.headers.get(JUSTIFICATION))
        try:
            views, following = read_case_changes(
                gate(), session, reader, case_id, limit=limit, after=after
            )
        except NotFound:
            session.commit()
            raise
        session.commit()
        return {
            "changes": [view_document(v) for v in views],
            "next_cursor": _encode(following) if following else None,
        }


def _encode(position: tuple[datetime, uuid.UUID]) -> str:
    raw = json.dumps({"t": position[0].isoformat(), "i": str(position[1])}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        data = json.loads(base64.urlsafe_b64decode((cursor + "=" * (-len(cursor) % 4)).encode()))
        moment = datetime.fromisoformat(data["t"])
        if moment.tzinfo is None:
            raise ValueError("naive")
        return moment, uuid.UUID(data["i"])
    except (binascii.Error, ValueError, KeyError, TypeError, UnicodeDecodeError):
        raise InvalidInput("cursor", "not a cursor this API gave out") from None
