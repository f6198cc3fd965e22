"""What every rule of a `hub casework run` batch shares: the batch's cases, its key range,
the drafts and audit entries it collects, and the police agency on each case.

The rules themselves are mixins of `Batch` (batch_notifications.py, batch_visits.py, and the
review, order and child-contact rules in run.py), put together in `run._Batch`.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any, NamedTuple

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from hub.actor import Actor
from hub.audit import AuditEntry
from hub.casework.kinds import TASK_TITLES, TaskKind
from hub.casework.models import Task
from hub.casework.tasks import TaskDraft
from hub.db import utcnow
from hub.models import (
    Agency,
    CaseMembership,
    MappaCase,
)
from hub.settings import Settings
from hub.vocabulary import (
    AgencyType,
    AuditOperation,
    CaseStatus,
)

if TYPE_CHECKING:  # the visit rules' row type; imported there at run time
    from hub.casework.batch_visits import PlanRow


@dataclass
class RunReport:
    cases: int = 0
    batches: int = 0
    tasks: Counter[str] = field(default_factory=Counter)  # new tasks by rule id
    visit_plans_created: int = 0
    visit_plans_changed: int = 0
    reactive_eligible: int = 0
    reactive_ended: int = 0
    notifications_missed: int = 0
    requirements_updated: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "cases": self.cases,
            "batches": self.batches,
            "tasks_created": sum(self.tasks.values()),
            "tasks_by_rule": dict(sorted(self.tasks.items())),
            "visit_plans_created": self.visit_plans_created,
            "visit_plans_changed": self.visit_plans_changed,
            "reactive_eligible": self.reactive_eligible,
            "reactive_ended": self.reactive_ended,
            "notifications_missed": self.notifications_missed,
            "requirements_updated": self.requirements_updated,
        }


class BatchCase(NamedTuple):
    id: uuid.UUID
    person_id: uuid.UUID
    category: int
    level: int
    next_review_due: date | None
    lead_agency_id: uuid.UUID
    owning_agency_id: uuid.UUID


class Batch:
    def __init__(
        self,
        session: Session,
        settings: Settings,
        today: date,
        actor: Actor,
        cases: list[BatchCase],
        report: RunReport,
    ) -> None:
        self.session = session
        self.settings = settings
        self.today = today
        self.actor = actor
        self.cases = {c.id: c for c in cases}
        self.by_person = {c.person_id: c for c in cases}  # one open case per person
        self.report = report
        # The batch as a key range over the case table: every rule's query joins it, so the
        # database walks the primary key instead of parsing thousands of bound ids.
        first, last = cases[0].id, cases[-1].id
        self.in_batch = and_(
            MappaCase.status == CaseStatus.ACTIVE, MappaCase.id >= first, MappaCase.id <= last
        )
        self.drafts: list[TaskDraft] = []
        self.new_plans: list[dict[str, Any]] = []
        self.changed_plans: list[PlanRow] = []
        self.now = utcnow()
        self.entries: list[AuditEntry] = []
        self._police: dict[uuid.UUID, uuid.UUID] | None = None

    def new_drafts(self) -> list[TaskDraft]:
        """The drafts whose task does not exist yet: most of a steady-state run's drafts
        exist, and one read of the batch's task keys is far cheaper than an INSERT of all of
        them for the database to skip (`create_tasks` still skips any made meanwhile)."""
        if not self.drafts:
            return []
        existing: set[tuple[uuid.UUID, str, str]] = {
            (case_id, rule_id, key)
            for case_id, rule_id, key in self.session.execute(
                select(Task.case_id, Task.rule_id, Task.trigger_key)
                .join(MappaCase, MappaCase.id == Task.case_id)
                .where(self.in_batch)
            )
        }
        return [d for d in self.drafts if (d.case_id, d.rule_id, d.trigger_key) not in existing]

    # -- helpers ---------------------------------------------------------------------------

    def task(
        self,
        case: BatchCase,
        kind: TaskKind,
        rule: str,
        key: str,
        *,
        owner: uuid.UUID,
        due: date,
        reason: str,
    ) -> None:
        self.drafts.append(
            TaskDraft(
                case.id, case.person_id, kind, owner, due, rule, key, reason or TASK_TITLES[kind]
            )
        )

    def audit(
        self,
        operation: AuditOperation,
        record_type: str,
        record_id: uuid.UUID,
        case: BatchCase,
        fields: list[str],
    ) -> None:
        self.entries.append(
            AuditEntry(
                operation=operation,
                actor=self.actor,
                record_type=record_type,
                record_ids=(str(record_id),),
                subject_person_id=case.person_id,
                case_id=case.id,
                fields_written=tuple(fields),
            )
        )

    def police_agency(self, case: BatchCase) -> uuid.UUID:
        """Visits and reactive management are police work: the police agency on the case,
        else the lead agency (which then passes it on)."""
        if self._police is None:
            rows = self.session.execute(
                select(CaseMembership.case_id, CaseMembership.agency_id)
                .join(Agency, Agency.id == CaseMembership.agency_id)
                .join(MappaCase, MappaCase.id == CaseMembership.case_id)
                .where(
                    self.in_batch,
                    Agency.type == AgencyType.RA_POLICE,
                    or_(CaseMembership.until.is_(None), CaseMembership.until >= self.today),
                )
                .order_by(CaseMembership.since)
            )
            self._police = {}
            for case_id, agency_id in rows:
                self._police.setdefault(case_id, agency_id)
        return self._police.get(case.id, case.lead_agency_id)
