"""`hub users create|disable|reset-mfa|list` on a database of their own."""

from __future__ import annotations

import io
import sys
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from hub import migrations
from hub.accounts.models import UserCredential, UserSession
from hub.actor import hub_actor
from hub.cli import main
from hub.db import make_engine, make_sessionmaker, utcnow
from hub.models import AuditRecord, User
from hub.services.agencies import register_agency

NEXT_YEAR = (date.today() + timedelta(days=365)).isoformat()  # noqa: DTZ011


@pytest.fixture
def hub_database(scratch_database_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    migrations.upgrade(scratch_database_url)
    engine = make_engine(scratch_database_url)
    with make_sessionmaker(engine).begin() as session:
        register_agency(
            session, hub_actor(), code="T-POL", name="Test Police", type="RA_POLICE", mappa_area="T"
        )
    engine.dispose()
    monkeypatch.setenv("HUB_DATABASE_URL", scratch_database_url)
    monkeypatch.setenv("HUB_ENV", "test")
    return scratch_database_url


def hub(monkeypatch: pytest.MonkeyPatch, *args: str, stdin: str = "") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    monkeypatch.setattr(sys, "argv", ["hub", *args])
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    monkeypatch.setattr(sys, "stdout", out)
    monkeypatch.setattr(sys, "stderr", err)
    try:
        main()
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    return code, out.getvalue(), err.getvalue()


CREATE = (
    "users",
    "create",
    "--agency",
    "t-pol",
    "--username",
    "Mosovo.One",
    "--display-name",
    "Synthetic Officer",
    "--role",
    "MOSOVO_OFFICER",
    "--vetting-expires",
)


def test_create_prints_a_one_time_password_and_audits(
    hub_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, err = hub(monkeypatch, *CREATE, NEXT_YEAR)
    assert (code, err) == (0, "")
    assert "created mosovo.one" in out
    password = out.split("initial password: ")[1].strip()
    assert len(password) >= 12
    engine = make_engine(hub_database)
    with make_sessionmaker(engine)() as session:
        user = session.scalars(select(User).where(User.username == "mosovo.one")).one()
        credential = session.scalars(
            select(UserCredential).where(UserCredential.user_id == user.id)
        ).one()
        assert credential.mfa_enrolled_at is None  # enrolment at first sign-in
        assert password not in credential.password_hash
        audited = [r.canonical for r in session.scalars(select(AuditRecord))]
        assert any('"outcome":"CREATED"' in c and "user_credential" in c for c in audited)
        assert all(password not in c for c in audited)
    engine.dispose()

    code, out, _err = hub(monkeypatch, "users", "list")
    assert code == 0
    assert f"mosovo.one\tT-POL\tMOSOVO_OFFICER\t{NEXT_YEAR}\tactive no-mfa" in out


def test_create_reads_the_password_from_stdin_and_applies_the_policy(
    hub_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, _out, err = hub(monkeypatch, *CREATE, NEXT_YEAR, "--password-stdin", stdin="too short\n")
    assert code == 1
    assert err.strip() == "hub: error: password: must be at least 12 characters"
    code, out, _err = hub(
        monkeypatch, *CREATE, NEXT_YEAR, "--password-stdin", stdin="a synthetic passphrase\n"
    )
    assert code == 0
    assert "initial password" not in out


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"--agency": "NOPE"}, "hub: error: agency: no agency with code 'NOPE'"),
        ({"--vetting-expires": "31/12/2027"}, "hub: error: vetting_expires: must be a date"),
        ({"--vetting-expires": "2020-01-01"}, "hub: error: vetting_expires: is in the past"),
        ({"--role": "CHAIR"}, "hub: error: roles[0]: must be one of"),
        ({"--role": "COSA_VOLUNTEER"}, "hub: error: roles[0]: COSA_VOLUNTEER cannot be held"),
    ],
)
def test_create_refuses_bad_input_naming_the_field(
    hub_database: str, monkeypatch: pytest.MonkeyPatch, change: dict[str, str], message: str
) -> None:
    args = [*CREATE, NEXT_YEAR]
    for option, value in change.items():
        args[args.index(option) + 1] = value
    code, out, err = hub(monkeypatch, *args)
    assert code == 1
    assert err.startswith(message)
    assert out == ""


def test_disable_and_reset_mfa_end_sessions_and_name_an_unknown_username(
    hub_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert hub(monkeypatch, *CREATE, NEXT_YEAR)[0] == 0
    engine = make_engine(hub_database)
    with make_sessionmaker(engine).begin() as session:
        user = session.scalars(select(User).where(User.username == "mosovo.one")).one()
        now = utcnow()
        session.add(
            UserSession(
                token_hash="0" * 64,
                user_id=user.id,
                expires_at=now + timedelta(hours=1),
                mfa_passed_at=now,
            )
        )
    code, out, _err = hub(monkeypatch, "users", "reset-mfa", "mosovo.one")
    assert code == 0
    assert "1 session(s) ended" in out
    code, out, _err = hub(monkeypatch, "users", "disable", "Mosovo.One")
    assert (code, out.strip()) == (0, "disabled mosovo.one; 0 session(s) ended")
    assert "active" not in hub(monkeypatch, "users", "list")[1].split("\t")[-1]
    code, _out, err = hub(monkeypatch, "users", "disable", "nobody")
    assert (code, err.strip()) == (1, "hub: error: username: no account has this username")
    with make_sessionmaker(engine)() as session:
        operations = [
            (r.operation.value, '"outcome":"MFA_RESET"' in r.canonical)
            for r in session.scalars(select(AuditRecord).order_by(AuditRecord.seq))
        ]
        assert ("ALTER", True) in operations
    engine.dispose()
