"""`hub cosa ...` as an operator or a scheduler runs it (the real command, its own process)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from hub import crypto
from hub.cosa import concerns
from hub.cosa.models import Circle
from hub.cosa.rules import CosaRules
from hub.crypto import runtime
from hub.db import make_engine, make_sessionmaker
from hub.demo.circles import REFERENCE
from hub.models import User
from hub.portal.signin import portal_actor
from hub.settings import Settings
from tests.helpers import hub_env, run_hub

RAISED = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)  # a Friday afternoon


def test_r52_hub_cosa_escalate_is_deterministic_with_now_and_runs_once_per_concern(
    scratch_database_url: str, tmp_path: Path
) -> None:
    env = hub_env(scratch_database_url, tmp_path)
    assert run_hub(["db", "upgrade"], env).returncode == 0
    loaded = run_hub(["demo", "load", "--count", "40", "--seed", "2"], env)
    assert loaded.returncode == 0, loaded.stderr
    settings = Settings(database_url=scratch_database_url, instance_path=tmp_path)
    engine = make_engine(scratch_database_url)
    try:
        with (
            crypto.using(runtime.open_keyring(settings, engine)),
            make_sessionmaker(engine).begin() as session,
        ):
            circle = session.scalars(select(Circle).where(Circle.reference == REFERENCE)).one()
            coordinator = session.get(User, circle.coordinator_user_id)
            assert coordinator is not None
            concern = concerns.raise_concern(
                session,
                portal_actor(coordinator, None, "COSA_SUPPORT"),
                circle.id,
                category="RISK_INDICATOR",
                severity="SIGNIFICANT",
                description="Talked about a new friend with two young children.",
                reported_by_volunteer_id=None,
                rules=CosaRules(),
                now=RAISED,
            )
            concern_id = str(concern.id)
    finally:
        engine.dispose()

    early = run_hub(["cosa", "escalate", "--now", "2026-11-23T14:59:00Z"], env)  # Monday
    assert early.returncode == 0, early.stderr
    assert early.stdout.startswith("escalated 0 concerns")
    late = run_hub(["cosa", "escalate", "--now", "2026-11-23T15:00:00Z"], env)
    assert late.stdout.startswith("escalated 1 concerns"), late.stderr
    again = run_hub(["cosa", "escalate", "--now", "2026-11-30T09:00:00Z"], env)
    assert again.stdout.startswith("escalated 0 concerns")

    refused = run_hub(["cosa", "escalate", "--now", "next tuesday"], env)
    assert refused.returncode == 1
    assert refused.stderr.strip().startswith("hub: error: --now: must be an ISO 8601 time")
    stranger = run_hub(["cosa", "acknowledge", concern_id, "--by", "chair.l2"], env)
    assert stranger.returncode == 1
    assert stranger.stderr.strip() == "hub: error: concern not found"
    outcome = run_hub(
        ["cosa", "outcome", concern_id, "--by", "mosovo", "--text", "Checked; no action needed."],
        env,
    )
    assert outcome.returncode == 0, outcome.stderr
    attach = run_hub(
        ["cosa", "profile", str(circle.id), "address", "1 Any Street", "--by", "mosovo"], env
    )
    assert attach.returncode == 1
    assert attach.stderr.startswith("hub: error: R-51 (field): 'address' is not in the shared")
