"""A gate over the shipped policy set, and a reader for any demo user."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from hub.demo.agencies import DemoOrganisation
from hub.gate import Gate, Reader
from hub.policy import PolicySet

POLICIES = Path(__file__).resolve().parents[2] / "policies"


@pytest.fixture(scope="session")
def gate() -> Gate:
    return Gate(PolicySet.load(POLICIES))


ReaderFor = Callable[..., Reader]


@pytest.fixture
def reader_for(session: Session, org: DemoOrganisation) -> ReaderFor:
    def make(
        username: str,
        purpose: str | None = "RISK_MANAGEMENT",
        *,
        justification: str | None = None,
        break_glass: bool = False,
    ) -> Reader:
        actor = dataclasses.replace(
            org.actor(username), purpose=purpose, justification=justification
        )
        return Reader.of(session, actor, break_glass=break_glass)

    return make
