"""Tasks: created by rules, idempotently; listed through the gate; completed by their agency.

A task is case data (it says a case exists and what is wrong with it), so a reader sees a task
only on a case the gate's list filter lets them see, and every task shown is audited as
consulted. Rules create tasks in bulk with one INSERT per batch that skips what already
exists (the unique key is case, rule and trigger), so running a rule twice never doubles one.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Table, and_, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from hub.actor import Actor
from hub.audit import AuditEntry, record_many
from hub.casework.kinds import TaskKind, TaskOutcome, TaskStatus
from hub.casework.models import Task
from hub.db import utcnow
from hub.errors import Conflict, InvalidInput
from hub.gate import Reader, case_filter, not_found
from hub.models import MappaCase
from hub.policy import PolicySet
from hub.services.checks import parse_enum
from hub.services.recording import audit_write
from hub.vocabulary import AuditOperation

TASK_FIELDS = ("case_id", "kind", "owning_agency_id", "due_date", "status", "rule_id", "reason")
MAX_PER_PAGE = 200


@dataclass(frozen=True)
class TaskDraft:
    """What a rule asks for; `trigger_key` (ids and dates only) makes it idempotent."""

    case_id: uuid.UUID
    person_id: uuid.UUID
    kind: TaskKind
    owning_agency_id: uuid.UUID
    due_date: date
    rule_id: str
    trigger_key: str
    reason: str


def create_tasks(
    session: Session, actor: Actor, drafts: Sequence[TaskDraft]
) -> dict[uuid.UUID, TaskDraft]:
    """Insert the tasks not yet made; audit each new one as COLLECT. Returns the new ones by id.

    ON CONFLICT DO NOTHING makes a second run, or two runs at once, a no-op for tasks that
    exist; RETURNING tells which rows this call wrote, so only they are audited.
    """
    if not drafts:
        return {}
    now = utcnow()
    unique: dict[tuple[uuid.UUID, str, str], TaskDraft] = {}
    for d in drafts:
        unique.setdefault((d.case_id, d.rule_id, d.trigger_key), d)
    ids = [uuid.uuid4() for _ in unique]
    rows = [
        {
            "id": task_id,
            "case_id": d.case_id,
            "kind": d.kind,
            "owning_agency_id": d.owning_agency_id,
            "due_date": d.due_date,
            "status": TaskStatus.OPEN,
            "rule_id": d.rule_id,
            "trigger_key": d.trigger_key[:120],
            "reason": d.reason[:300],
            "created_at": now,
            "updated_at": now,
            "version": 1,
        }
        for task_id, d in zip(ids, unique.values(), strict=True)
    ]
    table: Table = Task.__table__  # type: ignore[assignment]
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(table)
        .on_conflict_do_nothing(index_elements=["case_id", "rule_id", "trigger_key"])
        .returning(table.c.id)
    )
    made = set(session.scalars(statement, rows).all())
    by_id = dict(zip(ids, unique.values(), strict=True))
    record_many(
        session,
        [
            AuditEntry(
                operation=AuditOperation.COLLECT,
                actor=actor,
                record_type="casework_task",
                record_ids=(str(task_id),),
                subject_person_id=by_id[task_id].person_id,
                case_id=by_id[task_id].case_id,
                fields_written=TASK_FIELDS,
                outcome=by_id[task_id].rule_id,
            )
            for task_id in by_id
            if task_id in made
        ],
    )
    return {task_id: draft for task_id, draft in by_id.items() if task_id in made}


@dataclass(frozen=True)
class ListedTask:
    task: Task
    category: int
    level: int


@dataclass(frozen=True)
class TaskPage:
    tasks: list[ListedTask]
    total: int
    page: int
    per_page: int


def agency_tasks(
    session: Session,
    policy: PolicySet,
    reader: Reader,
    *,
    today: date,
    status: TaskStatus | None = TaskStatus.OPEN,
    page: int = 1,
    per_page: int = 50,
) -> TaskPage:
    """The reader's agency's tasks on cases the reader may list, soonest due first.

    Filtered in SQL by the gate's own clause; each task shown is audited as consulted, in
    the caller's transaction, before anything is returned.
    """
    if page < 1:
        raise InvalidInput("page", "must be 1 or more")
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise InvalidInput("per_page", f"must be between 1 and {MAX_PER_PAGE}")
    where = and_(
        Task.owning_agency_id == reader.actor.agency_id,
        case_filter(policy, reader, "list", today),
    )
    if status is not None:
        where = and_(where, Task.status == status)
    joined = select(Task, MappaCase.category, MappaCase.current_level, MappaCase.person_id).join(
        MappaCase, MappaCase.id == Task.case_id
    )
    total = (
        session.scalar(
            select(func.count())
            .select_from(Task)
            .join(MappaCase, MappaCase.id == Task.case_id)
            .where(where)
        )
        or 0
    )
    rows = session.execute(
        joined.where(where)
        .order_by(Task.due_date, Task.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    _consulted(session, reader, [(r[0], r[3]) for r in rows], action="list")
    return TaskPage([ListedTask(r[0], r[1], r[2]) for r in rows], total, page, per_page)


def complete_task(
    session: Session,
    policy: PolicySet,
    reader: Reader,
    task_id: uuid.UUID,
    *,
    outcome: str,
    expected_version: int,
    today: date,
) -> Task:
    """Close a task with its outcome. Only the owning agency closes it, on a case its person
    may see; anyone else is told what a missing task would tell them (404)."""
    task = _visible_task(session, policy, reader, task_id, today)
    chosen = parse_enum(TaskOutcome, outcome, "outcome")
    if task.version != expected_version:
        raise Conflict("the task changed since you read it; reload it and try again")
    if task.status is not TaskStatus.OPEN:
        raise InvalidInput("outcome", "the task is already closed")
    task.status = TaskStatus.DONE
    task.outcome = chosen
    task.completed_at = utcnow()
    task.completed_by = reader.actor.user_id
    session.flush()
    case = session.get_one(MappaCase, task.case_id)
    audit_write(
        session,
        reader.actor,
        AuditOperation.ALTER,
        "casework_task",
        task.id,
        person_id=case.person_id,
        case_id=case.id,
        fields=("status", "outcome", "completed_at", "completed_by"),
        outcome=task.rule_id,
    )
    return task


def _visible_task(
    session: Session, policy: PolicySet, reader: Reader, task_id: uuid.UUID, today: date
) -> Task:
    found = session.scalar(
        select(Task)
        .join(MappaCase, MappaCase.id == Task.case_id)
        .where(
            Task.id == task_id,
            Task.owning_agency_id == reader.actor.agency_id,
            case_filter(policy, reader, "read", today),
        )
    )
    if found is None:
        raise not_found("task")
    return found


def _consulted(
    session: Session, reader: Reader, shown: list[tuple[Task, uuid.UUID]], *, action: str
) -> None:
    record_many(
        session,
        [
            AuditEntry(
                operation=AuditOperation.CONSULT,
                actor=reader.actor,
                record_type="casework_task",
                record_ids=(str(task.id),),
                subject_person_id=person_id,
                case_id=task.case_id,
                fields_returned=TASK_FIELDS,
                extra={"action": action},
            )
            for task, person_id in shown
        ],
    )


def open_tasks_for_case(session: Session, case_id: uuid.UUID) -> list[Task]:
    """A case's open tasks, for callers that have already read the case through the gate."""
    return list(
        session.scalars(
            select(Task)
            .where(Task.case_id == case_id, Task.status == TaskStatus.OPEN)
            .order_by(Task.due_date)
        )
    )
