"""/api/v1/audit: signed checkpoints and proofs, so a partner can check the log itself, and
who-accessed reports (R-22).

Proofs carry hashes only, never an entry's content: anyone holding the hub's public key can
check that an entry is in the log and that the log only ever grew, without trusting the hub.
"""

from __future__ import annotations

import base64
import uuid
from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE, Schema, fields, validate
from sqlalchemy.orm import Session

from hub.actor import Actor
from hub.api.schemas import Problem
from hub.app import db_session
from hub.audit import AuditEntry, record
from hub.audit.checkpoints import latest_checkpoint
from hub.audit.proofs import PROOFS, as_checkpoint
from hub.audit.reports import AccessRow, accesses_to_agency_items, accesses_to_subject
from hub.consent.public_interest import AuditedRefusal
from hub.errors import InvalidInput, NotFound
from hub.oauth.resource import require_token, token_actor
from hub.vocabulary import AuditOperation, Role

audit = Blueprint("audit", __name__, description="Signed checkpoints and Merkle proofs (RFC 9162)")


class CheckpointDoc(Schema):
    origin = fields.String(required=True)
    tree_size = fields.Integer(required=True)
    root_hash = fields.String(required=True, metadata={"description": "base64"})
    timestamp = fields.String(required=True)
    key_id = fields.String(required=True)
    signature = fields.String(required=True, metadata={"description": "base64 Ed25519"})


class InclusionDoc(Schema):
    seq = fields.Integer(required=True)
    leaf_hash = fields.String(required=True)
    path = fields.List(fields.String(), required=True)
    checkpoint = fields.Nested(CheckpointDoc, required=True)


class ConsistencyArgs(Schema):
    class Meta:
        unknown = RAISE

    # Tree sizes fit a signed 64-bit column; anything larger is a caller's mistake, not a
    # number for the database driver to overflow on.
    old = fields.Integer(required=True, validate=validate.Range(min=0, max=2**62))
    new = fields.Integer(required=True, validate=validate.Range(min=0, max=2**62))


class ConsistencyDoc(Schema):
    old = fields.Nested(CheckpointDoc, required=True)
    new = fields.Nested(CheckpointDoc, required=True)
    path = fields.List(fields.String(), required=True)


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


@audit.route("/checkpoints/latest")
class LatestCheckpoint(MethodView):
    @require_token("audit:read")
    @audit.response(200, CheckpointDoc)
    @audit.alt_response(404, schema=Problem, description="no checkpoint signed yet")
    def get(self) -> dict[str, Any]:
        """The newest signed tree head."""
        row = latest_checkpoint(db_session())
        if row is None:
            raise NotFound("no checkpoint has been signed yet")
        return as_checkpoint(row).to_dict()


@audit.route("/entries/<int:seq>/proof")
class EntryProof(MethodView):
    @require_token("audit:read")
    @audit.response(200, InclusionDoc)
    @audit.alt_response(404, schema=Problem, description="no such entry under a checkpoint")
    def get(self, seq: int) -> dict[str, Any]:
        """Inclusion proof of entry `seq` in the newest checkpoint."""
        if seq > 2**62:
            raise NotFound("checkpointed entry")
        proof = PROOFS.inclusion(db_session(), seq)
        return {
            "seq": proof.seq,
            "leaf_hash": _b64(proof.leaf_hash),
            "path": [_b64(node) for node in proof.path],
            "checkpoint": proof.checkpoint.to_dict(),
        }


@audit.route("/consistency")
class Consistency(MethodView):
    @require_token("audit:read")
    @audit.arguments(ConsistencyArgs, location="query", as_kwargs=True, unknown=RAISE)
    @audit.response(200, ConsistencyDoc)
    @audit.alt_response(422, schema=Problem, description="no checkpoint at that size")
    def get(self, old: int, new: int) -> dict[str, Any]:
        """Proof that the checkpoint at size `new` extends the one at size `old`."""
        proof = PROOFS.consistency(db_session(), old, new)
        return {
            "old": proof.old.to_dict(),
            "new": proof.new.to_dict(),
            "path": [_b64(node) for node in proof.path],
        }


# -- who accessed (DPA 2018 s.62; R-22) ---------------------------------------------------
#
# each agency sees its own trail, and the AUDITOR role sees all of it. So an agency's
# system asks who, in other agencies, consulted or was given the items its agency owns; and
# only a person holding AUDITOR (through their own token, the authorization code grant) asks
# who accessed a person or a case. Reading a report is itself a consultation, and audited.

_REPORT_FIELDS = ("time", "operation", "actor", "purpose", "fields_returned", "recipients")


class _Paging(Schema):
    after = fields.Integer(
        load_default=-1,
        validate=validate.Range(min=-1, max=2**62),
        metadata={"description": "the last `seq` of the previous page"},
    )
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=500))


class SubjectAccessArgs(_Paging):
    class Meta:
        unknown = RAISE

    person = fields.UUID(load_default=None, metadata={"description": "the subject person"})
    case = fields.UUID(load_default=None, metadata={"description": "the MAPPA case"})


class OwnItemAccessArgs(_Paging):
    class Meta:
        unknown = RAISE

    item = fields.UUID(load_default=None, metadata={"description": "one owned item only"})


class AccessDoc(Schema):
    seq = fields.Integer(required=True)
    time = fields.String(required=True)
    operation = fields.String(required=True)
    agency = fields.String(required=True)
    user = fields.String(allow_none=True, required=True)
    roles = fields.List(fields.String(), required=True)
    client = fields.String(allow_none=True, required=True)
    on_behalf_of = fields.String(allow_none=True, required=True)
    purpose = fields.String(allow_none=True, required=True)
    case = fields.String(allow_none=True, required=True)
    record_type = fields.String(required=True)
    record_ids = fields.List(fields.String(), required=True)
    fields_returned = fields.List(fields.String(), required=True)
    fields_withheld = fields.List(fields.String(), required=True)
    recipients = fields.List(fields.String(), required=True)
    outcome = fields.String(allow_none=True, required=True)


class AccessPage(Schema):
    accesses = fields.List(fields.Nested(AccessDoc), required=True)
    next_after = fields.Integer(
        allow_none=True, required=True, metadata={"description": "pass as `after`; null: done"}
    )


@audit.route("/accesses")
class SubjectAccesses(MethodView):
    @require_token("audit:read")
    @audit.arguments(SubjectAccessArgs, location="query", as_kwargs=True, unknown=RAISE)
    @audit.response(200, AccessPage)
    @audit.alt_response(403, schema=Problem, description="not an auditor (R-22)")
    @audit.alt_response(422, schema=Problem, description="neither person nor case given")
    def get(
        self, person: uuid.UUID | None, case: uuid.UUID | None, after: int, limit: int
    ) -> dict[str, Any]:
        """Every consultation, disclosure, refusal and break-glass about a person or a case.

        For people holding the AUDITOR role, through their own token (R-22).
        """
        actor = token_actor()
        if person is None and case is None:
            raise InvalidInput("person", "give a person, a case or both")
        session = db_session()
        if Role.AUDITOR not in actor.roles:
            _report_read(session, actor, AuditOperation.DENY, person, case, None)
            raise AuditedRefusal(
                "R-22", "roles", "only the AUDITOR role reads another agency's trail"
            )
        rows = accesses_to_subject(session, person_id=person, case_id=case)
        _report_read(session, actor, AuditOperation.CONSULT, person, case, None)
        session.commit()
        return _page(rows, after, limit)


@audit.route("/accesses/own-items")
class OwnItemAccesses(MethodView):
    @require_token("audit:read")
    @audit.arguments(OwnItemAccessArgs, location="query", as_kwargs=True, unknown=RAISE)
    @audit.response(200, AccessPage)
    def get(self, item: uuid.UUID | None, after: int, limit: int) -> dict[str, Any]:
        """Who in other agencies consulted, or was given, the items your agency owns.

        An item your agency does not own gives an empty page, exactly as one nobody read.
        """
        actor = token_actor()
        session = db_session()
        found = accesses_to_agency_items(session, actor.agency_id, None if item is None else [item])
        _report_read(session, actor, AuditOperation.CONSULT, None, None, item)
        session.commit()
        return _page([r.access for r in found], after, limit)


def _report_read(
    session: Session,
    actor: Actor,
    operation: AuditOperation,
    person: uuid.UUID | None,
    case: uuid.UUID | None,
    item: uuid.UUID | None,
) -> None:
    record(
        session,
        AuditEntry(
            operation=operation,
            actor=actor,
            record_type="audit_report",
            record_ids=tuple(str(i) for i in (person, case, item) if i),
            subject_person_id=person,
            case_id=case,
            fields_returned=_REPORT_FIELDS if operation is AuditOperation.CONSULT else (),
            outcome="R-22" if operation is AuditOperation.DENY else None,
        ),
    )


def _page(rows: list[AccessRow], after: int, limit: int) -> dict[str, Any]:
    later = [r for r in rows if r.seq > after]
    shown = later[:limit]
    return {
        "accesses": [_access_doc(r) for r in shown],
        "next_after": shown[-1].seq if len(later) > limit else None,
    }


def _access_doc(row: AccessRow) -> dict[str, Any]:
    return {
        "seq": row.seq,
        "time": row.time.isoformat(),
        "operation": row.operation.value,
        "agency": str(row.actor_agency_id),
        "user": None if row.actor_user_id is None else str(row.actor_user_id),
        "roles": list(row.actor_roles),
        "client": row.actor_client,
        "on_behalf_of": row.actor_on_behalf_of,
        "purpose": row.purpose,
        "case": None if row.case_id is None else str(row.case_id),
        "record_type": row.record_type,
        "record_ids": list(row.record_ids),
        "fields_returned": list(row.fields_returned),
        "fields_withheld": list(row.fields_withheld),
        "recipients": list(row.recipients),
        "outcome": row.outcome,
    }
