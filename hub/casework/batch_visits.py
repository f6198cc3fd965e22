"""The visit and reactive-management rules of a batch (R-45, R-46, scenario 5)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Table, and_, bindparam, insert, or_, select, update

from hub.casework.batch import Batch, BatchCase
from hub.casework.kinds import ReactiveEndReason, TaskKind
from hub.casework.models import ReactiveManagement, VisitPlan
from hub.casework.reactive import Adverse, eligible_since, new_information
from hub.casework.risk import assessments_by_person, latest_band
from hub.casework.visits import default_visit_days, is_overdue, next_visit_due
from hub.cosa.models import Concern
from hub.models import (
    InformationItem,
    MappaCase,
    NotificationEvent,
    NotificationRequirement,
)
from hub.vocabulary import (
    AuditOperation,
    Category,
    NotificationEventStatus,
    NotificationEventType,
    RiskBand,
)

# the notifications that are a change of circumstances.
CHANGES_OF_CIRCUMSTANCES = (
    NotificationEventType.CHANGE_ADDRESS,
    NotificationEventType.CHILD_HOUSEHOLD,
)


@dataclass
class PlanRow:
    """A visit plan as the run reads it: plain columns, not an ORM instance (loading 1,000
    instances a batch cost more than every rule's query together)."""

    id: uuid.UUID
    case_id: uuid.UUID
    risk_band: RiskBand | None
    default_days: int
    override_days: int | None
    last_visit: date | None
    next_due: date
    suspended: bool
    created_at: datetime

    @staticmethod
    def columns() -> tuple[Any, ...]:
        v = VisitPlan
        return (
            v.id,
            v.case_id,
            v.risk_band,
            v.default_days,
            v.override_days,
            v.last_visit,
            v.next_due,
            v.suspended,
            v.created_at,
        )


class VisitRules(Batch):
    # -- R-45, R-46 ------------------------------------------------------------------------

    def visits_and_reactive_management(self) -> None:
        first = [c for c in self.cases.values() if c.category == 1]
        if not first:
            return
        category_1 = and_(self.in_batch, MappaCase.category == 1)
        plans = {
            row.case_id: PlanRow(*row)
            for row in self.session.execute(
                select(*PlanRow.columns())
                .join(MappaCase, MappaCase.id == VisitPlan.case_id)
                .where(category_1)
            )
        }
        reactive = {
            r.case_id: r
            for r in self.session.scalars(
                select(ReactiveManagement)
                .join(MappaCase, MappaCase.id == ReactiveManagement.case_id)
                .where(category_1)
            )
        }
        levels, police = assessments_by_person(self.session, category_1)
        adverse = self.adverse_events(category_1)
        for case in first:
            history = police.get(case.person_id, [])
            found = adverse.get(case.id, [])
            record = reactive.get(case.id)
            ended = False
            if record is not None and record.active:
                assert record.started_on is not None
                info = new_information(record.started_on, history, found)
                if info is not None:
                    self.end_reactive(case, record, info)
                    ended = True
            else:
                since = eligible_since(
                    history,
                    found,
                    today=self.today,
                    years=self.settings.reactive_management_low_years,
                )
                if since is not None:
                    self.report.reactive_eligible += 1
                if record is None and since is not None:
                    record = ReactiveManagement(
                        id=uuid.uuid4(),
                        case_id=case.id,
                        eligible_since=since,
                        assessed_on=self.today,
                        active=False,
                        version=1,
                    )
                    self.session.add(record)
                    self.audit(
                        AuditOperation.COLLECT,
                        "reactive_management",
                        record.id,
                        case,
                        ["eligible_since", "assessed_on"],
                    )
                elif record is not None and record.eligible_since != since:
                    record.eligible_since = since
                    record.assessed_on = self.today
                    self.audit(
                        AuditOperation.ALTER,
                        "reactive_management",
                        record.id,
                        case,
                        ["eligible_since", "assessed_on"],
                    )
            active = record is not None and record.active
            self.visit_plan(
                case, plans.get(case.id), latest_band(levels.get(case.person_id, [])), active, ended
            )

    def adverse_events(self, cases: ColumnElement[bool]) -> dict[uuid.UUID, list[Adverse]]:
        found: dict[uuid.UUID, list[Adverse]] = {}
        intelligence = self.session.execute(
            select(InformationItem.case_id, InformationItem.received_at)
            .join(MappaCase, MappaCase.id == InformationItem.case_id)
            .where(cases, InformationItem.category == Category.INTELLIGENCE)
        )
        for case_id, received_at in intelligence:
            found.setdefault(case_id, []).append(
                Adverse(received_at.date(), ReactiveEndReason.INTELLIGENCE)
            )
        concerns = self.session.execute(
            select(Concern.case_id, Concern.raised_at)
            .join(MappaCase, MappaCase.id == Concern.case_id)
            .where(cases)
        )
        for case_id, raised_at in concerns:
            found.setdefault(case_id, []).append(
                Adverse(raised_at.date(), ReactiveEndReason.CONCERN)
            )
        events = self.session.execute(
            select(
                NotificationRequirement.person_id,
                NotificationEvent.type,
                NotificationEvent.trigger_date,
                NotificationEvent.due_by,
                NotificationEvent.status,
            )
            .join(NotificationEvent, NotificationEvent.requirement_id == NotificationRequirement.id)
            .join(MappaCase, MappaCase.person_id == NotificationRequirement.person_id)
            .where(
                cases,
                or_(
                    NotificationEvent.type.in_(CHANGES_OF_CIRCUMSTANCES),
                    NotificationEvent.status == NotificationEventStatus.MISSED,
                ),
            )
        )
        for person_id, _kind, trigger, due_by, status in events:
            adverse = (
                Adverse(due_by, ReactiveEndReason.BREACH)
                if status is NotificationEventStatus.MISSED
                else Adverse(trigger, ReactiveEndReason.CHANGE_OF_CIRCUMSTANCES)
            )
            if person_id in self.by_person:
                found.setdefault(self.by_person[person_id].id, []).append(adverse)
        return found

    def end_reactive(self, case: BatchCase, record: ReactiveManagement, info: Adverse) -> None:
        started = record.started_on
        record.active = False
        record.ended_on = self.today
        record.end_reason = info.reason
        record.eligible_since = None
        self.report.reactive_ended += 1
        self.audit(
            AuditOperation.ALTER,
            "reactive_management",
            record.id,
            case,
            ["active", "ended_on", "end_reason", "eligible_since"],
        )
        owner = self.police_agency(case)
        reason = (
            f"Reactive management ended: {info.reason.value.replace('_', ' ').lower()} on {info.on}"
        )
        self.task(
            case,
            TaskKind.REVIEW_AFTER_NEW_INFORMATION,
            "R-45",
            f"reactive:{started}:review",
            owner=owner,
            due=self.today + timedelta(days=7),
            reason=reason,
        )
        self.task(
            case,
            TaskKind.RISK_ASSESSMENT_DUE,
            "R-45",
            f"reactive:{started}:assessment",
            owner=owner,
            due=self.today + timedelta(days=28),
            reason=reason,
        )

    def visit_plan(
        self,
        case: BatchCase,
        plan: PlanRow | None,
        band: RiskBand | None,
        reactive: bool,
        restored: bool,
    ) -> None:
        days = default_visit_days(band, self.settings)
        if plan is None:
            plan_id = uuid.uuid4()
            self.new_plans.append(
                {
                    "id": plan_id,
                    "case_id": case.id,
                    "risk_band": band,
                    "default_days": days,
                    "next_due": next_visit_due(self.today, days),
                    "suspended": reactive,
                    "created_at": self.now,
                    "updated_at": self.now,
                    "version": 1,
                }
            )
            self.report.visit_plans_created += 1
            self.audit(
                AuditOperation.COLLECT,
                "visit_plan",
                plan_id,
                case,
                ["risk_band", "default_days", "next_due", "suspended"],
            )
            return
        changed: list[str] = []
        if plan.risk_band != band or plan.default_days != days:
            plan.risk_band, plan.default_days = band, days
            changed += ["risk_band", "default_days"]
            if plan.override_days is None:
                anchor = plan.last_visit or plan.created_at.date()
                plan.next_due = next_visit_due(anchor, days)
                changed.append("next_due")
        if restored and plan.suspended:
            # Scenario 5: the visits come back, the first one a frequency from today at most.
            plan.suspended = False
            frequency = plan.override_days or plan.default_days
            plan.next_due = min(plan.next_due, next_visit_due(self.today, frequency))
            changed += ["suspended", "next_due"]
        elif reactive and not plan.suspended:
            plan.suspended = True
            changed.append("suspended")
        if changed:
            self.report.visit_plans_changed += 1
            self.changed_plans.append(plan)
            self.audit(AuditOperation.ALTER, "visit_plan", plan.id, case, sorted(set(changed)))
        if is_overdue(plan.next_due, suspended=plan.suspended, today=self.today):
            self.task(
                case,
                TaskKind.VISIT_OVERDUE,
                "R-46",
                f"visit:{plan.next_due}",
                owner=self.police_agency(case),
                due=plan.next_due,
                reason=f"Home visit was due {plan.next_due}",
            )

    def write_plans(self) -> None:
        """New plans in one INSERT, changed ones in one executemany UPDATE (version bumped:
        an edit made meanwhile on the page then fails its optimistic check)."""
        table: Table = VisitPlan.__table__  # type: ignore[assignment]
        if self.new_plans:
            self.session.execute(insert(table), self.new_plans)
        if self.changed_plans:
            self.session.execute(
                update(table)
                .where(table.c.id == bindparam("plan_id"))
                .values(
                    risk_band=bindparam("risk_band"),
                    default_days=bindparam("default_days"),
                    next_due=bindparam("next_due"),
                    suspended=bindparam("suspended"),
                    updated_at=self.now,
                    version=table.c.version + 1,
                ),
                [
                    {
                        "plan_id": p.id,
                        "risk_band": p.risk_band,
                        "default_days": p.default_days,
                        "next_due": p.next_due,
                        "suspended": p.suspended,
                    }
                    for p in self.changed_plans
                ],
            )
