"""The partner API on the test's own transaction, with a registered agency system."""

from __future__ import annotations

import base64
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from hub import create_app
from hub.demo.agencies import DemoOrganisation
from hub.oauth.clients import create_client
from hub.settings import Settings
from tests.helpers import savepoint_sessions

ISSUER = "https://hub.test"


@pytest.fixture
def app(session: Session, database_url: str, org: DemoOrganisation) -> Flask:
    factory = savepoint_sessions(session)
    settings = Settings(
        database_url=database_url, environment="test", oauth_issuer=ISSUER, oauth_state_seconds=1
    )
    return create_app(settings, session_factory=factory)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


TokenFor = Callable[..., str]


@pytest.fixture
def token_for(session: Session, client: FlaskClient) -> TokenFor:
    """A real access token from the hub's token endpoint, for a system of `agency`."""

    def get(agency: str = "DEMO-POL", scopes: str = "cases:read items:read") -> str:
        made = create_client(
            session,
            agency_code=agency,
            name="case system",
            auth_method="client_secret_basic",
            scopes=scopes,
        )
        session.commit()
        pair = base64.b64encode(f"{made.client.client_id}:{made.secret}".encode()).decode()
        response = client.post(
            "/oauth/token",
            data={"grant_type": "client_credentials"},
            headers={"Authorization": f"Basic {pair}"},
        )
        assert response.status_code == 200, response.json
        return str(response.json["access_token"])

    return get


def call(
    client: FlaskClient,
    path: str,
    token: str,
    purpose: str | None = "RISK_MANAGEMENT",
    **headers: str,
) -> TestResponse:
    headers["Authorization"] = f"Bearer {token}"
    if purpose is not None:
        headers["Hub-Purpose"] = purpose
    return client.get(path, headers=headers)
