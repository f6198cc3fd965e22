"""Accounts fixtures: a controllable clock, a cheap hasher, an app on the test's transaction."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from hub import create_app
from hub.accounts import admin, totp
from hub.accounts.models import UserCredential
from hub.accounts.policy import AccountPolicy
from hub.actor import hub_actor
from hub.audit.sequencer import sequence
from hub.models import AuditRecord, User
from hub.services.agencies import register_agency
from hub.settings import Settings

START = datetime(2026, 11, 22, 10, 0, 0, tzinfo=UTC)  # on a 30-second step boundary
PASSWORD = "a synthetic passphrase 42"


class Clock:
    """The time the app and the services see; tests move it instead of sleeping."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@dataclass
class Account:
    user: User
    password: str
    secret: str | None = None

    @property
    def username(self) -> str:
        return self.user.username


@pytest.fixture
def clock() -> Clock:
    return Clock(START)


@pytest.fixture
def policy() -> AccountPolicy:
    # argon2id at its smallest cost: the tests exercise the rules, not the work factor
    # (test_passwords covers the real parameters and the rehash from cheap ones).
    cheap = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    return AccountPolicy(hasher=cheap)


@pytest.fixture
def account(session: Session, policy: AccountPolicy, clock: Clock) -> Account:
    """A probation chair with a password, not yet enrolled in MFA."""
    actor = hub_actor()
    register_agency(
        session, actor, code="T-PRB", name="Test Probation", type="RA_PROBATION", mappa_area="T"
    )
    made = admin.create_account(
        session,
        policy,
        actor,
        agency_code="T-PRB",
        username="test.chair",
        display_name="Synthetic Chair",
        roles=["MAPPA_CHAIR_L2"],
        vetting_expires=date(2027, 12, 31),
        today=clock.now.date(),
        password=PASSWORD,
    )
    return Account(made.user, PASSWORD)


@pytest.fixture
def enrolled(session: Session, account: Account) -> Account:
    """The same person with an authenticator app set up."""
    credential = credential_of(session, account.user)
    account.secret = totp.new_secret()
    credential.totp_secret = account.secret
    credential.mfa_enrolled_at = START - timedelta(days=30)
    session.flush()
    return account


@pytest.fixture
def app(session: Session, database_url: str, policy: AccountPolicy, clock: Clock) -> Flask:
    factory = sessionmaker(bind=session.connection(), join_transaction_mode="create_savepoint")
    settings = Settings(database_url=database_url, mappa_area="Test Area", environment="test")
    app = create_app(settings, session_factory=factory)
    app.extensions["hub.accounts.policy"] = policy
    app.extensions["hub.clock"] = clock
    return app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def credential_of(session: Session, user: User) -> UserCredential:
    return session.scalars(select(UserCredential).where(UserCredential.user_id == user.id)).one()


_CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]{64})"')


def csrf_from(page: str) -> str:
    found = _CSRF.search(page)
    assert found, "the page has no CSRF token"
    return found.group(1)


def post_form(client: FlaskClient, path: str, data: dict[str, str], page: str = "") -> Any:
    """POST a form the way a browser does: with the token of the page it came from."""
    source = page or client.get(path).get_data(as_text=True)
    return client.post(path, data={**data, "csrf_token": csrf_from(source)})


def enter_password(client: FlaskClient, username: str, password: str) -> Any:
    return post_form(client, "/sign-in", {"username": username, "password": password})


def enter_code(client: FlaskClient, code: str, path: str = "/sign-in/code") -> Any:
    return post_form(client, path, {"code": code})


def sign_in(client: FlaskClient, account: Account, clock: Clock) -> Any:
    assert account.secret is not None
    response = enter_password(client, account.username, account.password)
    assert response.status_code == 303, response.get_data(as_text=True)
    return enter_code(client, totp.code_at(account.secret, clock.now))


def audit_since(session: Session, seq: int) -> list[dict[str, Any]]:
    sequence(session)  # what this transaction appended, in the log
    rows = session.scalars(select(AuditRecord).where(AuditRecord.seq > seq).order_by("seq"))
    return [json.loads(row.canonical) for row in rows]


def last_seq(session: Session) -> int:
    from sqlalchemy import func

    sequence(session)
    return session.scalar(select(func.coalesce(func.max(AuditRecord.seq), 0))) or 0


@pytest.fixture
def app_client_factory(app: Flask) -> Callable[[], FlaskClient]:
    """Another browser: its own cookies, the same hub."""
    return app.test_client
