"""The token endpoint: what it issues, to whom, and every refusal with its OAuth error."""

from __future__ import annotations

import time

import pytest
from flask import Flask
from flask.testing import FlaskClient
from joserfc import jwt
from joserfc.jwk import KeySet
from sqlalchemy.orm import Session

from hub.demo.agencies import DemoOrganisation
from hub.oauth.clients import disable_client
from tests.helpers import savepoint_sessions
from tests.oauth.conftest import (
    ISSUER,
    Register,
    assertion,
    assertion_form,
    audit_entries,
    client_key,
)

CLIENT_CREDENTIALS = {"grant_type": "client_credentials"}


def test_a_client_secret_basic_client_gets_an_rfc9068_access_token(
    client: FlaskClient, register: Register, session: Session, org: DemoOrganisation
) -> None:
    registered = register(scopes="cases:read items:read audit:read")
    response = client.post(
        "/oauth/token",
        data={**CLIENT_CREDENTIALS, "scope": "cases:read"},
        headers=registered.basic(),
    )
    assert response.status_code == 200, response.json
    assert response.headers["Cache-Control"] == "no-store"
    body = response.json
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 600
    assert "refresh_token" not in body

    keys = KeySet.import_key_set(client.get("/oauth/jwks").json)
    token = jwt.decode(body["access_token"], keys, algorithms=["ES256"])
    assert token.header["typ"] == "at+jwt"
    assert token.header["kid"] in {k.kid for k in keys}
    claims = token.claims
    assert claims["iss"] == ISSUER
    assert claims["aud"] == ISSUER + "/api"
    assert claims["sub"] == claims["client_id"] == registered.client_id
    assert claims["scope"] == "cases:read"
    assert claims["agency"] == str(org.agencies["DEMO-POL"].id)
    assert 0 < claims["exp"] - claims["iat"] <= 600
    assert abs(claims["iat"] - time.time()) < 5
    assert len(claims["jti"]) >= 16

    issued = audit_entries(session, "LOGIN")[-1]
    assert issued["record_type"] == "oauth_client"
    assert issued["record_ids"] == [registered.client_id]
    assert issued["extra"]["jti"] == claims["jti"]
    assert body["access_token"] not in str(issued)


def test_no_scope_asked_gives_every_scope_the_client_has(
    client: FlaskClient, register: Register
) -> None:
    registered = register(scopes="cases:read consent:write")
    response = client.post("/oauth/token", data=CLIENT_CREDENTIALS, headers=registered.basic())
    assert response.json["scope"] == "cases:read consent:write"


def test_a_scope_the_client_was_not_registered_for_is_invalid_scope(
    client: FlaskClient, register: Register
) -> None:
    registered = register(scopes="cases:read")
    response = client.post(
        "/oauth/token",
        data={**CLIENT_CREDENTIALS, "scope": "cases:write"},
        headers=registered.basic(),
    )
    assert response.status_code == 400
    assert response.json["error"] == "invalid_scope"


def test_a_bad_client_secret_is_invalid_client_and_audited_without_the_secret(
    client: FlaskClient, register: Register, session: Session
) -> None:
    registered = register()
    wrong = registered.__class__(registered.client_id, "not-the-secret")
    response = client.post("/oauth/token", data=CLIENT_CREDENTIALS, headers=wrong.basic())
    assert response.status_code == 401
    assert response.json["error"] == "invalid_client"
    refused = audit_entries(session, "LOGIN_FAILED")[-1]
    assert refused["outcome"] == "invalid_client"
    assert refused["record_ids"] == [registered.client_id]
    assert "not-the-secret" not in str(refused)


def test_an_unknown_client_is_invalid_client_and_its_claimed_id_is_not_recorded(
    client: FlaskClient, session: Session
) -> None:
    stranger = {"Authorization": "Basic " + "bm9ib2R5OnNlY3JldA=="}  # nobody:secret
    response = client.post("/oauth/token", data=CLIENT_CREDENTIALS, headers=stranger)
    assert response.json["error"] == "invalid_client"
    refused = audit_entries(session, "LOGIN_FAILED")[-1]
    assert refused["record_ids"] == []
    assert "nobody" not in str(refused)


def test_the_password_grant_is_unsupported(client: FlaskClient, register: Register) -> None:
    registered = register()
    response = client.post(
        "/oauth/token",
        data={"grant_type": "password", "username": "alice", "password": "pw"},
        headers=registered.basic(),
    )
    assert response.status_code == 400
    assert response.json["error"] == "unsupported_grant_type"


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_the_implicit_grant_is_unsupported(
    client: FlaskClient, register: Register, method: str
) -> None:
    registered = register()
    query = {"response_type": "token", "client_id": registered.client_id}
    response = client.open("/oauth/authorize", method=method, query_string=query)
    assert response.status_code == 400
    # Shown to the person on a page (RFC 6749 §4.1.2.1), never redirected to an unchecked URI.
    assert "unsupported_response_type" in response.get_data(as_text=True)
    assert "Location" not in response.headers


def test_a_disabled_client_gets_no_token(
    client: FlaskClient, register: Register, session: Session
) -> None:
    registered = register()
    disable_client(session, registered.client_id)
    session.commit()
    response = client.post("/oauth/token", data=CLIENT_CREDENTIALS, headers=registered.basic())
    assert response.status_code == 401
    assert response.json["error"] == "invalid_client"


def test_a_private_key_jwt_client_gets_a_token(client: FlaskClient, register: Register) -> None:
    registered = register("private_key_jwt")
    response = client.post("/oauth/token", data=assertion_form(assertion(registered)))
    assert response.status_code == 200, response.json
    assert response.json["scope"] == "cases:read items:read"


def test_a_reused_client_assertion_jti_is_refused(client: FlaskClient, register: Register) -> None:
    registered = register("private_key_jwt")
    signed = assertion(registered, jti="once-only")
    assert client.post("/oauth/token", data=assertion_form(signed)).status_code == 200
    replay = client.post("/oauth/token", data=assertion_form(signed))
    assert replay.status_code == 400
    assert replay.json["error"] == "invalid_client"
    # The same jti in a fresh assertion is refused too: the id, not the bytes, is spent.
    again = client.post("/oauth/token", data=assertion_form(assertion(registered, jti="once-only")))
    assert again.json["error"] == "invalid_client"


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"aud": "https://elsewhere.test/oauth/token"}, "another server's audience"),
        ({"lifetime": -120}, "expired"),
        ({"lifetime": 7200}, "lifetime too long to remember its jti"),
        ({"key": client_key()}, "signed with a key the client did not register"),
    ],
)
def test_a_bad_client_assertion_is_invalid_client(
    client: FlaskClient, register: Register, change: dict[str, object], why: str
) -> None:
    registered = register("private_key_jwt")
    response = client.post("/oauth/token", data=assertion_form(assertion(registered, **change)))  # type: ignore[arg-type]
    assert response.json["error"] == "invalid_client", why


def test_a_private_key_jwt_client_cannot_fall_back_to_a_secret(
    client: FlaskClient, register: Register
) -> None:
    keyed = register("private_key_jwt")
    response = client.post(
        "/oauth/token",
        data=CLIENT_CREDENTIALS,
        headers=keyed.__class__(keyed.client_id, "x").basic(),
    )
    assert response.json["error"] == "invalid_client"


def test_the_token_lifetime_setting_is_honoured(
    app: Flask, register: Register, session: Session
) -> None:
    from dataclasses import replace

    from hub import create_app

    factory = savepoint_sessions(session)
    short = create_app(
        replace(app.config["HUB_SETTINGS"], token_lifetime_seconds=120), session_factory=factory
    )
    registered = register()
    body = (
        short.test_client()
        .post("/oauth/token", data=CLIENT_CREDENTIALS, headers=registered.basic())
        .json
    )
    claims = jwt.decode(
        body["access_token"], KeySet.import_key_set(short.test_client().get("/oauth/jwks").json)
    ).claims
    assert body["expires_in"] == 120
    assert claims["exp"] - claims["iat"] == 120


def test_metadata_describes_the_server(client: FlaskClient) -> None:
    document = client.get("/.well-known/oauth-authorization-server").json
    assert document["issuer"] == ISSUER
    assert document["token_endpoint"] == ISSUER + "/oauth/token"
    assert document["grant_types_supported"] == ["client_credentials", "authorization_code"]
    assert document["response_types_supported"] == ["code"]  # no implicit "token"
    assert document["code_challenge_methods_supported"] == ["S256"]  # no "plain"
    assert "password" not in str(document)
    assert {"cases:read", "cases:write", "items:read", "items:write"} <= set(
        document["scopes_supported"]
    )
    assert client.get("/.well-known/jwks.json").json == client.get("/oauth/jwks").json
