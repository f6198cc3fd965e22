"""The `hub` command as an operator runs it: real processes, real database, real gunicorn."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

HUB = [sys.executable, "-m", "hub.cli"]


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*HUB, *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def _env(database_url: str, tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env.update(HUB_DATABASE_URL=database_url, HUB_INSTANCE_PATH=str(tmp_path), **extra)
    return env


def test_a_bad_setting_is_one_line_and_a_non_zero_exit(tmp_path: Path) -> None:
    result = _run(["db", "current"], _env("sqlite:///x.db", tmp_path, HUB_LOG_LEVEL="LOUD"))
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "hub: error: setting HUB_LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR; got 'LOUD'"
    ]


def test_a_bad_argument_is_a_usage_error(tmp_path: Path) -> None:
    result = _run(["demo", "load", "--count", "0"], _env("sqlite:///x.db", tmp_path))
    assert result.returncode == 2
    assert "--count" in result.stderr
    assert "Traceback" not in result.stderr


def test_upgrade_load_and_serve_until_ready(scratch_database_url: str, tmp_path: Path) -> None:
    env = _env(scratch_database_url, tmp_path, HUB_PUBLIC_STATISTICS="true")
    refused = _run(["serve"], env)
    assert refused.returncode == 1
    assert "no audit signing key" in refused.stderr  # fail closed: no key, no serving
    assert _run(["audit", "keygen"], env).returncode == 0
    assert _run(["db", "upgrade"], env).returncode == 0
    loaded = _run(["demo", "load", "--count", "12", "--seed", "3"], env)
    assert loaded.returncode == 0, loaded.stderr
    assert "loaded 12 synthetic cases" in loaded.stdout
    assert "audit checkpoint signed" in loaded.stdout
    again = _run(["demo", "load", "--count", "1"], env)
    assert again.returncode == 1
    assert again.stderr.startswith("hub: error: database: already holds data")

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log = tmp_path / "serve.log"
    with log.open("wb") as output:
        server = subprocess.Popen(
            [*HUB, "serve", "--bind", f"127.0.0.1:{port}"],
            env={**env, "HUB_WORKERS": "1"},
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        try:
            body = _wait_for(f"http://127.0.0.1:{port}/readyz")
            assert '"status":"ready"' in body.replace(" ", "")
            assert "12 open MAPPA cases" in _wait_for(f"http://127.0.0.1:{port}/")
        finally:
            server.terminate()
            server.wait(timeout=30)
    assert server.returncode == 0, log.read_text()  # graceful shutdown on SIGTERM


def _wait_for(url: str) -> str:
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return str(response.read().decode())
        except OSError:
            if time.monotonic() > deadline:
                pytest.fail(f"{url} never answered")
            time.sleep(0.2)


def test_audit_verify_export_and_offline_verification(
    scratch_database_url: str, tmp_path: Path
) -> None:
    env = _env(scratch_database_url, tmp_path)
    for args in (["audit", "keygen"], ["db", "upgrade"], ["demo", "load", "--count", "3"]):
        assert _run(args, env).returncode == 0
    verified = _run(["audit", "verify"], env)
    assert verified.returncode == 0, verified.stderr
    assert verified.stdout.startswith("VALID")

    export = tmp_path / "audit-export.json"
    assert _run(["audit", "export", str(export)], env).returncode == 0
    public_key = str(tmp_path / "keys" / "audit-signing.pub")
    offline = _run(
        ["audit", "verify", "--from-export", str(export), "--public-key", public_key],
        {**env, "HUB_DATABASE_URL": "sqlite:///nowhere.db"},
    )
    assert offline.returncode == 0, offline.stderr

    tampered = tmp_path / "tampered.json"
    document = json.loads(export.read_text())
    document["entries"][1]["canonical"] = document["entries"][1]["canonical"].replace(
        "COLLECT", "ALTER"
    )
    tampered.write_text(json.dumps(document))
    verdict = _run(
        ["audit", "verify", "--from-export", str(tampered), "--public-key", public_key], env
    )
    assert verdict.returncode == 1
    assert verdict.stdout.startswith("INVALID")
    assert "edited" in verdict.stdout.lower()

    truncated = tmp_path / "truncated.json"
    truncated.write_text(export.read_text()[:500])
    broken = _run(
        ["audit", "verify", "--from-export", str(truncated), "--public-key", public_key], env
    )
    assert broken.returncode == 1
    assert broken.stderr.startswith("hub: error: export unreadable")
    assert "Traceback" not in broken.stderr

    other_key = tmp_path / "other.pem"
    assert (
        _run(["audit", "keygen"], {**env, "HUB_AUDIT_SIGNING_KEY": str(other_key)}).returncode == 0
    )
    wrong = _run(
        [
            "audit",
            "verify",
            "--from-export",
            str(export),
            "--public-key",
            str(tmp_path / "other.pub"),
        ],
        env,
    )
    assert wrong.returncode == 1
    assert "signature" in wrong.stdout.lower()


def test_who_accessed_a_case_is_reported_and_the_report_is_itself_audited(
    scratch_database_url: str, tmp_path: Path
) -> None:
    from sqlalchemy import select

    from hub.db import make_engine
    from hub.models import MappaCase

    env = _env(scratch_database_url, tmp_path)
    for args in (["db", "upgrade"], ["demo", "load", "--count", "2"]):
        assert _run(args, env).returncode == 0
    engine = make_engine(scratch_database_url)
    with engine.connect() as connection:
        case_id = str(connection.scalar(select(MappaCase.id).limit(1)))
    engine.dispose()

    first = _run(["audit", "accesses", "--case", case_id, "--json"], env)
    assert first.returncode == 0, first.stderr
    assert first.stdout == ""  # loading data is collection, not access
    second = _run(["audit", "accesses", "--case", case_id, "--json"], env)
    lines = [json.loads(line) for line in second.stdout.splitlines()]
    assert [(r["operation"], r["purpose"], r["record_type"]) for r in lines] == [
        ("CONSULT", "AUDIT_OVERSIGHT", "audit_report")
    ]
    assert lines[0]["case"] == case_id

    text = _run(["audit", "accesses", "--case", case_id], env)
    assert text.stdout.strip().endswith("2 access(es)")

    neither = _run(["audit", "accesses"], env)
    assert neither.returncode == 2
    assert "--person, --case or --owning-agency" in neither.stderr
    not_a_uuid = _run(["audit", "accesses", "--case", "case-1"], env)
    assert not_a_uuid.returncode == 2
    assert "'--case'" in not_a_uuid.stderr
