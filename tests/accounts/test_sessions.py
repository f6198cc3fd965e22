"""Server-side sessions: idle and absolute timeouts, sign-out, revocation, cookies."""

from __future__ import annotations

from dataclasses import replace

import pytest
from flask import Blueprint, Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub.accounts import admin, sessions
from hub.accounts.models import UserSession
from hub.accounts.web import current_user, login_required
from hub.actor import hub_actor
from tests.accounts.conftest import (
    Account,
    Clock,
    audit_since,
    csrf_from,
    enter_password,
    last_seq,
    sign_in,
)


@pytest.fixture
def guarded_app(app: Flask) -> Flask:
    """A page behind `login_required`, as the chairs' workspace will have."""
    pages = Blueprint("guarded", __name__)

    @pages.route("/workspace", methods=["GET", "POST"])
    @login_required
    def workspace() -> str:
        user = current_user()
        assert user is not None
        return f"workspace of {user.username}"

    app.register_blueprint(pages)
    return app


@pytest.fixture
def browser(guarded_app: Flask) -> FlaskClient:
    return guarded_app.test_client()


def _signed_in(browser: FlaskClient, account: Account, clock: Clock) -> None:
    assert sign_in(browser, account, clock).status_code == 303
    assert browser.get("/workspace").status_code == 200


def test_a_signed_in_person_reaches_a_guarded_page_and_a_stranger_is_sent_to_sign_in(
    browser: FlaskClient, enrolled: Account, clock: Clock, guarded_app: Flask
) -> None:
    stranger = guarded_app.test_client().get("/workspace?tab=1")
    assert stranger.status_code == 302
    assert stranger.headers["Location"] == "/sign-in?next=/workspace?tab%3D1"
    _signed_in(browser, enrolled, clock)
    assert browser.get("/workspace").get_data(as_text=True) == "workspace of test.chair"


def test_idle_timeout_signs_out_after_15_minutes_without_a_request(
    browser: FlaskClient, enrolled: Account, clock: Clock
) -> None:
    _signed_in(browser, enrolled, clock)
    clock.advance(minutes=14, seconds=59)
    assert browser.get("/workspace").status_code == 200  # activity restarts the idle clock
    clock.advance(minutes=14, seconds=59)
    assert browser.get("/workspace").status_code == 200
    clock.advance(minutes=15)
    assert browser.get("/workspace").status_code == 302


def test_absolute_timeout_signs_out_after_10_hours_however_busy(
    browser: FlaskClient, enrolled: Account, clock: Clock
) -> None:
    _signed_in(browser, enrolled, clock)
    for _ in range(40):  # a request every 15 minutes less a second keeps it from idling
        clock.advance(minutes=14, seconds=59)
        assert browser.get("/workspace").status_code == 200
    clock.advance(minutes=1)  # now 10 hours and 20 seconds after sign-in
    assert browser.get("/workspace").status_code == 302


def test_sign_out_deletes_the_session_and_is_audited(
    browser: FlaskClient, session: Session, enrolled: Account, clock: Clock
) -> None:
    _signed_in(browser, enrolled, clock)
    token = browser.get_cookie("hub-session")
    assert token is not None
    before = last_seq(session)
    page = browser.get("/account/mfa").get_data(as_text=True)
    response = browser.post("/sign-out", data={"csrf_token": csrf_from(page)})
    assert response.status_code == 303
    assert response.headers["Location"] == "/sign-in"
    assert browser.get("/workspace").status_code == 302
    stored = select(UserSession).where(UserSession.token_hash == sessions.hash_token(token.value))
    assert session.scalar(stored) is None
    [entry] = audit_since(session, before)
    assert (entry["record_type"], entry["outcome"]) == ("user_session", "SIGNED_OUT")


def test_sign_out_needs_the_form_token(
    browser: FlaskClient, enrolled: Account, clock: Clock
) -> None:
    _signed_in(browser, enrolled, clock)
    assert browser.post("/sign-out").status_code == 400
    assert browser.get("/workspace").status_code == 200


def test_a_guarded_post_needs_the_form_token(
    browser: FlaskClient, enrolled: Account, clock: Clock
) -> None:
    _signed_in(browser, enrolled, clock)
    assert browser.post("/workspace").status_code == 400
    page = browser.get("/account/mfa").get_data(as_text=True)
    assert browser.post("/workspace", data={"csrf_token": csrf_from(page)}).status_code == 200


@pytest.mark.parametrize("change", ["disable", "reset_mfa"])
def test_disabling_or_resetting_mfa_ends_every_session_at_once(
    guarded_app: Flask, session: Session, enrolled: Account, clock: Clock, change: str
) -> None:
    phone, laptop = guarded_app.test_client(), guarded_app.test_client()
    _signed_in(phone, enrolled, clock)
    clock.advance(seconds=30)  # a fresh code for the second browser
    _signed_in(laptop, enrolled, clock)
    before = last_seq(session)
    ended = getattr(admin, change)(session, hub_actor(), enrolled.username)
    assert ended == 2
    assert phone.get("/workspace").status_code == 302
    assert laptop.get("/workspace").status_code == 302
    assert not session.scalar(select(func.count()).select_from(UserSession))
    outcomes = {e["outcome"] for e in audit_since(session, before)}
    assert {"REVOKED_ON_DISABLE", "REVOKED_ON_MFA_RESET"} & outcomes


def test_expiring_vetting_ends_a_live_session(
    browser: FlaskClient, session: Session, enrolled: Account, clock: Clock
) -> None:
    _signed_in(browser, enrolled, clock)
    enrolled.user.vetting_expires = clock.now.date()
    session.flush()
    clock.advance(days=1)
    clock.now = clock.now.replace(hour=0, minute=5)
    assert browser.get("/workspace").status_code == 302


def test_a_half_finished_sign_in_reaches_no_guarded_page(
    browser: FlaskClient, enrolled: Account
) -> None:
    enter_password(browser, enrolled.username, enrolled.password)
    assert browser.get("/workspace").status_code == 302


def test_the_cookie_is_httponly_lax_and_only_the_token_hash_is_stored(
    browser: FlaskClient, session: Session, enrolled: Account, clock: Clock
) -> None:
    response = sign_in(browser, enrolled, clock)
    header = response.headers["Set-Cookie"]
    assert header.startswith("hub-session=")
    assert "HttpOnly" in header
    assert "SameSite=Lax" in header
    token = header.split("=", 1)[1].split(";")[0]
    row = session.scalars(select(UserSession)).one()
    assert row.token_hash == sessions.hash_token(token)
    assert token not in row.token_hash


def test_the_token_changes_when_the_code_is_accepted(
    browser: FlaskClient, enrolled: Account, clock: Clock
) -> None:
    enter_password(browser, enrolled.username, enrolled.password)
    pending = browser.get_cookie("hub-session")
    sign_in_response = sign_in(browser, enrolled, clock)
    assert sign_in_response.status_code == 303
    full = browser.get_cookie("hub-session")
    assert pending is not None
    assert full is not None
    assert pending.value != full.value


def test_in_production_the_cookie_is_secure_with_the_host_prefix(
    guarded_app: Flask, enrolled: Account, clock: Clock
) -> None:
    settings = guarded_app.config["HUB_SETTINGS"]
    guarded_app.config["HUB_SETTINGS"] = replace(settings, environment="production")
    browser = guarded_app.test_client()
    page = browser.get("/sign-in", base_url="https://hub.example").get_data(as_text=True)
    response = browser.post(
        "/sign-in",
        base_url="https://hub.example",
        data={
            "username": enrolled.username,
            "password": enrolled.password,
            "csrf_token": csrf_from(page),
        },
    )
    header = response.headers["Set-Cookie"]
    assert header.startswith("__Host-hub-session=")
    assert "Secure" in header
    assert "Path=/" in header
    assert "Domain" not in header
