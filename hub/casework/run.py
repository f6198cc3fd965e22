"""`hub casework run`: every case-management rule over every active case, batch by batch.

Each batch of cases (keyset order, `batch_size` at a time) is read with one query per rule,
never one per case; tasks are inserted in one statement per batch, skipping those that exist,
and every row the run writes is audited (COLLECT or ALTER, actor: the hub itself) in the
batch's own transaction. A run can stop anywhere and be run again: nothing doubles.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub.actor import hub_actor
from hub.audit import record_many
from hub.casework.batch import BatchCase, RunReport
from hub.casework.batch_notifications import NotificationRules
from hub.casework.batch_visits import VisitRules
from hub.casework.kinds import RoshGroup, TaskKind
from hub.casework.models import RoshGroupLevel
from hub.casework.reviews import ReviewState, review_state
from hub.casework.tasks import create_tasks
from hub.meetings.models import ChildContact
from hub.models import (
    CivilOrder,
    MappaCase,
    OrderProhibition,
    RiskAssessment,
)
from hub.settings import Settings
from hub.vocabulary import (
    AssessmentStatus,
    CaseStatus,
    RiskBand,
    RiskTool,
)

R48_FLOOR = (RiskBand.MEDIUM, RiskBand.HIGH, RiskBand.VERY_HIGH)


def run(
    session: Session,
    settings: Settings,
    today: date,
    *,
    batch_size: int = 2000,
    commit: Callable[[], None] | None = None,
) -> RunReport:
    """Evaluate every rule over every active case; `commit` is called after each batch."""
    report = RunReport()
    actor = hub_actor("RISK_MANAGEMENT")
    last: uuid.UUID | None = None
    while True:
        query = select(
            MappaCase.id,
            MappaCase.person_id,
            MappaCase.category,
            MappaCase.current_level,
            MappaCase.next_review_due,
            MappaCase.lead_agency_id,
            MappaCase.owning_agency_id,
        ).where(MappaCase.status == CaseStatus.ACTIVE)
        if last is not None:
            query = query.where(MappaCase.id > last)
        rows = session.execute(query.order_by(MappaCase.id).limit(batch_size)).all()
        if not rows:
            break
        cases = [BatchCase(*row) for row in rows]
        _Batch(session, settings, today, actor, cases, report).evaluate()
        report.cases += len(cases)
        report.batches += 1
        if commit is not None:
            commit()
        last = cases[-1].id
    return report


class _Batch(NotificationRules, VisitRules):
    """Every rule, over one batch."""

    def evaluate(self) -> None:
        self.reviews()
        self.expiring_orders()
        self.notifications()
        self.visits_and_reactive_management()
        self.child_contact_prompts()
        self.session.flush()
        self.write_plans()
        record_many(self.session, self.entries)
        made = create_tasks(self.session, self.actor, self.new_drafts())
        self.report.tasks.update(draft.rule_id for draft in made.values())

    # -- R-06 ------------------------------------------------------------------------------

    def reviews(self) -> None:
        for case in self.cases.values():
            if review_state(case.level, case.next_review_due, self.today) is ReviewState.OVERDUE:
                self.task(
                    case,
                    TaskKind.REVIEW_OVERDUE,
                    "R-06",
                    f"review:{case.next_review_due}",
                    owner=case.owning_agency_id,
                    due=self.today,
                    reason=f"Level {case.level} review was due {case.next_review_due}",
                )

    # -- R-41 ------------------------------------------------------------------------------

    def expiring_orders(self) -> None:
        horizon = self.today + timedelta(days=self.settings.order_expiry_warning_days)
        orders = self.session.execute(
            select(CivilOrder.id, CivilOrder.person_id, CivilOrder.type, CivilOrder.end_date)
            .join(MappaCase, MappaCase.person_id == CivilOrder.person_id)
            .where(
                self.in_batch,
                CivilOrder.until_further_order.is_(False),
                CivilOrder.end_date.between(self.today, horizon),
            )
        )
        for order_id, person_id, kind, end in orders:
            case = self.by_person.get(person_id)
            if case is None:  # opened after the batch was read: the next run's
                continue
            self.task(
                case,
                TaskKind.CONSIDER_ORDER_RENEWAL,
                "R-41",
                f"order:{order_id}:{end}",
                owner=case.lead_agency_id,
                due=end or self.today,
                reason=f"{kind.value} ends {end}: consider renewal or variation",
            )
        prohibitions = self.session.execute(
            select(
                OrderProhibition.id,
                CivilOrder.person_id,
                OrderProhibition.category,
                OrderProhibition.end_date,
            )
            .join(CivilOrder, CivilOrder.id == OrderProhibition.order_id)
            .join(MappaCase, MappaCase.person_id == CivilOrder.person_id)
            .where(
                self.in_batch,
                OrderProhibition.until_further_order.is_(False),
                OrderProhibition.end_date.between(self.today, horizon),
            )
        )
        for prohibition_id, person_id, category, end in prohibitions:
            case = self.by_person.get(person_id)
            if case is None:  # opened after the batch was read: the next run's
                continue
            self.task(
                case,
                TaskKind.CONSIDER_ORDER_RENEWAL,
                "R-41",
                f"prohibition:{prohibition_id}:{end}",
                owner=case.lead_agency_id,
                due=end or self.today,
                reason=f"{category.value} prohibition ends {end}: consider renewal or variation",
            )

    # -- R-48 ------------------------------------------------------------------------------

    def child_contact_prompts(self) -> None:
        ranked = (
            select(
                RiskAssessment.id.label("assessment_id"),
                RiskAssessment.person_id.label("person_id"),
                func.row_number()
                .over(
                    partition_by=RiskAssessment.person_id,
                    order_by=RiskAssessment.assessed_at.desc(),
                )
                .label("n"),
            )
            .join(MappaCase, MappaCase.person_id == RiskAssessment.person_id)
            .where(
                self.in_batch,
                RiskAssessment.tool == RiskTool.OASYS_ROSH,
                RiskAssessment.status == AssessmentStatus.COMPLETE,
            )
            .subquery()
        )
        flagged = self.session.execute(
            select(ranked.c.person_id, ranked.c.assessment_id, RoshGroupLevel.level)
            .join(RoshGroupLevel, RoshGroupLevel.assessment_id == ranked.c.assessment_id)
            .where(
                ranked.c.n == 1,
                RoshGroupLevel.risk_group == RoshGroup.CHILDREN,
                RoshGroupLevel.level.in_(R48_FLOOR),
            )
        ).all()
        if not flagged:
            return
        with_children = set(
            self.session.scalars(
                select(ChildContact.case_id)
                .join(MappaCase, MappaCase.id == ChildContact.case_id)
                .where(self.in_batch)
            )
        )
        for person_id, assessment_id, level in flagged:
            case = self.by_person.get(person_id)
            if case is None:  # opened after the batch was read: the next run's
                continue
            if case.id in with_children:
                continue
            due = case.next_review_due or self.today + timedelta(days=28)
            self.task(
                case,
                TaskKind.CONFIRM_NO_CHILD_CONTACT,
                "R-48",
                f"rosh:{assessment_id}:{case.next_review_due or ''}",
                owner=case.lead_agency_id,
                due=due,
                reason=f"ROSH to children is {level.value.replace('_', ' ').lower()} "
                "and no child contact is recorded",
            )
