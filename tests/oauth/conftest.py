"""An app with the OAuth server on the test's own transaction, and registered clients."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask, jsonify
from flask.testing import FlaskClient
from joserfc.jwk import ECKey
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from hub import create_app
from hub.demo.agencies import DemoOrganisation
from hub.oauth.clients import create_client
from hub.oauth.resource import require_token, token_actor
from hub.settings import Settings
from tests.helpers import savepoint_sessions

ISSUER = "https://hub.test"
TOKEN_URL = ISSUER + "/oauth/token"


@dataclass(frozen=True)
class Registered:
    client_id: str
    secret: str | None = None
    key: ECKey | None = None  # the client's private key, for private_key_jwt

    def basic(self) -> dict[str, str]:
        pair = f"{self.client_id}:{self.secret}".encode()
        return {"Authorization": "Basic " + base64.b64encode(pair).decode()}


Register = Callable[..., Registered]


@pytest.fixture
def app(session: Session, database_url: str, org: DemoOrganisation) -> Flask:
    factory = savepoint_sessions(session)
    settings = Settings(
        database_url=database_url,
        environment="test",
        oauth_issuer=ISSUER,
        oauth_state_seconds=1,
    )
    return create_app(settings, session_factory=factory)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def client_key() -> ECKey:
    return ECKey.generate_key("P-256", private=True, auto_kid=True)


def public_jwks(key: ECKey) -> str:
    return json.dumps({"keys": [key.as_dict(private=False)]})


@pytest.fixture
def register(session: Session, org: DemoOrganisation) -> Register:
    def make(
        method: str = "client_secret_basic",
        scopes: str = "cases:read items:read",
        agency: str = "DEMO-POL",
    ) -> Registered:
        key = client_key() if method == "private_key_jwt" else None
        made = create_client(
            session,
            agency_code=agency,
            name="test system",
            auth_method=method,
            scopes=scopes,
            jwks=public_jwks(key) if key else None,
        )
        session.commit()
        return Registered(made.client.client_id, made.secret, key)

    return make


def assertion(
    registered: Registered,
    *,
    aud: str = TOKEN_URL,
    jti: str | None = None,
    lifetime: int = 60,
    key: ECKey | None = None,
) -> str:
    """A private_key_jwt client assertion (RFC 7523 §3), built by hand to vary each claim."""
    import time
    import uuid

    from joserfc import jwt

    now = int(time.time())
    claims = {
        "iss": registered.client_id,
        "sub": registered.client_id,
        "aud": aud,
        "jti": jti or uuid.uuid4().hex,
        "iat": now,
        "exp": now + lifetime,
    }
    signer = key or registered.key
    assert signer is not None
    return jwt.encode({"alg": "ES256", "kid": signer.kid}, claims, signer, algorithms=["ES256"])


def assertion_form(client_assertion: str, **extra: str) -> dict[str, str]:
    return {
        "grant_type": "client_credentials",
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        "client_assertion": client_assertion,
        **extra,
    }


def audit_entries(session: Session, operation: str) -> list[dict[str, object]]:
    from sqlalchemy import select

    from hub.audit.sequencer import sequence
    from hub.models import AuditRecord

    sequence(session)  # what the request appended, in the log
    rows = session.scalars(
        select(AuditRecord.canonical)
        .where(AuditRecord.operation == operation)
        .order_by(AuditRecord.seq)
    )
    return [json.loads(row) for row in rows]


@pytest.fixture
def api(app: Flask) -> FlaskClient:
    """The app with one protected view, as the API will have many."""

    @app.get("/api/v1/probe")
    @require_token("cases:read")
    def probe() -> Any:
        actor = token_actor()
        return jsonify(
            agency=str(actor.agency_id),
            client=actor.client_id,
            on_behalf_of=actor.on_behalf_of,
            purpose=actor.purpose,
        )

    return app.test_client()


@pytest.fixture
def token_for(client: FlaskClient) -> Callable[..., str]:
    def get(registered: Any, scope: str | None = None) -> str:
        data = {"grant_type": "client_credentials", **({"scope": scope} if scope else {})}
        response = client.post("/oauth/token", data=data, headers=registered.basic())
        assert response.status_code == 200, response.json
        return str(response.json["access_token"])

    return get


def call(api: FlaskClient, token: str | None, **headers: str) -> TestResponse:
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return api.get("/api/v1/probe", headers=headers)
