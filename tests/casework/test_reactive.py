"""Starting reactive management (R-45): a police decision, for eligible cases only."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.casework import reactive
from hub.casework.models import ReactiveManagement, VisitPlan
from hub.casework.run import run
from hub.casework.visits import NotPermitted
from hub.demo.agencies import DemoOrganisation
from hub.errors import Conflict, NotFound, RuleViolation
from hub.gate import Gate
from hub.settings import Settings
from tests.casework.conftest import ReaderFor, assess, police_on_case
from tests.helpers import TODAY, audit_documents, new_case


def test_r45_the_police_start_reactive_management_on_an_eligible_case_and_visits_stop(
    session: Session, org: DemoOrganisation, gate: Gate, reader_for: ReaderFor
) -> None:
    """R-45: eligible -> a police officer starts it; the visit plan is suspended (R-46)."""
    case = new_case(session, org, category=1)
    police_on_case(session, org, case)
    assess(session, org, case, "LOW", TODAY - timedelta(days=3 * 365 + 30))
    settings = Settings(environment="test")
    run(session, settings, TODAY, batch_size=100)
    record = session.scalars(
        select(ReactiveManagement).where(ReactiveManagement.case_id == case.id)
    ).one()
    with pytest.raises(NotPermitted):
        reactive.start(
            session,
            gate.policy,
            reader_for("coordinator"),
            case.id,
            expected_version=record.version,
            today=TODAY,
        )
    with pytest.raises(Conflict):
        reactive.start(
            session, gate.policy, reader_for("mosovo"), case.id, expected_version=99, today=TODAY
        )
    reactive.start(
        session,
        gate.policy,
        reader_for("mosovo"),
        case.id,
        expected_version=record.version,
        today=TODAY,
    )
    assert record.active
    assert record.started_on == TODAY
    plan = session.scalars(select(VisitPlan).where(VisitPlan.case_id == case.id)).one()
    assert plan.suspended
    assert audit_documents(session, record_type="reactive_management", operation="ALTER")
    later = run(session, settings, TODAY + timedelta(days=400), batch_size=100)
    assert later.tasks["R-46"] == 0  # no home visits while reactive


def test_r45_an_ineligible_case_cannot_be_started_and_a_hidden_one_is_not_found(
    session: Session, org: DemoOrganisation, gate: Gate, reader_for: ReaderFor
) -> None:
    case = new_case(session, org, category=1)
    police_on_case(session, org, case)
    assess(session, org, case, "LOW", TODAY - timedelta(days=3 * 365 + 30))
    run(session, Settings(environment="test"), TODAY, batch_size=100)
    record = session.scalars(
        select(ReactiveManagement).where(ReactiveManagement.case_id == case.id)
    ).one()
    record.eligible_since = None  # as if new information had arrived
    session.flush()
    with pytest.raises(RuleViolation, match="R-45"):
        reactive.start(
            session,
            gate.policy,
            reader_for("mosovo"),
            case.id,
            expected_version=record.version,
            today=TODAY,
        )
    hidden = new_case(session, org, category=1)
    with pytest.raises(NotFound):
        reactive.start(
            session, gate.policy, reader_for("mosovo"), hidden.id, expected_version=1, today=TODAY
        )
