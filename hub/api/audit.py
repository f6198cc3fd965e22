"""/api/v1/audit: signed checkpoints and proofs, so a partner can check the log itself.

Proofs carry hashes only, never an entry's content: anyone holding the hub's public key can
check that an entry is in the log and that the log only ever grew, without trusting the hub.
"""

from __future__ import annotations

import base64
from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE, Schema, fields, validate

from hub.api.schemas import Problem
from hub.app import db_session
from hub.audit.checkpoints import latest_checkpoint
from hub.audit.proofs import PROOFS, as_checkpoint
from hub.errors import NotFound
from hub.oauth.resource import require_token

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
