"""Benchmark bearer-token verification against a bare Flask endpoint, in one process.

Run: .venv/bin/python bench/oauth_tokens.py [--requests N]
Uses a scratch SQLite database in a temporary directory. Both endpoints are called through
Flask's test client, so the figure is the cost `require_token` adds per request (header
parsing, ES256 signature check, claims, cached revocation and client state), as a ratio to
the bare endpoint measured in the same run. Also times token issuance (client_secret_basic,
which includes the audit append). Prints readable lines, then one JSON object.
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask import jsonify

from hub import create_app, crypto, migrations
from hub.db import make_engine, make_sessionmaker
from hub.demo.agencies import create_organisation
from hub.oauth.clients import create_client
from hub.oauth.resource import require_token, token_actor
from hub.settings import Settings


def rate(call, n: int) -> float:
    for _ in range(min(200, n)):
        call()
    start = time.perf_counter()
    for _ in range(n):
        call()
    return n / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=3000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.sqlite3"
        migrations.upgrade(url)
        crypto.install(crypto.Keyring.generate())
        engine = make_engine(url)
        with make_sessionmaker(engine).begin() as session:
            create_organisation(session, "Bench Area")
            made = create_client(
                session,
                agency_code="DEMO-POL",
                name="bench",
                auth_method="client_secret_basic",
                scopes="cases:read",
            )
            client_id, secret = made.client.client_id, made.secret
        settings = Settings(
            database_url=url,
            environment="test",
            oauth_issuer="https://hub.bench",
            instance_path=Path(tmp),
        )
        app = create_app(settings)

        @app.get("/bare")
        def bare():  # type: ignore[no-untyped-def]
            return jsonify(ok=True)

        @app.get("/protected")
        @require_token("cases:read")
        def protected():  # type: ignore[no-untyped-def]
            return jsonify(ok=True, agency=str(token_actor().agency_id))

        client = app.test_client()
        basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
        form = {"grant_type": "client_credentials"}
        token = client.post(
            "/oauth/token", data=form, headers={"Authorization": f"Basic {basic}"}
        ).json["access_token"]
        bearer = {"Authorization": f"Bearer {token}", "Hub-Purpose": "RISK_MANAGEMENT"}
        assert client.get("/protected", headers=bearer).status_code == 200

        n = args.requests
        bare_rate = rate(lambda: client.get("/bare"), n)
        protected_rate = rate(lambda: client.get("/protected", headers=bearer), n)
        issue_rate = rate(
            lambda: client.post(
                "/oauth/token", data=form, headers={"Authorization": f"Basic {basic}"}
            ),
            max(50, n // 20),
        )
        engine.dispose()
        app.extensions["hub.engine"].dispose()
    ratio = protected_rate / bare_rate
    print(f"bare endpoint        {bare_rate:8.0f} req/s")
    print(f"require_token        {protected_rate:8.0f} req/s  ({ratio:.0%} of bare)")
    print(f"token issuance       {issue_rate:8.0f} req/s")
    print(
        json.dumps(
            {
                "bare_rps": round(bare_rate),
                "protected_rps": round(protected_rate),
                "protected_over_bare": round(ratio, 3),
                "issue_rps": round(issue_rate),
                "verify_overhead_us": round((1 / protected_rate - 1 / bare_rate) * 1e6),
            }
        )
    )


if __name__ == "__main__":
    main()
