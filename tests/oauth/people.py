"""People's tokens through the real authorization code flow (PKCE S256), for tests that need
a person, not a system, at the API: sign in with MFA, allow, redeem."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from hub.accounts import admin, totp
from hub.accounts.policy import AccountPolicy
from hub.actor import hub_actor
from hub.db import utcnow
from hub.models import User
from hub.oauth.clients import create_client
from tests.accounts.conftest import credential_of, enter_code, enter_password, post_form

CALLBACK = "https://case-system.police.test/oauth/callback"
PASSWORD = "a synthetic passphrase 42"


class Person:
    def __init__(self, user: User, secret: str) -> None:
        self.user, self.secret = user, secret


def cheap_policy(app: Flask) -> AccountPolicy:
    cheap = AccountPolicy(hasher=PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
    app.extensions["hub.accounts.policy"] = cheap
    return cheap


def make_person(
    session: Session, policy: AccountPolicy, agency: str, username: str, role: str
) -> Person:
    made = admin.create_account(
        session,
        policy,
        hub_actor(),
        agency_code=agency,
        username=username,
        display_name="Synthetic Officer",
        roles=[role],
        vetting_expires=utcnow().date() + timedelta(days=365),
        today=utcnow().date(),
        password=PASSWORD,
    )
    credential = credential_of(session, made.user)
    credential.totp_secret = totp.new_secret()
    credential.mfa_enrolled_at = utcnow() - timedelta(days=30)
    session.commit()
    return Person(made.user, credential.totp_secret)


def interactive_client(
    session: Session, agency: str = "DEMO-POL", scopes: str = "cases:read items:read"
) -> Any:
    made = create_client(
        session,
        agency_code=agency,
        name="Police case system (officers)",
        auth_method="client_secret_basic",
        scopes=scopes,
        redirect_uris=[CALLBACK],
    )
    session.commit()
    return made


def basic(made: Any) -> dict[str, str]:
    pair = f"{made.client.client_id}:{made.secret}".encode()
    return {"Authorization": "Basic " + base64.b64encode(pair).decode()}


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    return verifier, challenge.rstrip(b"=").decode()


def query(made: Any, challenge: str | None, method: str | None = "S256", **extra: str) -> str:
    params = {
        "response_type": "code",
        "client_id": made.client.client_id,
        "redirect_uri": CALLBACK,
        "scope": "cases:read",
        "state": "opaque-state-1",
        **extra,
    }
    if challenge is not None:
        params["code_challenge"] = challenge
    if method is not None:
        params["code_challenge_method"] = method
    return "&".join(f"{k}={v}" for k, v in params.items())


def sign_in(client: FlaskClient, person: Person) -> None:
    assert enter_password(client, person.user.username, PASSWORD).status_code == 303
    signed = enter_code(client, totp.code_at(person.secret, utcnow()))
    assert signed.status_code == 303, signed.get_data(as_text=True)


def authorize(client: FlaskClient, query: str, decision: str = "allow") -> dict[str, list[str]]:
    page = client.get("/oauth/authorize?" + query)
    assert page.status_code == 200, page.get_data(as_text=True)
    text = page.get_data(as_text=True)
    assert "Police case system (officers)" in text
    answer = post_form(client, "/oauth/authorize?" + query, {"decision": decision}, text)
    assert answer.status_code == 302
    location = urlsplit(answer.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == CALLBACK
    return parse_qs(location.query)


def redeem(client: FlaskClient, made: Any, code: str, verifier: str) -> Any:
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": CALLBACK,
        "code_verifier": verifier,
    }
    return client.post("/oauth/token", data=form, headers=basic(made))


def claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


def person_token(
    client: FlaskClient,
    session: Session,
    app: Flask,
    agency: str,
    username: str,
    role: str,
    scopes: str = "cases:read items:read",
) -> str:
    """A real access token for a new person of `agency` holding `role`, by the code flow."""
    person = make_person(session, cheap_policy(app), agency, username, role)
    made = interactive_client(session, agency, scopes)
    verifier, challenge = pkce()
    sign_in(client, person)
    (code,) = authorize(client, query(made, challenge, scope=scopes.replace(" ", "+")))["code"]
    issued = redeem(client, made, code, verifier)
    assert issued.status_code == 200, issued.json
    return str(issued.json["access_token"])
