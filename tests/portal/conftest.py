"""Portal fixtures: one circle and its people, a second coordinator's circle, an app on the
test's transaction with a controllable clock, and signing in as a browser does."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker

from hub import create_app
from hub.accounts import passwords, totp
from hub.accounts.models import UserCredential
from hub.accounts.policy import AccountPolicy
from hub.actor import Actor
from hub.cosa import circles, profile
from hub.cosa.models import Circle
from hub.cosa.rules import CosaRules
from hub.demo.agencies import DemoOrganisation
from hub.models import CaseMembership, MappaCase, User
from hub.services.agencies import register_user
from hub.settings import Settings
from hub.vocabulary import MembershipRole
from tests.helpers import new_case, new_person

START = datetime(2026, 11, 23, 10, 0, 0, tzinfo=UTC)  # a Monday, on a 30-second step
PASSWORD = "a synthetic passphrase 42"
RULES = CosaRules()


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@dataclass
class World:
    org: DemoOrganisation
    case: MappaCase
    circle: Circle
    other_case: MappaCase
    other_circle: Circle
    secrets: dict[str, str]

    def user(self, username: str) -> User:
        return self.org.staff[username]

    def actor(self, username: str, purpose: str = "COSA_SUPPORT") -> Actor:
        return self.org.actor(username, purpose)


@pytest.fixture
def clock() -> Clock:
    return Clock(START)


@pytest.fixture
def policy() -> AccountPolicy:
    return AccountPolicy(hasher=PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


@pytest.fixture
def world(session: Session, org: DemoOrganisation, policy: AccountPolicy, clock: Clock) -> World:
    cosa = org.agencies["DEMO-COSA"]
    for username, display in (("cosa.other", "Other Coordinator"), ("cosa.manager", "Manager")):
        org.staff[username] = register_user(
            session,
            org.actor("cosa.coordinator"),
            agency_id=cosa.id,
            username=username,
            display_name=display,
            roles=["COSA_COORDINATOR"],
        )
    today = clock.now.date()
    for user in org.staff.values():
        user.vetting_expires = today + timedelta(days=365)
    secrets = {}
    stored = passwords.hash_password(policy.hasher, PASSWORD)
    for username in ("cosa.coordinator", "cosa.other", "chair.l2", "mosovo", "cosa.volunteer"):
        secret = totp.new_secret()
        credential = UserCredential(user_id=org.staff[username].id, password_hash=stored)
        credential.totp_secret = secret
        credential.mfa_enrolled_at = START - timedelta(days=30)
        session.add(credential)
        secrets[username] = secret
    session.flush()
    case = _case_with_police(session, org, given="Corvan")
    other_case = _case_with_police(session, org, given="Pellam")
    circle = _circle(session, org, case, "CIRCLE-A1", "cosa.coordinator")
    other = _circle(session, org, other_case, "CIRCLE-B2", "cosa.other")
    for made, who in ((circle, "cosa.coordinator"), (other, "cosa.other")):
        for field, text in (
            ("circle_goals", "Keep weekly contact; build a safe social network"),
            ("relevant_prohibitions", "No unsupervised contact with anyone under 18"),
        ):
            profile.set_entry(session, org.actor(who), made.id, field=field, text=text)
    return World(org, case, circle, other_case, other, secrets)


def start_circle(
    session: Session, world: World, clock: Clock, circle: Circle | None = None
) -> Circle:
    """Agreements signed and one vetted, trained volunteer: R-50 holds, the circle starts."""
    circle = circle or world.circle
    who = "cosa.coordinator" if circle is world.circle else "cosa.other"
    actor = world.actor(who)
    today = clock.now.date()
    circles.record_agreements(
        session,
        actor,
        circle.id,
        consent_signed_on=today - timedelta(days=7),
        contract_signed_on=today - timedelta(days=6),
        today=today,
    )
    circles.add_volunteer(
        session,
        actor,
        circle.id,
        name="Ilse Varnow",
        dbs_check_date=today - timedelta(days=200),
        trained_on=today - timedelta(days=30),
        vetted=True,
        today=today,
    )
    return circles.start_circle(session, actor, circle.id, rules=RULES, now=clock.now)


@pytest.fixture
def app(
    session: Session, database_url: str, policy: AccountPolicy, clock: Clock, world: World
) -> Flask:
    factory = sessionmaker(bind=session.connection(), join_transaction_mode="create_savepoint")
    settings = Settings(database_url=database_url, mappa_area="Test Area", environment="test")
    app = create_app(settings, session_factory=factory)
    app.extensions["hub.accounts.policy"] = policy
    app.extensions["hub.clock"] = clock
    return app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


_CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]{64})"')


def csrf_from(page: str) -> str:
    found = _CSRF.search(page)
    assert found, "the page has no CSRF token"
    return found.group(1)


def post_form(client: FlaskClient, path: str, data: dict[str, str], source: str = "") -> Any:
    page = client.get(source or path).get_data(as_text=True)
    return client.post(path, data={**data, "csrf_token": csrf_from(page)})


def portal_sign_in(client: FlaskClient, world: World, clock: Clock, username: str) -> None:
    response = post_form(client, "/portal/sign-in", {"username": username, "password": PASSWORD})
    assert response.status_code == 303, response.get_data(as_text=True)
    code = totp.code_at(world.secrets[username], clock.now)
    response = post_form(client, "/portal/sign-in/code", {"code": code})
    assert response.status_code == 303, response.get_data(as_text=True)
    assert response.headers["Location"].endswith("/portal/")
    clock.advance(seconds=30)  # the next sign-in of anyone uses a fresh code step


def workspace_sign_in(client: FlaskClient, world: World, clock: Clock, username: str) -> None:
    response = post_form(client, "/sign-in", {"username": username, "password": PASSWORD})
    assert response.status_code == 303, response.get_data(as_text=True)
    code = totp.code_at(world.secrets[username], clock.now)
    response = post_form(client, "/sign-in/code", {"code": code})
    assert response.status_code == 303, response.get_data(as_text=True)
    clock.advance(seconds=30)


def _case_with_police(session: Session, org: DemoOrganisation, given: str) -> MappaCase:
    person = new_person(session, org, given=given, family="Threlkeld")
    case = new_case(session, org, person=person)
    session.add(
        CaseMembership(
            case_id=case.id,
            agency_id=org.agencies["DEMO-POL"].id,
            role=MembershipRole.AGENCY_CONTACT,
            since=date(2020, 1, 1),
        )
    )
    session.flush()
    return case


def _circle(
    session: Session, org: DemoOrganisation, case: MappaCase, reference: str, coordinator: str
) -> Circle:
    return circles.create_circle(
        session,
        org.actor("offender.manager"),
        case_id=case.id,
        reference=reference,
        circle_type="COMMUNITY",
        coordinator_id=org.staff[coordinator].id,
        manager_id=org.staff["cosa.manager"].id,
        outer=[
            circles.OuterMemberInput(org.staff["mosovo"].id, "POLICE_CONTACT"),
            circles.OuterMemberInput(org.staff["offender.manager"].id, "PROBATION_CONTACT"),
        ],
    )
