"""Authorization code with PKCE for people's clients: S256 only, required of every client, a
code good once, and a token that acts as the person (their roles, their agency, their standing).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from hub.accounts.policy import AccountPolicy
from hub.demo.agencies import DemoOrganisation
from hub.errors import InvalidInput
from hub.models import User
from hub.oauth.clients import create_client
from tests.oauth.conftest import audit_entries
from tests.oauth.people import (
    CALLBACK,
    Person,
    authorize,
    basic,
    cheap_policy,
    claims,
    interactive_client,
    make_person,
    pkce,
    query,
    redeem,
    sign_in,
)


@pytest.fixture
def policy(app: Flask) -> AccountPolicy:
    return cheap_policy(app)


@pytest.fixture
def officer(session: Session, policy: AccountPolicy, org: DemoOrganisation) -> Person:
    return make_person(session, policy, "DEMO-POL", "synthetic.officer", "MOSOVO_OFFICER")


@pytest.fixture
def interactive(session: Session, org: DemoOrganisation) -> Any:
    return interactive_client(session)


def test_a_person_lets_their_agency_system_act_for_them_with_pkce_s256(
    client: FlaskClient, session: Session, officer: Person, interactive: Any
) -> None:
    verifier, challenge = pkce()
    asked = query(interactive, challenge)
    # Not signed in: the hub asks the person to sign in first, then comes back.
    first = client.get("/oauth/authorize?" + asked)
    assert first.status_code == 302
    assert "/sign-in" in first.headers["Location"]
    sign_in(client, officer)
    returned = authorize(client, asked)
    assert returned["state"] == ["opaque-state-1"]
    (code,) = returned["code"]

    issued = redeem(client, interactive, code, verifier)
    assert issued.status_code == 200, issued.json
    token = issued.json["access_token"]
    said = claims(token)
    assert said["sub"] == str(officer.user.id)  # RFC 9068: the person, not the client
    assert said["client_id"] == interactive.client.client_id
    assert said["scope"] == "cases:read"

    # The API reads as the person: their roles decide, and the audit entry names them.
    read = client.get(
        "/api/v1/cases",
        headers={"Authorization": f"Bearer {token}", "Hub-Purpose": "RISK_MANAGEMENT"},
    )
    assert read.status_code == 200, read.json
    logins = audit_entries(session, "LOGIN")
    outcomes = [(e["outcome"], e["actor"]["user"]) for e in logins[-2:]]
    assert outcomes == [
        ("code_issued", str(officer.user.id)),
        ("token_issued", str(officer.user.id)),
    ]


def test_a_code_is_good_once(
    client: FlaskClient, officer: Person, interactive: Any, session: Session
) -> None:
    verifier, challenge = pkce()
    sign_in(client, officer)
    (code,) = authorize(client, query(interactive, challenge))["code"]
    assert redeem(client, interactive, code, verifier).status_code == 200
    again = redeem(client, interactive, code, verifier)
    assert again.status_code == 400
    assert again.json["error"] == "invalid_grant"


def test_a_wrong_code_verifier_gets_no_token(
    client: FlaskClient, officer: Person, interactive: Any
) -> None:
    _, challenge = pkce()
    other_verifier, _ = pkce()
    sign_in(client, officer)
    (code,) = authorize(client, query(interactive, challenge))["code"]
    refused = redeem(client, interactive, code, other_verifier)
    assert refused.status_code == 400
    assert refused.json["error"] == "invalid_grant"


@pytest.mark.parametrize(
    ("challenge", "method"),
    [
        (None, None),  # missing PKCE, even for a confidential client
        ("x" * 43, "plain"),  # plain PKCE
        ("x" * 43, None),  # no method means plain (RFC 7636 §4.3)
    ],
)
def test_missing_or_plain_pkce_is_refused_back_to_the_client(
    client: FlaskClient,
    officer: Person,
    interactive: Any,
    challenge: str | None,
    method: str | None,
) -> None:
    sign_in(client, officer)
    refused = client.get("/oauth/authorize?" + query(interactive, challenge, method))
    assert refused.status_code == 302
    answer = parse_qs(urlsplit(refused.headers["Location"]).query)
    assert answer["error"] == ["invalid_request"]
    assert "code" not in answer


def test_an_unregistered_redirect_uri_is_shown_never_redirected(
    client: FlaskClient, officer: Person, interactive: Any
) -> None:
    _, challenge = pkce()
    asked = query(interactive, challenge).replace(CALLBACK, "https://evil.test/cb")
    refused = client.get("/oauth/authorize?" + asked)
    assert refused.status_code == 400
    assert "Location" not in refused.headers
    assert "invalid_request" in refused.get_data(as_text=True)


def test_refusing_sends_access_denied_and_no_code(
    client: FlaskClient, session: Session, officer: Person, interactive: Any
) -> None:
    _, challenge = pkce()
    sign_in(client, officer)
    answer = authorize(client, query(interactive, challenge), decision="deny")
    assert answer["error"] == ["access_denied"]
    assert "code" not in answer
    assert audit_entries(session, "LOGIN_FAILED")[-1]["outcome"] == "access_denied"


def test_a_person_of_another_agency_cannot_let_this_system_act_for_them(
    client: FlaskClient, session: Session, policy: AccountPolicy, interactive: Any
) -> None:
    stranger = make_person(session, policy, "DEMO-PRB", "synthetic.probation", "OFFENDER_MANAGER")
    _, challenge = pkce()
    sign_in(client, stranger)
    answer = authorize(client, query(interactive, challenge))
    assert answer["error"] == ["access_denied"]


def test_an_interactive_client_cannot_use_client_credentials(
    client: FlaskClient, interactive: Any
) -> None:
    refused = client.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, headers=basic(interactive)
    )
    assert refused.status_code == 400
    assert refused.json["error"] == "unauthorized_client"


def test_a_person_token_stops_when_the_person_is_disabled(
    client: FlaskClient, session: Session, officer: Person, interactive: Any
) -> None:
    verifier, challenge = pkce()
    sign_in(client, officer)
    (code,) = authorize(client, query(interactive, challenge))["code"]
    token = redeem(client, interactive, code, verifier).json["access_token"]
    session.get_one(User, officer.user.id).active = False
    session.commit()
    refused = client.get(
        "/api/v1/cases",
        headers={"Authorization": f"Bearer {token}", "Hub-Purpose": "RISK_MANAGEMENT"},
    )
    assert refused.status_code == 401


@pytest.mark.parametrize(
    "uri",
    ["http://case-system.police.test/cb", "https://x.test/cb#frag", "/relative", "https:///"],
)
def test_a_redirect_uri_must_be_https_or_loopback_without_fragment(
    session: Session, org: DemoOrganisation, uri: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        create_client(
            session,
            agency_code="DEMO-POL",
            name="bad",
            auth_method="client_secret_basic",
            scopes="cases:read",
            redirect_uris=[uri],
        )
    assert refused.value.field == "redirect_uris[0]"
