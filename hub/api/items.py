"""/api/v1/cases/{id}/items and /api/v1/items/{id}: items created by their owning agency,
edited only by it (R-14, with If-Match), annotated by the agencies working the case.

Every write is decided by the policy first (hub/gate/writes.py): a refused write changes
nothing and is audited as DENY. Responses to writes carry ids and versions only, never content.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Response, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE
from sqlalchemy.orm import Session

from hub.api.idempotency import etag, idempotent
from hub.api.problems import problem
from hub.api.reading import JUSTIFICATION, api_reader, gate
from hub.api.schemas import (
    Annotation,
    ItemCreate,
    ItemEdit,
    ItemRead,
    Problem,
    Written,
    view_document,
)
from hub.app import db_session
from hub.errors import Conflict, InvalidInput, NotFound
from hub.gate.writes import (
    WriteRefused,
    WriteTarget,
    authorise,
    case_for_write,
    item_for_write,
    read_item,
)
from hub.models import InformationItem
from hub.oauth.resource import require_token
from hub.services.items import ItemInput, annotate_item, edit_item, record_item

items = Blueprint("items", __name__, description="Information items and their annotations")


class PreconditionRequired(Exception):
    """An edit without If-Match: lost updates are refused, not risked."""


@contextmanager
def deny_is_kept(session: Session) -> Iterator[None]:
    """Commit a refusal's DENY entry (the only change pending at that point) before answering."""
    try:
        yield
    except (WriteRefused, NotFound):
        session.commit()
        raise


@items.route("/cases/<uuid:case_id>/items")
class CaseItems(MethodView):
    @require_token("items:write")
    @items.arguments(ItemCreate, unknown=RAISE)
    @items.response(201, Written)
    @items.alt_response(403, schema=Problem, description="the policy refuses the write")
    @items.alt_response(404, schema=Problem, description="no such case, or none it may see")
    def post(self, body: dict[str, Any], case_id: uuid.UUID) -> Response:
        """Record an item on a case; the calling agency owns it (R-14)."""

        def write() -> tuple[int, dict[str, Any], str | None]:
            session = db_session()
            reader = api_reader(request.headers.get(JUSTIFICATION))
            the_gate = gate()
            with deny_is_kept(session):
                case = case_for_write(the_gate, session, reader, case_id)
                target = WriteTarget(case, category=body["category"])
                authorise(the_gate, session, reader, "create", target)
            item = record_item(session, reader.actor, ItemInput(case_id=case.id, **body))
            document = {"id": str(item.id), "case_id": str(case.id), "version": item.version}
            return 201, document, f"/api/v1/items/{item.id}"

        return idempotent(write)


@items.route("/items/<uuid:item_id>")
class Item(MethodView):
    @require_token("items:read")
    @items.response(200, ItemRead)
    @items.alt_response(404, schema=Problem, description="no such item, or none it may see")
    def get(self, item_id: uuid.UUID) -> Response:
        """One item, redacted for this agency; its ETag is what an edit sends as If-Match."""
        session = db_session()
        reader = api_reader(request.headers.get(JUSTIFICATION))
        try:
            view = read_item(gate(), session, reader, item_id)
        finally:
            session.commit()  # the CONSULT or DENY entry, before any data leaves
        version = session.get_one(InformationItem, item_id).version
        return _json(200, {**ItemRead().dump(view_document(view)), "version": version})

    @require_token("items:write")
    @items.arguments(ItemEdit, unknown=RAISE)
    @items.response(200, Written)
    @items.alt_response(412, schema=Problem, description="the item changed since that ETag")
    @items.alt_response(428, schema=Problem, description="If-Match is required")
    def patch(self, body: dict[str, Any], item_id: uuid.UUID) -> Response:
        """Edit the calling agency's own item (R-14); send the ETag you read as If-Match."""
        expected = _if_match()
        session = db_session()
        reader = api_reader(request.headers.get(JUSTIFICATION))
        the_gate = gate()
        with deny_is_kept(session):
            case, item = item_for_write(the_gate, session, reader, item_id)
            authorise(the_gate, session, reader, "edit", WriteTarget(case, item))
        try:
            edited = edit_item(session, reader.actor, item_id, body, expected_version=expected)
        except Conflict as exc:
            session.rollback()
            return problem(412, "precondition-failed", str(exc))
        session.commit()
        return _json(
            200, {"id": str(edited.id), "case_id": str(case.id), "version": edited.version}
        )


@items.route("/items/<uuid:item_id>/annotations")
class ItemAnnotations(MethodView):
    @require_token("items:write")
    @items.arguments(Annotation, unknown=RAISE)
    @items.response(201, Written)
    @items.alt_response(403, schema=Problem, description="the policy refuses the annotation")
    def post(self, body: dict[str, Any], item_id: uuid.UUID) -> Response:
        """Annotate an item of a case the calling agency works (R-14: annotate, not alter)."""

        def write() -> tuple[int, dict[str, Any], str | None]:
            session = db_session()
            reader = api_reader(request.headers.get(JUSTIFICATION))
            the_gate = gate()
            with deny_is_kept(session):
                case, item = item_for_write(the_gate, session, reader, item_id)
                authorise(the_gate, session, reader, "annotate", WriteTarget(case, item))
            note = annotate_item(session, reader.actor, item.id, body["text"])
            ids = {"id": str(note.id), "item_id": str(item.id), "case_id": str(case.id)}
            return 201, ids, None

        return idempotent(write)


def _if_match() -> int:
    raw = request.headers.get("If-Match")
    if raw is None:
        raise PreconditionRequired("send the item's ETag as If-Match")
    value = raw.strip().removeprefix("W/")
    if not (value.startswith('"v') and value.endswith('"') and value[2:-1].isdigit()):
        raise InvalidInput("headers.If-Match", "send the ETag the item was read with")
    return int(value[2:-1])


def _json(status: int, document: dict[str, Any]) -> Response:
    response = Response(json.dumps(document), status=status, mimetype="application/json")
    if "version" in document:
        response.headers["ETag"] = etag(int(document["version"]))
    return response
