"""Tasks as case data: listed through the gate's case visibility, completed by their agency."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from hub.actor import hub_actor
from hub.casework.kinds import TaskKind, TaskOutcome, TaskStatus
from hub.casework.models import Task
from hub.casework.tasks import TaskDraft, agency_tasks, complete_task, create_tasks
from hub.demo.agencies import DemoOrganisation
from hub.errors import Conflict, InvalidInput, NotFound
from hub.gate import Gate
from hub.models import MappaCase
from hub.services.cases import add_member
from tests.casework.conftest import ReaderFor
from tests.helpers import TODAY, audit_documents, new_case


def draft(case: MappaCase, agency_id: object, key: str = "k1") -> TaskDraft:
    return TaskDraft(
        case_id=case.id,
        person_id=case.person_id,
        kind=TaskKind.CONFIRM_NO_CHILD_CONTACT,
        owning_agency_id=agency_id,  # type: ignore[arg-type]
        due_date=TODAY + timedelta(days=7),
        rule_id="R-48",
        trigger_key=key,
        reason="Synthetic reason",
    )


def test_creating_the_same_task_twice_makes_one(session: Session, org: DemoOrganisation) -> None:
    case = new_case(session, org)
    agency = org.agencies["DEMO-PRB"].id
    made = create_tasks(session, hub_actor(), [draft(case, agency), draft(case, agency)])
    assert len(made) == 1
    assert create_tasks(session, hub_actor(), [draft(case, agency)]) == {}
    assert len(create_tasks(session, hub_actor(), [draft(case, agency, "k2")])) == 1
    assert len(audit_documents(session, record_type="casework_task")) == 2


def test_a_reader_never_sees_a_task_on_a_case_they_cannot_see(
    session: Session, org: DemoOrganisation, gate: Gate, reader_for: ReaderFor
) -> None:
    """R-16/R-20 for tasks: the gate's list filter decides, not the task's owner."""
    case = new_case(session, org)
    housing = org.agencies["DEMO-HSG"].id
    create_tasks(session, hub_actor(), [draft(case, housing)])
    reader = reader_for("housing.rep")
    assert agency_tasks(session, gate.policy, reader, today=TODAY).total == 0
    add_member(session, org.actor("coordinator"), case.id, housing, "AGENCY_CONTACT")
    page = agency_tasks(session, gate.policy, reader, today=TODAY)
    assert [t.task.case_id for t in page.tasks] == [case.id]
    consulted = audit_documents(session, record_type="casework_task", operation="CONSULT")
    assert [e["case"] for e in consulted] == [str(case.id)]
    # Another agency's task on a case the reader sees is not "my agency's task".
    coordinator = reader_for("coordinator")
    assert agency_tasks(session, gate.policy, coordinator, today=TODAY).total == 0


def test_a_task_is_completed_with_an_outcome_and_a_stale_completion_is_refused(
    session: Session, org: DemoOrganisation, gate: Gate, reader_for: ReaderFor
) -> None:
    case = new_case(session, org)
    [task_id] = create_tasks(session, hub_actor(), [draft(case, org.agencies["DEMO-PRB"].id)])
    reader = reader_for("coordinator")
    with pytest.raises(InvalidInput, match="outcome"):
        complete_task(
            session, gate.policy, reader, task_id, outcome="", expected_version=1, today=TODAY
        )
    with pytest.raises(Conflict):
        complete_task(
            session,
            gate.policy,
            reader,
            task_id,
            outcome="ACTIONED",
            expected_version=7,
            today=TODAY,
        )
    task = session.get_one(Task, task_id)
    assert task.status is TaskStatus.OPEN  # nothing half-written
    complete_task(
        session, gate.policy, reader, task_id, outcome="actioned", expected_version=1, today=TODAY
    )
    assert (task.status, task.outcome) == (TaskStatus.DONE, TaskOutcome.ACTIONED)
    [altered] = audit_documents(session, record_type="casework_task", operation="ALTER")
    assert altered["record_ids"] == [str(task_id)]
    done = agency_tasks(session, gate.policy, reader, today=TODAY, status=TaskStatus.DONE)
    assert [t.task.id for t in done.tasks] == [task_id]


def test_another_agency_cannot_complete_a_task_it_is_told_does_not_exist(
    session: Session, org: DemoOrganisation, gate: Gate, reader_for: ReaderFor
) -> None:
    case = new_case(session, org)
    [task_id] = create_tasks(session, hub_actor(), [draft(case, org.agencies["DEMO-PRB"].id)])
    with pytest.raises(NotFound):
        complete_task(
            session,
            gate.policy,
            reader_for("mosovo"),
            task_id,
            outcome="ACTIONED",
            expected_version=1,
            today=TODAY,
        )
