"""Signing-key rotation, introspection (RFC 7662) and revocation (RFC 7009) rules."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from joserfc import jws
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from hub.db import utcnow
from hub.oauth import signing
from hub.oauth.model import SigningKey, SigningKeyStatus
from hub.oauth.runtime import runtime
from tests.oauth.conftest import Register, call


def _kid(token: str) -> str:
    return str(jws.extract_compact(token.encode()).headers()["kid"])


def test_a_token_signed_by_a_retired_key_verifies_until_its_key_is_dropped(
    app: Flask,
    api: FlaskClient,
    client: FlaskClient,
    register: Register,
    token_for: Callable[..., str],
    session: Session,
) -> None:
    registered = register()
    old_token = token_for(registered)
    old_kid = _kid(old_token)
    new_kid = signing.rotate(session).kid
    session.commit()

    new_token = token_for(registered)
    assert _kid(new_token) == new_kid != old_kid
    assert {k["kid"] for k in client.get("/oauth/jwks").json["keys"]} == {old_kid, new_kid}
    assert call(api, old_token).status_code == 200  # signed before rotation, still good
    assert call(api, new_token).status_code == 200

    # Once every token the old key signed has expired, the key leaves the JWKS and the hub.
    session.execute(
        update(SigningKey)
        .where(SigningKey.kid == old_kid)
        .values(retired_at=utcnow() - signing.RETENTION - timedelta(seconds=1))
    )
    session.commit()
    runtime(app).state.invalidate()
    assert [k["kid"] for k in client.get("/oauth/jwks").json["keys"]] == [new_kid]
    assert call(api, old_token).status_code == 401
    signing.rotate(session)  # the next rotation deletes it, sealed private key and all
    assert session.get(SigningKey, old_kid) is None
    statuses = session.scalars(select(SigningKey.status)).all()
    assert statuses.count(SigningKeyStatus.ACTIVE) == 1


def test_the_private_signing_key_is_sealed_in_the_database(
    register: Register, session: Session
) -> None:
    register()
    row = session.scalars(select(SigningKey)).first()
    assert row is not None
    assert "PRIVATE KEY" not in row.private_key_sealed
    assert '"d"' not in row.public_jwk


def test_introspection_needs_an_authenticated_client(
    client: FlaskClient, register: Register, token_for: Callable[..., str]
) -> None:
    token = token_for(register())
    response = client.post("/oauth/introspect", data={"token": token})
    assert response.status_code == 401
    assert response.json["error"] == "invalid_client"


def test_introspection_of_a_good_token(
    client: FlaskClient, register: Register, token_for: Callable[..., str]
) -> None:
    registered = register()
    token = token_for(registered)
    body = client.post("/oauth/introspect", data={"token": token}, headers=registered.basic()).json
    assert body["active"] is True
    assert body["client_id"] == registered.client_id
    assert body["scope"] == "cases:read items:read"


def test_introspection_of_an_unknown_token_or_another_agencys_is_inactive(
    client: FlaskClient, register: Register, token_for: Callable[..., str]
) -> None:
    police, probation = register(), register(agency="DEMO-PRB")
    for token in ("not-a-token", "a.b.c", token_for(police)):
        body = client.post(
            "/oauth/introspect", data={"token": token}, headers=probation.basic()
        ).json
        assert body == {"active": False}


def test_revocation_of_an_unknown_token_is_200_and_of_anothers_is_refused(
    client: FlaskClient, register: Register, token_for: Callable[..., str]
) -> None:
    mine, theirs = register(), register()
    unknown = client.post("/oauth/revoke", data={"token": "junk"}, headers=mine.basic())
    assert unknown.status_code == 200
    other = client.post("/oauth/revoke", data={"token": token_for(theirs)}, headers=mine.basic())
    assert other.status_code == 400
    assert other.json["error"] == "invalid_grant"
    no_auth = client.post("/oauth/revoke", data={"token": token_for(mine)})
    assert no_auth.json["error"] == "invalid_client"
