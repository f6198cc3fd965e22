"""Fixtures of the workspace page tests: the demo organisation signed in through the real
sign-in pages (password, then a TOTP code), a clock the tests move, and page helpers."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from hub import create_app
from hub.accounts import totp
from hub.accounts.policy import AccountPolicy
from hub.demo.agencies import DemoOrganisation
from hub.demo.sign_ins import DEMO_PASSWORD, create_demo_sign_ins
from hub.settings import Settings
from tests.accounts.conftest import Clock, csrf_from, post_form
from tests.helpers import TODAY, savepoint_sessions


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime.combine(TODAY, datetime.min.time(), tzinfo=UTC) + timedelta(hours=10))


@pytest.fixture
def policy() -> AccountPolicy:
    # The cheapest argon2id: these tests are about the pages, not the work factor.
    return AccountPolicy(hasher=PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


@pytest.fixture
def keys(session: Session, org: DemoOrganisation, policy: AccountPolicy) -> dict[str, str]:
    """The TOTP keys of the demo staff who can sign in (chair.l2, coordinator, ...)."""
    return {made.username: made.secret for made in create_demo_sign_ins(session, policy)}


@pytest.fixture
def app(session: Session, database_url: str, policy: AccountPolicy, clock: Clock) -> Flask:
    factory = savepoint_sessions(session)
    settings = Settings(database_url=database_url, mappa_area="Test Area", environment="test")
    app = create_app(settings, session_factory=factory)
    app.extensions["hub.accounts.policy"] = policy
    app.extensions["hub.clock"] = clock
    return app


def signed_in(app: Flask, keys: dict[str, str], clock: Clock, username: str) -> FlaskClient:
    client = app.test_client()
    post_form(client, "/sign-in", {"username": username, "password": DEMO_PASSWORD})
    done = post_form(client, "/sign-in/code", {"code": totp.code_at(keys[username], clock.now)})
    assert done.status_code == 303
    return client


def choose(client: FlaskClient, purpose: str, then: str = "/cases") -> str:
    page = client.get(f"/purpose?next={then}").get_data(as_text=True)
    chosen = client.post(
        "/purpose", data={"purpose": purpose, "next": then, "csrf_token": csrf_from(page)}
    )
    assert chosen.status_code == 303
    assert chosen.headers["Location"] == then
    return client.get(then).get_data(as_text=True)


def listed(page: str) -> set[str]:
    return set(re.findall(r'data-case-id="([0-9a-f-]{36})"', page))
