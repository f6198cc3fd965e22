"""The resource-server check API views will use: every way a token can be refused, with its
RFC 6750 error and an RFC 9457 body, and the actor a good token yields."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from joserfc import jwt
from joserfc.jwk import ECKey
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from hub.demo.agencies import DemoOrganisation
from hub.oauth.clients import disable_client
from hub.oauth.resource import require_token
from hub.oauth.runtime import runtime
from tests.oauth.conftest import Register, call

Call = Callable[..., TestResponse]


def hub_signed(
    app: Flask,
    session: Session,
    good: str,
    header: dict[str, Any] | None = None,
    key: ECKey | None = None,
    **claims: Any,
) -> str:
    """A token signed with the hub's own key (or `key`), from a good one with claims changed."""
    original = json.loads(base64.urlsafe_b64decode(good.split(".")[1] + "=="))
    with app.test_request_context():
        kid, hub_key = runtime(app).active_key.get(session)
    return jwt.encode(
        {"alg": "ES256", "typ": "at+jwt", "kid": kid, **(header or {})},
        {**original, **claims},
        key or hub_key,
        algorithms=["ES256"],
    )


def refused(response: TestResponse, status: int, error: str | None) -> str:
    assert response.status_code == status, response.data
    assert response.mimetype == "application/problem+json"
    problem = response.json
    assert problem["status"] == status
    assert problem["detail"]
    challenge = response.headers["WWW-Authenticate"]
    assert challenge.startswith('Bearer realm="mappa-hub"')
    if error is None:
        assert "error=" not in challenge
    else:
        assert f'error="{error}"' in challenge
    return str(challenge)


def test_a_good_token_yields_the_client_agency_and_stated_purpose(
    api: FlaskClient, register: Register, token_for: Callable[..., str], org: DemoOrganisation
) -> None:
    registered = register()
    response = call(
        api,
        token_for(registered),
        **{"Hub-On-Behalf-Of": "pc.jones", "Hub-Purpose": "risk_management"},
    )
    assert response.status_code == 200
    assert response.json == {
        "agency": str(org.agencies["DEMO-POL"].id),
        "client": registered.client_id,
        "on_behalf_of": "pc.jones",
        "purpose": "RISK_MANAGEMENT",
    }


def test_no_token_is_401_with_a_bare_challenge(api: FlaskClient) -> None:
    refused(call(api, None), 401, None)


def test_a_token_in_the_url_is_refused(
    api: FlaskClient, register: Register, token_for: Callable[..., str]
) -> None:
    response = api.get("/api/v1/probe", query_string={"access_token": token_for(register())})
    refused(response, 400, "invalid_request")


def test_a_malformed_purpose_header_is_named(
    api: FlaskClient, register: Register, token_for: Callable[..., str]
) -> None:
    response = call(api, token_for(register()), **{"Hub-Purpose": "see everything!"})
    refused(response, 400, "invalid_request")
    assert "Hub-Purpose" in response.json["detail"]


def test_a_token_without_the_scope_is_insufficient_scope(
    api: FlaskClient, register: Register, token_for: Callable[..., str]
) -> None:
    registered = register(scopes="items:read")
    challenge = refused(call(api, token_for(registered)), 403, "insufficient_scope")
    assert 'scope="cases:read"' in challenge


def test_a_tampered_token_is_invalid(
    api: FlaskClient, register: Register, token_for: Callable[..., str]
) -> None:
    header, payload, signature = token_for(register()).split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["scope"] = "cases:read cases:write audit:read"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    refused(call(api, f"{header}.{forged}.{signature}"), 401, "invalid_token")


def test_a_token_signed_with_a_wrong_key_is_invalid(
    app: Flask,
    api: FlaskClient,
    register: Register,
    token_for: Callable[..., str],
    session: Session,
) -> None:
    impostor = ECKey.generate_key("P-256", private=True)
    forged = hub_signed(app, session, token_for(register()), key=impostor)  # right kid, wrong key
    refused(call(api, forged), 401, "invalid_token")
    unknown_kid = hub_signed(
        app, session, token_for(register()), header={"kid": "nope"}, key=impostor
    )
    refused(call(api, unknown_kid), 401, "invalid_token")


def test_a_token_for_another_audience_is_invalid(
    app: Flask,
    api: FlaskClient,
    register: Register,
    token_for: Callable[..., str],
    session: Session,
) -> None:
    other = hub_signed(app, session, token_for(register()), aud="https://elsewhere.test/api")
    challenge = refused(call(api, other), 401, "invalid_token")
    assert "audience" in challenge


def test_a_token_from_another_issuer_is_invalid(
    app: Flask,
    api: FlaskClient,
    register: Register,
    token_for: Callable[..., str],
    session: Session,
) -> None:
    other = hub_signed(app, session, token_for(register()), iss="https://evil.test")
    refused(call(api, other), 401, "invalid_token")


def test_an_expired_token_is_invalid(
    app: Flask,
    api: FlaskClient,
    register: Register,
    token_for: Callable[..., str],
    session: Session,
) -> None:
    now = int(time.time())
    expired = hub_signed(app, session, token_for(register()), iat=now - 700, exp=now - 100)
    challenge = refused(call(api, expired), 401, "invalid_token")
    assert "expired" in challenge


def test_a_token_that_is_not_an_access_token_is_invalid(
    app: Flask,
    api: FlaskClient,
    register: Register,
    token_for: Callable[..., str],
    session: Session,
) -> None:
    id_token_like = hub_signed(app, session, token_for(register()), header={"typ": "JWT"})
    refused(call(api, id_token_like), 401, "invalid_token")


def test_alg_none_is_invalid(
    api: FlaskClient, register: Register, token_for: Callable[..., str]
) -> None:
    _, payload, _ = token_for(register()).split(".")
    none_header = base64.urlsafe_b64encode(b'{"alg":"none","typ":"at+jwt"}').rstrip(b"=").decode()
    refused(call(api, f"{none_header}.{payload}."), 401, "invalid_token")


def test_a_revoked_token_is_invalid_at_once_in_the_revoking_worker(
    api: FlaskClient, client: FlaskClient, register: Register, token_for: Callable[..., str]
) -> None:
    registered = register()
    token = token_for(registered)
    assert call(api, token).status_code == 200
    revoked = client.post("/oauth/revoke", data={"token": token}, headers=registered.basic())
    assert revoked.status_code == 200
    challenge = refused(call(api, token), 401, "invalid_token")
    assert "revoked" in challenge
    introspected = client.post(
        "/oauth/introspect", data={"token": token}, headers=registered.basic()
    )
    assert introspected.json == {"active": False}


def test_a_disabled_clients_token_stops_working_within_the_state_interval(
    app: Flask,
    api: FlaskClient,
    register: Register,
    token_for: Callable[..., str],
    session: Session,
) -> None:
    registered = register()
    token = token_for(registered)
    assert call(api, token).status_code == 200  # the state is now cached
    disable_client(session, registered.client_id)
    session.commit()
    interval = app.config["HUB_SETTINGS"].oauth_state_seconds
    deadline = time.monotonic() + interval + 1
    while call(api, token).status_code == 200:
        assert time.monotonic() < deadline, "a disabled client's token still works"
        time.sleep(0.1)
    refused(call(api, token), 401, "invalid_token")


def test_an_unknown_scope_in_a_decorator_fails_at_import() -> None:
    with pytest.raises(ValueError, match="cases:raed"):
        require_token("cases:raed")


def test_problem_bodies_never_echo_the_token(
    app: Flask,
    api: FlaskClient,
    register: Register,
    token_for: Callable[..., str],
    session: Session,
) -> None:
    now = int(time.time())
    expired = hub_signed(app, session, token_for(register()), exp=now - 100)
    response = call(api, expired)
    assert expired not in response.get_data(as_text=True)
    assert expired.split(".")[1] not in response.headers["WWW-Authenticate"]
