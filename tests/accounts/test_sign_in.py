"""Signing in through the pages, with real argon2id hashes and real TOTP codes."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from hub.accounts import totp
from tests.accounts.conftest import (
    Account,
    Clock,
    audit_since,
    credential_of,
    enter_code,
    enter_password,
    last_seq,
    post_form,
    sign_in,
)

REFUSED = "Enter a correct username and password"
WRONG_CODE = "Enter the current code from your authenticator app"


def test_password_then_code_signs_in_and_lands_on_the_home_page(
    client: FlaskClient, session: Session, enrolled: Account, clock: Clock
) -> None:
    before = last_seq(session)
    response = enter_password(client, enrolled.username, enrolled.password)
    assert response.status_code == 303
    assert response.headers["Location"] == "/sign-in/code"
    assert client.get("/account/mfa").status_code == 302  # enrolled: straight to the code

    assert enrolled.secret is not None
    response = enter_code(client, totp.code_at(enrolled.secret, clock.now))
    assert response.status_code == 303
    assert response.headers["Location"] == "/"
    assert "set up" in client.get("/account/mfa").get_data(as_text=True)  # signed in now

    entries = audit_since(session, before)
    login = [e for e in entries if e["operation"] == "LOGIN"]
    assert len(login) == 1
    assert login[0]["actor"]["user"] == str(enrolled.user.id)
    assert login[0]["record_type"] == "user_session"
    # No password or code reaches the audit trail.
    assert all(enrolled.password not in str(e) for e in entries)


def test_a_wrong_password_is_refused_and_audited_without_the_password(
    client: FlaskClient, session: Session, enrolled: Account
) -> None:
    before = last_seq(session)
    response = enter_password(client, enrolled.username, "not the passphrase at all")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert REFUSED in page
    assert 'href="#username"' in page  # the GOV.UK error summary links to the field
    assert client.get("/sign-in/code").status_code == 302  # no half-session was opened
    [entry] = audit_since(session, before)
    assert entry["operation"] == "LOGIN_FAILED"
    assert entry["outcome"] == "BAD_PASSWORD"
    assert "not the passphrase" not in str(entry)


def test_an_unknown_username_answers_exactly_as_a_wrong_password(
    client: FlaskClient, session: Session, enrolled: Account
) -> None:
    before = last_seq(session)
    wrong = enter_password(client, enrolled.username, "not the passphrase at all")
    unknown = enter_password(client, "nobody.here", "not the passphrase at all")
    assert wrong.status_code == unknown.status_code
    assert _without_username(wrong.get_data(as_text=True), enrolled.username) == (
        _without_username(unknown.get_data(as_text=True), "nobody.here")
    )
    entries = audit_since(session, before)
    assert [e["outcome"] for e in entries] == ["BAD_PASSWORD", "UNKNOWN_USER"]
    assert "nobody.here" not in str(entries[1])  # it may be a password typed in the wrong box


def test_empty_fields_are_named_in_the_error_summary(client: FlaskClient) -> None:
    page = post_form(client, "/sign-in", {"username": "", "password": ""}).get_data(as_text=True)
    assert "Enter your username" in page
    assert "Enter your password" in page
    assert 'href="#password"' in page


def test_a_wrong_code_is_refused(
    client: FlaskClient, session: Session, enrolled: Account, clock: Clock
) -> None:
    enter_password(client, enrolled.username, enrolled.password)
    assert enrolled.secret is not None
    right = totp.code_at(enrolled.secret, clock.now)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    before = last_seq(session)
    response = enter_code(client, wrong)
    assert response.status_code == 200
    assert WRONG_CODE in response.get_data(as_text=True)
    assert [e["outcome"] for e in audit_since(session, before)] == ["BAD_CODE"]
    assert wrong not in audit_since(session, before)[0]["extra"].values()


def test_a_code_from_an_old_time_step_is_refused(
    client: FlaskClient, enrolled: Account, clock: Clock
) -> None:
    assert enrolled.secret is not None
    stale = totp.code_at(enrolled.secret, clock.now)
    clock.advance(seconds=90)  # three steps on: outside the one-step drift window
    enter_password(client, enrolled.username, enrolled.password)
    assert WRONG_CODE in enter_code(client, stale).get_data(as_text=True)


def test_a_code_cannot_be_used_twice(
    client: FlaskClient,
    app_client_factory: Callable[[], FlaskClient],
    session: Session,
    enrolled: Account,
    clock: Clock,
) -> None:
    assert enrolled.secret is not None
    code = totp.code_at(enrolled.secret, clock.now)
    assert sign_in(client, enrolled, clock).status_code == 303

    clock.advance(seconds=10)  # same time step: the code on the phone has not changed
    other = app_client_factory()
    enter_password(other, enrolled.username, enrolled.password)
    before = last_seq(session)
    response = enter_code(other, code)
    assert WRONG_CODE in response.get_data(as_text=True)
    assert [e["outcome"] for e in audit_since(session, before)] == ["REPLAYED_CODE"]

    clock.advance(seconds=30)  # the next step's code is fresh
    assert enter_code(other, totp.code_at(enrolled.secret, clock.now)).status_code == 303


def test_expired_vetting_cannot_sign_in(
    client: FlaskClient, session: Session, enrolled: Account
) -> None:
    enrolled.user.vetting_expires = date(2026, 11, 21)  # yesterday, by the test clock
    session.flush()
    before = last_seq(session)
    response = enter_password(client, enrolled.username, enrolled.password)
    assert REFUSED in response.get_data(as_text=True)
    assert [e["outcome"] for e in audit_since(session, before)] == ["VETTING_EXPIRED"]


def test_no_recorded_vetting_cannot_sign_in(
    client: FlaskClient, session: Session, enrolled: Account
) -> None:
    enrolled.user.vetting_expires = None
    session.flush()
    assert REFUSED in enter_password(client, enrolled.username, enrolled.password).get_data(
        as_text=True
    )


def test_a_disabled_account_cannot_sign_in(
    client: FlaskClient, session: Session, enrolled: Account
) -> None:
    enrolled.user.active = False
    session.flush()
    before = last_seq(session)
    assert REFUSED in enter_password(client, enrolled.username, enrolled.password).get_data(
        as_text=True
    )
    assert [e["outcome"] for e in audit_since(session, before)] == ["INACTIVE"]


def test_first_sign_in_enrols_mfa_with_the_secret_and_uri_shown(
    client: FlaskClient, session: Session, account: Account, clock: Clock
) -> None:
    response = enter_password(client, account.username, account.password)
    assert response.headers["Location"] == "/account/mfa"
    assert client.get("/sign-in/code").headers["Location"] == "/account/mfa"
    page = client.get("/account/mfa").get_data(as_text=True)
    shown = page.split('id="totp-secret">')[1].split("<")[0]
    secret = shown.replace(" ", "")
    uri = page.split('id="totp-uri">')[1].split("<")[0].replace("&amp;", "&")
    assert uri.startswith("otpauth://totp/MAPPA%20Hub:test.chair?")
    assert f"secret={secret}&" in uri
    assert secret in client.get("/account/mfa").get_data(as_text=True)  # same on reload

    credential = credential_of(session, account.user)
    session.refresh(credential)
    assert secret not in (credential.totp_secret_stored or "")  # sealed at rest
    assert credential.totp_secret == secret

    before = last_seq(session)
    response = enter_code(client, totp.code_at(secret, clock.now), path="/account/mfa")
    assert response.status_code == 303
    assert response.headers["Location"] == "/"
    outcomes = [(e["operation"], e["outcome"]) for e in audit_since(session, before)]
    assert outcomes == [("ALTER", "MFA_ENROLLED"), ("LOGIN", "SIGNED_IN")]


def test_the_sign_in_page_returns_to_a_local_page_only(
    client: FlaskClient, enrolled: Account, clock: Clock
) -> None:
    assert enrolled.secret is not None
    page = client.get("/sign-in?next=//evil.example/x").get_data(as_text=True)
    assert "evil.example" not in page
    page = client.get("/sign-in?next=/cases/42").get_data(as_text=True)
    response = post_form(
        client,
        "/sign-in",
        {"username": enrolled.username, "password": enrolled.password, "next": "/cases/42"},
        page,
    )
    response = enter_code(client, totp.code_at(enrolled.secret, clock.now))
    assert response.headers["Location"] == "/cases/42"


def test_a_post_without_the_form_token_is_refused(
    client: FlaskClient, session: Session, enrolled: Account
) -> None:
    before = last_seq(session)
    client.get("/sign-in")  # the browser has its form cookie
    data = {"username": enrolled.username, "password": enrolled.password}
    response = client.post("/sign-in", data=data)
    assert response.status_code == 400
    response = client.post("/sign-in", data={**data, "csrf_token": "0" * 64})
    assert response.status_code == 400
    assert audit_since(session, before) == []  # refused before any account was looked at


def test_a_token_from_another_browser_is_refused(
    client: FlaskClient, app_client_factory: Callable[[], FlaskClient], enrolled: Account
) -> None:
    page = client.get("/sign-in").get_data(as_text=True)
    other = app_client_factory()
    response = post_form(
        other, "/sign-in", {"username": enrolled.username, "password": enrolled.password}, page
    )
    assert response.status_code == 400


def test_the_code_page_needs_the_password_first(client: FlaskClient) -> None:
    assert client.get("/sign-in/code").headers["Location"] == "/sign-in"
    assert client.get("/account/mfa").headers["Location"] == "/sign-in"


def _without_username(page: str, username: str) -> str:
    return page.replace(f'value="{username}"', 'value=""')


def test_request_logs_carry_neither_username_password_nor_code(
    client: FlaskClient, enrolled: Account, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    assert enrolled.secret is not None
    code = totp.code_at(enrolled.secret, clock.now)
    with caplog.at_level(logging.DEBUG, logger="hub"):
        sign_in(client, enrolled, clock)
    logged = " ".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert "/sign-in/code" in logged  # the route is logged...
    for secret in (enrolled.username, enrolled.password, code):
        assert secret not in logged  # ...but nothing typed into it
