"""The demo gains sign-ins only when HUB_ENV=demo, and they work."""

from __future__ import annotations

import io
import sys
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub import crypto, migrations
from hub.accounts import totp
from hub.accounts.models import UserCredential
from hub.accounts.service import Attempt, check_password, verify_code
from hub.cli import main
from hub.db import make_engine, make_sessionmaker, utcnow
from hub.demo.load import load_demo
from hub.demo.sign_ins import DEMO_PASSWORD, DEMO_USERS, create_demo_sign_ins
from tests.accounts.conftest import AccountPolicy


def test_demo_sign_ins_can_sign_in_with_the_printed_key(
    session: Session, policy: AccountPolicy
) -> None:
    load_demo(session, count=1, seed=1, area="Test Area", today=date(2026, 11, 1))
    made = create_demo_sign_ins(session, policy)
    assert [m.username for m in made] == list(DEMO_USERS)
    now = utcnow()
    accepted = check_password(
        session, policy, Attempt(now), username="chair.l2", password=DEMO_PASSWORD
    )
    assert accepted is not None
    assert accepted.enrolled
    code = totp.code_at(made[0].secret, now)
    assert verify_code(session, policy, Attempt(now), token=accepted.token, code=code)


def test_outside_the_demo_environment_the_load_makes_no_sign_ins(
    scratch_database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    migrations.upgrade(scratch_database_url)
    monkeypatch.setenv("HUB_DATABASE_URL", scratch_database_url)
    monkeypatch.setenv("HUB_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("HUB_ENV", "development")
    monkeypatch.setattr(sys, "argv", ["hub", "demo", "load", "--count", "1"])
    out = io.StringIO()
    monkeypatch.setattr(sys, "stdout", out)
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    with crypto.using(crypto.current()):  # the command installs its own; put ours back
        main()
    assert "loaded 1 synthetic cases" in out.getvalue()
    assert "demo sign-ins" not in out.getvalue()
    engine = make_engine(scratch_database_url)
    with make_sessionmaker(engine)() as session:
        assert session.scalar(select(func.count()).select_from(UserCredential)) == 0
    engine.dispose()
