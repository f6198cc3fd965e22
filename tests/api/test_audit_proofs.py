"""/api/v1/audit: anyone with the public key checks the log through the API (issue 3 §4)."""

from __future__ import annotations

import base64

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from hub.audit.checkpoint import Checkpoint, generate_signing_key, make_keyring, verify_checkpoint
from hub.audit.checkpoints import write_checkpoint
from hub.audit.merkle import verify_consistency, verify_inclusion
from hub.demo.agencies import DemoOrganisation
from tests.api.conftest import TokenFor
from tests.helpers import new_case

ORIGIN = "hub.test/audit"


def _get(client: FlaskClient, path: str, token: str) -> dict[str, object]:
    response = client.get(path, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.json
    body = response.json
    assert isinstance(body, dict)
    return body


def _b(value: object) -> bytes:
    assert isinstance(value, str)
    return base64.b64decode(value)


def test_an_entry_is_proved_in_the_signed_log_and_the_log_only_grew(
    client: FlaskClient, session: Session, org: DemoOrganisation, token_for: TokenFor
) -> None:
    signer = generate_signing_key()
    keyring = make_keyring([signer.public_key()])
    new_case(session, org)
    first = write_checkpoint(session, signer, ORIGIN)
    new_case(session, org)
    second = write_checkpoint(session, signer, ORIGIN)
    assert first is not None
    assert second is not None
    session.commit()
    token = token_for(scopes="audit:read")

    latest = _get(client, "/api/v1/audit/checkpoints/latest", token)
    head = Checkpoint.from_dict(latest)
    assert head.tree_size == second.tree_size
    assert verify_checkpoint(head, keyring)  # signed by the key we hold, not the hub's word

    seq = first.tree_size - 1
    proof = _get(client, f"/api/v1/audit/entries/{seq}/proof", token)
    path = proof["path"]
    assert isinstance(path, list)
    assert len(b"".join(_b(p) for p in path)) <= 1024  # issue 3: a proof of 1 KB or less
    assert verify_inclusion(
        _b(proof["leaf_hash"]), seq, head.tree_size, [_b(p) for p in path], head.root_hash
    )

    grew = _get(
        client, f"/api/v1/audit/consistency?old={first.tree_size}&new={second.tree_size}", token
    )
    old = Checkpoint.from_dict(grew["old"])  # type: ignore[arg-type]
    steps = grew["path"]
    assert isinstance(steps, list)
    assert verify_consistency(
        old.tree_size, head.tree_size, old.root_hash, head.root_hash, [_b(p) for p in steps]
    )


def test_proofs_refuse_what_no_checkpoint_covers_and_need_the_audit_scope(
    client: FlaskClient, session: Session, org: DemoOrganisation, token_for: TokenFor
) -> None:
    signer = generate_signing_key()
    new_case(session, org)
    head = write_checkpoint(session, signer, ORIGIN)
    assert head is not None
    session.commit()
    token = token_for(scopes="audit:read")
    headers = {"Authorization": f"Bearer {token}"}
    beyond = client.get(f"/api/v1/audit/entries/{head.tree_size + 5}/proof", headers=headers)
    assert beyond.status_code == 404
    assert beyond.content_type == "application/problem+json"
    nowhere = client.get(f"/api/v1/audit/consistency?old=1&new={head.tree_size}", headers=headers)
    assert nowhere.status_code == 422
    assert nowhere.json["errors"][0]["field"] == "old"
    reader = token_for(scopes="cases:read")
    refused = client.get(
        "/api/v1/audit/checkpoints/latest", headers={"Authorization": f"Bearer {reader}"}
    )
    assert refused.status_code == 403
