"""Health endpoints, the landing page and the response headers every page carries."""

from dataclasses import replace

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from hub import create_app, crypto
from hub.crypto import Keyring, KeySet
from hub.crypto.keyring import KeyStoreUnavailable
from hub.demo.agencies import DemoOrganisation
from hub.settings import Settings
from tests.helpers import new_case, savepoint_sessions


@pytest.fixture
def app(session: Session, database_url: str) -> Flask:
    # The app shares the test's connection, so what a test writes it can read, and the
    # rollback at the end removes it.
    factory = savepoint_sessions(session)
    settings = Settings(
        database_url=database_url,
        public_statistics=True,
        mappa_area="Test Area",
        environment="test",
    )
    return create_app(settings, session_factory=factory)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def test_healthz_says_the_process_is_up(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}


def test_readyz_is_ready_on_a_migrated_database(client: FlaskClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json["status"] == "ready"
    assert response.json["keys"] == "loaded"
    # The policy bundle in force, so an operator can tell which rules are deciding.
    assert len(response.json["policy"]["bundle_hash"]) == 64
    assert response.json["policy"]["change_refused"] is False


def test_readyz_is_503_while_the_field_encryption_keys_cannot_be_loaded(
    client: FlaskClient,
) -> None:
    class KeyTableDown:
        def load(self) -> KeySet:
            raise KeyStoreUnavailable("the key table cannot be read")

    with crypto.using(Keyring(source=KeyTableDown())):
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json["keys"] == "unavailable"
    assert client.get("/readyz").json["keys"] == "loaded"


def test_readyz_is_503_until_migrations_reach_head(scratch_database_url: str) -> None:
    app = create_app(Settings(database_url=scratch_database_url, environment="test"))
    response = app.test_client().get("/readyz")
    app.extensions["hub.engine"].dispose()
    assert response.status_code == 503
    assert response.json["migrations"]["current"] is None
    assert "hub db upgrade" in response.json["detail"]


def test_readyz_is_503_when_the_database_is_unreachable() -> None:
    app = create_app(
        Settings(
            database_url="postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1",
            environment="test",
        )
    )
    response = app.test_client().get("/readyz")
    app.extensions["hub.engine"].dispose()
    assert response.status_code == 503
    assert response.json["database"] == "unreachable"


def test_landing_shows_counts_by_category_level_and_risk(
    client: FlaskClient, session: Session, org: DemoOrganisation
) -> None:
    new_case(session, org, category=2, level=2)
    page = client.get("/").get_data(as_text=True)
    assert 'data-category="2">1<' in page
    assert 'data-level="2">1<' in page
    assert "Open cases by latest risk of serious harm" in page


def test_landing_shows_no_counts_unless_allowed(app: Flask) -> None:
    app.config["HUB_SETTINGS"] = replace(app.config["HUB_SETTINGS"], public_statistics=False)
    page = app.test_client().get("/").get_data(as_text=True)
    assert "data-category" not in page
    assert "not published" in page


def test_every_response_carries_security_headers_and_a_correlation_id(
    client: FlaskClient,
) -> None:
    response = client.get("/healthz", headers={"X-Request-ID": "abcdef12-3456"})
    assert response.headers["X-Request-ID"] == "abcdef12-3456"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    forged = client.get("/healthz", headers={"X-Request-ID": "<script>"})
    assert forged.headers["X-Request-ID"] != "<script>"
