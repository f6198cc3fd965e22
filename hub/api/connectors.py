"""POST /api/v1/connectors/{name}/messages: an agency system pushes one message to the hub.

The push path of the one ingest pipeline (hub/ingest/pipeline.py, docs/connectors/): the
message is validated and mapped by the named connector and stored with its COLLECT audit
entries and its receipt in one transaction. Only when that transaction has committed does the
hub answer 202 with the receipt id, so a 202 always means "stored"; anything else (a dropped
connection, a 5xx, a crash) means "send it again with the same Idempotency-Key".

The key is required, not optional as on other POSTs: a sender that retries after a timeout
cannot otherwise tell the hub it is the same message. The receipt table's unique indexes
(agency, connector, key) and (agency, connector, source reference) make a re-send, even a
concurrent one, answer with the first receipt instead of writing twice.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from typing import Any

from flask import Response, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from connectors.base import MAX_MESSAGE_BYTES
from connectors.registry import UnknownConnector, connector
from hub.api.problems import problem
from hub.api.schemas import Problem
from hub.app import db_session
from hub.errors import NotFound
from hub.ingest.models import IngestReceipt
from hub.ingest.pipeline import ACCEPTED, REJECTED, WrongSender, check_sender, ingest
from hub.oauth.resource import require_token, token_actor
from hub.vocabulary import Purpose, Role

pushes = Blueprint("connectors", __name__, description="Agency systems push their messages")

IDEMPOTENCY_KEY = "Idempotency-Key"
_KEY = re.compile(r"^[\x21-\x7e]{1,200}$")
_KEY_FIELD = f"headers.{IDEMPOTENCY_KEY}"


class PushReceipt(Schema):
    receipt_id = fields.UUID(required=True, metadata={"description": "keep it: proof of receipt"})
    status = fields.String(
        required=True,
        metadata={"description": "ACCEPTED, or DUPLICATE: the hub already held this message"},
    )
    message_type = fields.String(required=True)
    source_reference = fields.String(required=True)
    held_for_review = fields.Boolean(
        required=True, metadata={"description": "R-56: the person is held as a possible duplicate"}
    )


_BODY = {
    "required": True,
    "description": "One message in the connector's own format; its JSON Schemas are published "
    "under schemas/connectors/{name}/ (docs/connectors/).",
    "content": {"application/json": {"schema": {"type": "object"}}},
}
_KEY_PARAMETER = {
    "name": IDEMPOTENCY_KEY,
    "in": "header",
    "required": True,
    "description": "1 to 200 printable characters, unique per message: a retry sends the same.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 200},
}


@pushes.route("/connectors/<string:name>/messages")
class ConnectorMessages(MethodView):
    @require_token("ingest:write")
    @pushes.doc(requestBody=_BODY, parameters=[_KEY_PARAMETER])
    @pushes.response(202, PushReceipt)
    @pushes.alt_response(400, schema=Problem, description="no or a malformed Idempotency-Key")
    @pushes.alt_response(403, schema=Problem, description="the agency may not send this way")
    @pushes.alt_response(404, schema=Problem, description="no connector of that name")
    @pushes.alt_response(413, schema=Problem, description="larger than any message")
    @pushes.alt_response(
        422, schema=Problem, description="invalid: `errors` names every failing field"
    )
    def post(self, name: str) -> Response:
        """Push one message through the named connector; 202 once it is stored."""
        key = request.headers.get(IDEMPOTENCY_KEY)
        if key is None or not _KEY.match(key):
            detail = "missing" if key is None else "1 to 200 printable characters, no spaces"
            return problem(
                400,
                "idempotency-key-required",
                f"{IDEMPOTENCY_KEY}: {detail}",
                errors=[{"field": _KEY_FIELD, "detail": detail}],
            )
        try:
            found = connector(name)
        except UnknownConnector:
            raise NotFound("no connector of that name") from None
        if (request.content_length or 0) > MAX_MESSAGE_BYTES:
            # Refused unread: the connector would refuse it too, after buffering all of it.
            return problem(413, "too-large", f"a message is at most {MAX_MESSAGE_BYTES} bytes")
        raw = request.get_data(cache=False)
        session = db_session()
        actor = dataclasses.replace(
            token_actor(),
            roles=frozenset({Role.SYSTEM_API_CLIENT}),
            # Ingest stores the sender's own records; the purpose is the hub's only one.
            purpose=Purpose.RISK_MANAGEMENT.value,
        )
        try:
            check_sender(session, actor, found)
        except WrongSender as exc:
            return problem(403, "wrong-sender", str(exc))
        # Alone: this request's transaction has only read so far (the sender's agency type).
        outcome = ingest(session, actor, found, raw, idempotency_key=key, alone=True)
        if outcome.status == REJECTED:
            session.commit()  # the dead letter, kept for inspection and replay
            errors = [{"field": p.field, "detail": p.problem} for p in outcome.problems]
            first = errors[0] if errors else {"field": "message", "detail": "rejected"}
            return problem(
                422, "invalid-message", f"{first['field']}: {first['detail']}", errors=errors
            )
        if outcome.status != ACCEPTED:
            receipt = session.get_one(IngestReceipt, outcome.receipt_id)
            if receipt.idempotency_key == key and receipt.digest != hashlib.sha256(raw).digest():
                session.rollback()
                return problem(
                    422,
                    "idempotency-key-reused",
                    f"{IDEMPOTENCY_KEY} was already used for a different message",
                    errors=[{"field": _KEY_FIELD, "detail": "reused with a different message"}],
                )
        session.commit()  # the records, their COLLECT entries and the receipt: now accepted
        body: dict[str, Any] = {
            "receipt_id": str(outcome.receipt_id),
            "status": outcome.status,
            "message_type": outcome.message_type,
            "source_reference": outcome.source_reference,
            "held_for_review": outcome.held_for_review,
        }
        response = Response(json.dumps(body), status=202, mimetype="application/json")
        if outcome.status != ACCEPTED:
            response.headers["Idempotent-Replayed"] = "true"
        return response
