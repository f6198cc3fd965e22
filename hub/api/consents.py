"""/api/v1/consents: a health body's system records and withdraws the consents it holds.

The services (hub/consent/) check everything (controller only, known categories, agencies
and purposes, R-29 on withdrawal) and audit it; these views only carry it over HTTP. Answers
carry ids, states and counts, never the sealed notes.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE, Schema, fields, validate

from hub.api.idempotency import idempotent
from hub.api.schemas import Problem, Strict, _one_of
from hub.app import db_session
from hub.consent.records import ConsentInput, consents_for, record_consent, withdraw_consent
from hub.db import utcnow
from hub.models import Consent
from hub.oauth.resource import require_token, token_actor
from hub.vocabulary import Category, ConsentMethod, Purpose

consents = Blueprint(
    "consents", __name__, description="Consents held by health bodies (R-28, R-29)"
)


class ConsentCreate(Strict):
    subject_person_id = fields.UUID(required=True)
    categories = fields.List(
        fields.String(validate=_one_of(Category)), required=True, validate=validate.Length(min=1)
    )
    recipient_agency_ids = fields.List(
        fields.UUID(), required=True, validate=validate.Length(min=1)
    )
    purposes = fields.List(
        fields.String(validate=_one_of(Purpose)), required=True, validate=validate.Length(min=1)
    )
    method = fields.String(required=True, validate=_one_of(ConsentMethod))
    given_at = fields.AwareDateTime(load_default=None)
    expires_at = fields.AwareDateTime(load_default=None)
    capacity_note = fields.String(load_default=None, validate=validate.Length(max=2000))
    recorded_by = fields.UUID(
        required=True, metadata={"description": "the controller's staff member who took it"}
    )


class Withdrawal(Strict):
    reason = fields.String(required=True, validate=validate.Length(1, 2000))
    withdrawn_by = fields.UUID(required=True)
    withdrawn_at = fields.AwareDateTime(load_default=None)


class ConsentSummary(Schema):
    id = fields.UUID(required=True)
    version = fields.Integer(required=True)
    state = fields.String(required=True)
    categories = fields.List(fields.String(), required=True)
    purposes = fields.List(fields.String(), required=True)
    recipient_agency_ids = fields.List(fields.UUID(), required=True)
    controller_agency_id = fields.UUID(required=True)
    given_at = fields.DateTime(required=True)
    expires_at = fields.DateTime(allow_none=True, required=True)
    withdrawn_at = fields.DateTime(allow_none=True, required=True)


class ConsentWritten(Schema):
    id = fields.UUID(required=True)
    version = fields.Integer(required=True)


class ConsentList(Schema):
    consents = fields.List(fields.Nested(ConsentSummary), required=True)


class WithdrawalResult(Schema):
    id = fields.UUID(required=True)
    version = fields.Integer(required=True)
    recipients_notified = fields.Integer(required=True)
    items_flagged = fields.Integer(required=True)
    review_task_id = fields.UUID(required=True)


def _summary(consent: Consent, now: datetime) -> dict[str, Any]:
    return {
        "id": consent.id,
        "version": consent.version,
        "state": consent.state_at(now),
        "categories": [c.value for c in consent.categories],
        "purposes": [p.value for p in consent.purposes],
        "recipient_agency_ids": [r.agency_id for r in consent.recipients],
        "controller_agency_id": consent.controller_agency_id,
        "given_at": consent.given_at,
        "expires_at": consent.expires_at,
        "withdrawn_at": consent.withdrawn_at,
    }


@consents.route("/consents")
class Consents(MethodView):
    @require_token("consent:write")
    @consents.arguments(ConsentCreate, unknown=RAISE)
    @consents.response(201, ConsentWritten)
    @consents.alt_response(422, schema=Problem, description="a field the services refuse")
    def post(self, body: dict[str, Any]) -> Response:
        """Record a consent the calling agency, as controller, holds from the person."""

        def write() -> tuple[int, dict[str, Any], str | None]:
            session = db_session()
            consent = record_consent(session, token_actor(), ConsentInput(**body))
            document = {"id": str(consent.id), "version": consent.version}
            return 201, document, f"/api/v1/consents/{consent.id}"

        return idempotent(write)


@consents.route("/consents/<uuid:consent_id>/withdrawal")
class ConsentWithdrawal(MethodView):
    @require_token("consent:write")
    @consents.arguments(Withdrawal, unknown=RAISE)
    @consents.response(200, WithdrawalResult)
    @consents.alt_response(404, schema=Problem, description="no such consent")
    def post(self, body: dict[str, Any], consent_id: uuid.UUID) -> Response:
        """Withdraw a consent (R-29): sharing on it stops at once; recipients are told."""

        def write() -> tuple[int, dict[str, Any], str | None]:
            session = db_session()
            effects = withdraw_consent(
                session,
                token_actor(),
                consent_id,
                body["reason"],
                withdrawn_at=body["withdrawn_at"],
                withdrawn_by=body["withdrawn_by"],
            )
            document = {
                "id": str(effects.consent.id),
                "version": effects.consent.version,
                "recipients_notified": len(effects.notices),
                "items_flagged": len(effects.flags),
                "review_task_id": str(effects.review.id),
            }
            return 200, document, None

        return idempotent(write)


@consents.route("/persons/<uuid:person_id>/consents")
class PersonConsents(MethodView):
    @require_token("consent:write")
    @consents.response(200, ConsentList)
    def get(self, person_id: uuid.UUID) -> dict[str, Any]:
        """A person's consents that the calling agency holds or is a recipient of (audited)."""
        session = db_session()
        found = consents_for(session, token_actor(), person_id)
        session.commit()  # the CONSULT entry first
        now = utcnow()
        return {"consents": [_summary(c, now) for c in found]}
