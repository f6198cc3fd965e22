"""Builders for the case-management tests: assessments, orders, notifications in a few words."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, date, datetime, time
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from hub.demo.agencies import DemoOrganisation
from hub.gate import Gate, Reader
from hub.models import MappaCase, RiskAssessment
from hub.policy import PolicySet
from hub.services.assessments import AssessmentInput, record_assessment
from hub.services.cases import add_member
from hub.settings import Settings

POLICIES = Path(__file__).resolve().parents[2] / "policies"

ReaderFor = Callable[..., Reader]


@pytest.fixture(scope="session")
def gate() -> Gate:
    return Gate(PolicySet.load(POLICIES))


@pytest.fixture
def settings() -> Settings:
    return Settings(environment="test")


@pytest.fixture
def reader_for(session: Session, org: DemoOrganisation) -> ReaderFor:
    def make(username: str, purpose: str = "RISK_MANAGEMENT") -> Reader:
        return Reader.of(session, dataclasses.replace(org.actor(username), purpose=purpose))

    return make


def moment(day: date) -> datetime:
    return datetime.combine(day, time(10), tzinfo=UTC)


def assess(
    session: Session,
    org: DemoOrganisation,
    case: MappaCase,
    band: str,
    on: date,
    *,
    by: str = "mosovo",
    tool: str = "ARMS",
) -> RiskAssessment:
    return record_assessment(
        session,
        org.actor(by),
        AssessmentInput(
            person_id=case.person_id,
            case_id=case.id,
            tool=tool,
            algorithm_version="test-1",
            band=band,
            assessed_at=moment(on),
            source_system="MANUAL",
        ),
    )


def police_on_case(session: Session, org: DemoOrganisation, case: MappaCase) -> None:
    add_member(
        session,
        org.actor("coordinator"),
        case.id,
        org.agencies["DEMO-POL"].id,
        "CASE_MANAGER",
        since=case.start_date,
    )
