"""A real OAuth client library (Authlib's requests OAuth2Session) against the hub served by
a real gunicorn, set up as an operator would with the `hub` command."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from authlib.integrations.base_client import OAuthError
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.rfc7523 import PrivateKeyJWT
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet

from tests.helpers import scratch_database

HUB = [sys.executable, "-m", "hub.cli"]


def hub(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*HUB, *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def ok(env: dict[str, str], *args: str) -> str:
    result = hub(env, *args)
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def scratch_url(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with scratch_database(database_url, tmp_path_factory.mktemp("served")) as url:
        yield url


@pytest.fixture(scope="module")
def env(scratch_url: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A production-like hub: migrated, keys made, one synthetic area loaded."""
    instance = tmp_path_factory.mktemp("instance")
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env.update(HUB_DATABASE_URL=scratch_url, HUB_INSTANCE_PATH=str(instance))
    for args in (["audit", "keygen"], ["db", "upgrade"], ["demo", "load", "--count", "1"]):
        ok(env, *args)
    return env


@pytest.fixture(scope="module")
def served(env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    log = tmp_path_factory.mktemp("log") / "serve.log"
    serve_env = {
        **env,
        "HUB_WORKERS": "2",
        "HUB_OAUTH_ISSUER": base,
        "HUB_OAUTH_STATE_SECONDS": "2",
    }
    with log.open("wb") as output:
        server = subprocess.Popen(
            [*HUB, "serve", "--bind", f"127.0.0.1:{port}"],
            env=serve_env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_for(base + "/readyz")
            yield base
        finally:
            server.terminate()
            server.wait(timeout=30)
    assert server.returncode == 0, log.read_text()


def _wait_for(url: str) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            if time.monotonic() > deadline:
                pytest.fail(f"{url} never answered")
            time.sleep(0.2)


def _created(output: str) -> tuple[str, str | None]:
    client_id = re.search(r"^client_id: (\S+)$", output, re.MULTILINE)
    secret = re.search(r"^client_secret: (\S+)$", output, re.MULTILINE)
    assert client_id is not None
    return client_id.group(1), secret.group(1) if secret else None


def _verify(base: str, access_token: str) -> dict[str, object]:
    with urllib.request.urlopen(base + "/oauth/jwks") as response:
        keys = KeySet.import_key_set(json.load(response))
    token = jwt.decode(access_token, keys, algorithms=["ES256"])
    assert token.header["typ"] == "at+jwt"
    claims: dict[str, object] = token.claims
    assert claims["iss"] == base
    assert claims["aud"] == base + "/api"
    return claims


def test_client_secret_basic_with_a_real_client(env: dict[str, str], served: str) -> None:
    client_id, secret = _created(
        ok(
            env,
            "clients",
            "create",
            "DEMO-POL",
            "--name",
            "PNC bridge",
            "--auth-method",
            "client_secret_basic",
            "--scopes",
            "cases:read,items:read",
        )
    )
    assert secret is not None
    session = OAuth2Session(client_id, secret, token_endpoint_auth_method="client_secret_basic")
    token = session.fetch_token(
        served + "/oauth/token", grant_type="client_credentials", scope="cases:read"
    )
    assert token["token_type"] == "Bearer"
    assert 0 < token["expires_in"] <= 600
    claims = _verify(served, token["access_token"])
    assert claims["client_id"] == client_id
    assert claims["scope"] == "cases:read"

    introspected = session.introspect_token(
        served + "/oauth/introspect", token=token["access_token"]
    )
    assert introspected.json().get("active") is True, introspected.text

    with pytest.raises(OAuthError) as refused:
        session.fetch_token(
            served + "/oauth/token", grant_type="password", username="u", password="p"
        )
    assert refused.value.error == "unsupported_grant_type"

    wrong = OAuth2Session(
        client_id, "not-" + secret, token_endpoint_auth_method="client_secret_basic"
    )
    with pytest.raises(OAuthError) as bad_secret:
        wrong.fetch_token(served + "/oauth/token", grant_type="client_credentials")
    assert bad_secret.value.error == "invalid_client"

    assert session.revoke_token(served + "/oauth/revoke", token=token["access_token"]).ok
    after = session.introspect_token(served + "/oauth/introspect", token=token["access_token"])
    assert after.json() == {"active": False}

    ok(env, "clients", "disable", client_id)
    with pytest.raises(OAuthError) as disabled:
        session.fetch_token(served + "/oauth/token", grant_type="client_credentials")
    assert disabled.value.error == "invalid_client"


def test_private_key_jwt_with_a_real_client(
    env: dict[str, str], served: str, tmp_path: Path
) -> None:
    key = ECKey.generate_key("P-256", private=True, auto_kid=True)
    jwks = tmp_path / "public.jwks"
    jwks.write_text(json.dumps({"keys": [key.as_dict(private=False)]}))
    client_id, secret = _created(
        ok(
            env,
            "clients",
            "create",
            "DEMO-PRB",
            "--name",
            "nDelius bridge",
            "--auth-method",
            "private_key_jwt",
            "--scopes",
            "cases:read items:write",
            "--jwks",
            str(jwks),
        )
    )
    assert secret is None  # nothing secret to show: the hub holds only the public key
    token_url = served + "/oauth/token"
    session = OAuth2Session(client_id, key, token_endpoint_auth_method="private_key_jwt")
    session.register_client_auth_method(PrivateKeyJWT(token_url, alg="ES256"))
    first = session.fetch_token(token_url, grant_type="client_credentials")
    second = session.fetch_token(token_url, grant_type="client_credentials")  # a fresh jti
    assert _verify(served, first["access_token"])["scope"] == "cases:read items:write"
    assert first["access_token"] != second["access_token"]

    # A new key pair via `hub clients rotate`: the old key is refused from then on.
    new_key = ECKey.generate_key("P-256", private=True, auto_kid=True)
    jwks.write_text(json.dumps({"keys": [new_key.as_dict(private=False)]}))
    ok(env, "clients", "rotate", client_id, "--jwks", str(jwks))
    with pytest.raises(OAuthError) as old:
        session.fetch_token(token_url, grant_type="client_credentials")
    assert old.value.error == "invalid_client"
    renewed = OAuth2Session(client_id, new_key, token_endpoint_auth_method="private_key_jwt")
    renewed.register_client_auth_method(PrivateKeyJWT(token_url, alg="ES256"))
    assert renewed.fetch_token(token_url, grant_type="client_credentials")["access_token"]


def test_signing_key_rotation_while_serving(env: dict[str, str], served: str) -> None:
    client_id, secret = _created(
        ok(
            env,
            "clients",
            "create",
            "DEMO-NHS",
            "--name",
            "trust system",
            "--auth-method",
            "client_secret_basic",
            "--scopes",
            "consent:write",
        )
    )
    session = OAuth2Session(client_id, secret, token_endpoint_auth_method="client_secret_basic")
    before = session.fetch_token(served + "/oauth/token", grant_type="client_credentials")
    assert "signing with new key" in ok(env, "clients", "rotate-signing-key")
    after = session.fetch_token(served + "/oauth/token", grant_type="client_credentials")
    _verify(served, before["access_token"])  # the old key is still published
    _verify(served, after["access_token"])
    for token in (before, after):
        body = session.introspect_token(served + "/oauth/introspect", token=token["access_token"])
        assert body.json()["active"] is True


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["NOPE", "--auth-method", "client_secret_basic", "--scopes", "cases:read"], "agency:"),
        (
            ["DEMO-POL", "--auth-method", "client_secret_basic", "--scopes", "cases:delete"],
            "scopes:",
        ),
        (["DEMO-POL", "--auth-method", "password", "--scopes", "cases:read"], "--auth-method"),
        (["DEMO-POL", "--auth-method", "private_key_jwt", "--scopes", "cases:read"], "jwks:"),
        (
            [
                "DEMO-POL",
                "--auth-method",
                "private_key_jwt",
                "--scopes",
                "cases:read",
                "--jwks",
                '{"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}',
            ],
            "jwks.keys[0]:",
        ),
        (
            [
                "DEMO-POL",
                "--auth-method",
                "private_key_jwt",
                "--scopes",
                "cases:read",
                "--jwks",
                "/no/such/file.json",
            ],
            "jwks:",
        ),
    ],
)
def test_bad_cli_input_names_the_field(env: dict[str, str], args: list[str], named: str) -> None:
    result = hub(env, "clients", "create", *args[:1], "--name", "x", *args[1:])
    assert result.returncode != 0
    assert named in result.stderr
    assert "Traceback" not in result.stderr


def test_cli_list_and_unknown_client(env: dict[str, str]) -> None:
    client_id, _ = _created(
        ok(
            env,
            "clients",
            "create",
            "DEMO-HSG",
            "--name",
            "housing",
            "--auth-method",
            "client_secret_basic",
            "--scopes",
            "cases:read",
        )
    )
    listed = ok(env, "clients", "list")
    assert client_id in listed
    assert "DEMO-HSG" in listed
    assert "sha256$" not in listed  # not even the hash is shown
    missing = hub(env, "clients", "disable", "no-such-client")
    assert missing.returncode == 1
    assert missing.stderr.strip() == "hub: error: client not found"


class _Browser:
    """A person's browser, enough of one: follows nothing by itself, keeps cookies.

    The served hub runs as production, so its cookies are Secure; a browser sends those to
    http://127.0.0.1 (a secure context), while `requests` would not. So they are kept here.
    """

    _COOKIE = re.compile(r"^([^=;\s]+)=([^;]*)")
    _CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]{64})"')

    def __init__(self) -> None:
        self.cookies: dict[str, str] = {}

    def go(self, url: str, form: dict[str, str] | None = None) -> requests.Response:
        header = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        method = "POST" if form is not None else "GET"
        answer = requests.request(
            method, url, data=form, headers={"Cookie": header}, allow_redirects=False, timeout=30
        )
        for raw in answer.raw.headers.getlist("Set-Cookie"):
            found = self._COOKIE.match(raw)
            if found:
                self.cookies[found.group(1)] = found.group(2)
        return answer

    def submit(self, url: str, page: str, form: dict[str, str]) -> requests.Response:
        token = self._CSRF.search(page)
        assert token is not None, page
        return self.go(url, {**form, "csrf_token": token.group(1)})


def test_authorization_code_with_pkce_s256_with_a_real_client(
    env: dict[str, str], served: str
) -> None:
    """An officer signs in (first time: sets up MFA), lets their force's case system act for
    them, and the system, through Authlib's client, redeems the code with its PKCE verifier."""
    from hub.accounts import totp
    from hub.db import utcnow

    made = ok(env, "users", "create", "--agency", "DEMO-POL", "--username", "real.officer",
              "--display-name", "Synthetic Officer", "--role", "MOSOVO_OFFICER",
              "--vetting-expires", "2030-12-31")  # fmt: skip
    password = re.search(r"^initial password: (\S+)$", made, re.MULTILINE)
    assert password is not None
    callback = "http://127.0.0.1:9/oauth/callback"  # loopback: never followed here
    client_id, secret = _created(
        ok(
            env,
            "clients",
            "create",
            "DEMO-POL",
            "--name",
            "Case system for officers",
            "--auth-method",
            "client_secret_basic",
            "--scopes",
            "cases:read",
            "--redirect-uri",
            callback,
        )
    )
    system = OAuth2Session(
        client_id,
        secret,
        redirect_uri=callback,
        scope="cases:read",
        code_challenge_method="S256",
        token_endpoint_auth_method="client_secret_basic",
    )
    verifier = os.urandom(48).hex()
    authorize_url, state = system.create_authorization_url(
        served + "/oauth/authorize", code_verifier=verifier
    )

    browser = _Browser()
    to_sign_in = browser.go(authorize_url)
    assert to_sign_in.status_code == 302
    sign_in_url = served + to_sign_in.headers["Location"].removeprefix(served)
    page = browser.go(sign_in_url).text
    entered = browser.submit(
        sign_in_url, page, {"username": "real.officer", "password": password.group(1)}
    )
    assert entered.status_code == 303, entered.text
    enrol_url = served + entered.headers["Location"].removeprefix(served)
    enrol = browser.go(enrol_url).text
    totp_secret = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', enrol)
    assert totp_secret is not None, enrol
    code = totp.code_at(totp_secret.group(1).replace(" ", ""), utcnow())
    enrolled = browser.submit(enrol_url, enrol, {"code": code})
    assert enrolled.status_code == 303, enrolled.text
    back = served + enrolled.headers["Location"].removeprefix(served)
    assert back.startswith(served + "/oauth/authorize?")
    consent = browser.go(back)
    assert "Case system for officers" in consent.text
    allowed = browser.submit(back, consent.text, {"decision": "allow"})
    assert allowed.status_code == 302
    assert allowed.headers["Location"].startswith(callback + "?")

    token = system.fetch_token(
        served + "/oauth/token",
        authorization_response=allowed.headers["Location"],
        code_verifier=verifier,
        state=state,
    )
    claims = _verify(served, token["access_token"])
    assert claims["client_id"] == client_id
    assert claims["sub"] != client_id  # the officer, not the system
    read = requests.get(
        served + "/api/v1/cases",
        headers={
            "Authorization": f"Bearer {token['access_token']}",
            "Hub-Purpose": "RISK_MANAGEMENT",
        },
        timeout=30,
    )
    assert read.status_code == 200, read.text
