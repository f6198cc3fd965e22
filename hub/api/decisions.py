"""/api/v1/public-interest-decisions: a health body's system records a clinician's decision.

A decision is a person's (R-30: a HEALTH_DISCLOSER of the owning health agency, never a MAPPA
chair), so the system names who made it (`decided_by`) and the service checks that person,
not the system. A refusal is audited as DENY and that entry is committed before the 403.
"""

from __future__ import annotations

import dataclasses
import uuid
from typing import Any

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE, Schema, fields, validate

from hub.actor import Actor
from hub.api.idempotency import idempotent
from hub.api.schemas import Problem, Strict
from hub.app import db_session
from hub.consent.public_interest import DecisionInput, decisions_for, record_decision
from hub.db import utcnow
from hub.errors import InvalidInput
from hub.models import User
from hub.oauth.resource import require_token, token_actor

decisions = Blueprint(
    "public_interest_decisions",
    __name__,
    description="Public-interest decisions to share health information (R-30, R-31)",
)


class DecisionCreate(Strict):
    subject_person_id = fields.UUID(required=True)
    decided_by = fields.UUID(
        required=True, metadata={"description": "the clinician or Caldicott Guardian deciding"}
    )
    item_ids = fields.List(fields.UUID(), required=True, validate=validate.Length(min=1))
    recipient_agency_ids = fields.List(
        fields.UUID(), required=True, validate=validate.Length(min=1)
    )
    risk_described = fields.String(required=True, validate=validate.Length(10, 4000))
    information_scope = fields.String(required=True, validate=validate.Length(1, 4000))
    reasoning = fields.String(required=True, validate=validate.Length(10, 10_000))
    review_by = fields.AwareDateTime(required=True)
    patient_informed = fields.Boolean(required=True)
    reason_not_informed = fields.String(load_default=None, validate=validate.Length(max=2000))


class DecisionWritten(Schema):
    id = fields.UUID(required=True)
    version = fields.Integer(required=True)


class DecisionSummary(Schema):
    id = fields.UUID(required=True)
    state = fields.String(required=True)
    controller_agency_id = fields.UUID(required=True)
    item_ids = fields.List(fields.UUID(), required=True)
    recipient_agency_ids = fields.List(fields.UUID(), required=True)
    decided_at = fields.DateTime(required=True)
    review_by = fields.DateTime(required=True)


class DecisionList(Schema):
    decisions = fields.List(fields.Nested(DecisionSummary), required=True)


def _deciding(session: Any, decided_by: uuid.UUID) -> Actor:
    """The calling system acting for the named member of its own agency's staff."""
    system = token_actor()
    person = session.get(User, decided_by)
    if person is None or person.agency_id != system.agency_id:
        raise InvalidInput("decided_by", "must be a member of the calling agency's staff")
    return dataclasses.replace(system, user_id=person.id, roles=person.roles)


@decisions.route("/public-interest-decisions")
class Decisions(MethodView):
    @require_token("consent:write")
    @decisions.arguments(DecisionCreate, unknown=RAISE)
    @decisions.response(201, DecisionWritten)
    @decisions.alt_response(403, schema=Problem, description="R-30: not a health discloser")
    def post(self, body: dict[str, Any]) -> Response:
        """Record a public-interest decision made by a named discloser of the calling agency."""

        def write() -> tuple[int, dict[str, Any], str | None]:
            session = db_session()
            actor = _deciding(session, body.pop("decided_by"))
            decision = record_decision(session, actor, DecisionInput(**body))
            return 201, {"id": str(decision.id), "version": decision.version}, None

        return idempotent(write)


@decisions.route("/persons/<uuid:person_id>/public-interest-decisions")
class PersonDecisions(MethodView):
    @require_token("consent:write")
    @decisions.response(200, DecisionList)
    def get(self, person_id: uuid.UUID) -> dict[str, Any]:
        """A person's decisions the calling agency made or receives (audited)."""
        session = db_session()
        found = decisions_for(session, token_actor(), person_id)
        session.commit()  # the CONSULT entry first
        now = utcnow()
        return {
            "decisions": [
                {
                    "id": d.id,
                    "state": "ACTIVE" if d.active_at(now) else "LAPSED",
                    "controller_agency_id": d.controller_agency_id,
                    "item_ids": [i.item_id for i in d.items],
                    "recipient_agency_ids": [r.agency_id for r in d.recipients],
                    "decided_at": d.decided_at,
                    "review_by": d.review_by,
                }
                for d in found
            ]
        }
