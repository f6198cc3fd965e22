"""The notification rules of a batch (R-32 to R-35, domain.md §4.1): derived dates,
expected weekly notifications, missed ones as breach candidates, overdue annual ones."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import select

from hub.casework import notifications as rules
from hub.casework.batch import Batch
from hub.casework.kinds import TaskKind
from hub.models import (
    MappaCase,
    NotificationEvent,
    NotificationRequirement,
)
from hub.vocabulary import (
    AuditOperation,
    NotificationEventStatus,
    NotificationEventType,
)


class NotificationRules(Batch):
    # -- R-32 to R-35 ----------------------------------------------------------------------

    def notifications(self) -> None:
        requirements = self.session.scalars(
            select(NotificationRequirement)
            .join(MappaCase, MappaCase.person_id == NotificationRequirement.person_id)
            .where(self.in_batch)
        ).all()
        if not requirements:
            return
        events: dict[uuid.UUID, list[NotificationEvent]] = {r.id: [] for r in requirements}
        for event in self.session.scalars(
            select(NotificationEvent)
            .join(
                NotificationRequirement,
                NotificationRequirement.id == NotificationEvent.requirement_id,
            )
            .join(MappaCase, MappaCase.person_id == NotificationRequirement.person_id)
            .where(self.in_batch)
        ):
            events.get(event.requirement_id, []).append(event)
        for requirement in requirements:
            self.requirement(requirement, events[requirement.id])

    def requirement(
        self, requirement: NotificationRequirement, events: list[NotificationEvent]
    ) -> None:
        case = self.by_person.get(requirement.person_id)
        if case is None:  # opened after the batch was read: the next run's
            return
        received = [
            rules.Received(e.type, e.received_at.date())
            for e in events
            if e.received_at is not None
        ]
        changed: list[str] = []
        if requirement.end_date is None and requirement.period_years is not None:
            months = round(requirement.period_years * 12)
            period = rules.Period(-(-months // 2) if requirement.halved_for_youth else months)
            requirement.end_date = rules.notification_end_date(requirement.relevant_date, period)
            changed.append("end_date")
        if requirement.indefinite and requirement.review_eligibility_date is None:
            requirement.review_eligibility_date = rules.review_eligibility_date(
                requirement.relevant_date, under_18=requirement.halved_for_youth
            )
            changed.append("review_eligibility_date")
        periodic = rules.next_periodic_due(requirement.relevant_date, received)
        resetting = [r.on for r in received if r.type in rules.RESETS_PERIODIC]
        if requirement.next_periodic_due != periodic:
            requirement.next_periodic_due = periodic
            requirement.last_periodic_notification = max(resetting, default=None)
            changed += ["next_periodic_due", "last_periodic_notification"]
        ended = requirement.end_date is not None and requirement.end_date < self.today
        if changed:
            self.report.requirements_updated += 1
            self.audit(
                AuditOperation.ALTER, "notification_requirement", requirement.id, case, changed
            )
        if ended:
            return
        if periodic < self.today:
            self.task(
                case,
                TaskKind.NOTIFICATION_OVERDUE,
                "R-34",
                f"periodic:{requirement.id}:{periodic}",
                owner=requirement.owning_agency_id,
                due=periodic,
                reason=f"Annual notification was due {periodic}",
            )
        weekly_events = [e for e in events if e.type is NotificationEventType.WEEKLY_NFA]
        expecting = any(e.status is NotificationEventStatus.DUE for e in weekly_events)
        if requirement.weekly_required and not expecting:
            last_expected = max((e.due_by for e in weekly_events), default=None)
            due = rules.next_expected_weekly(
                requirement.relevant_date, received, last_expected, self.today
            )
            event = NotificationEvent(
                id=uuid.uuid4(),
                requirement_id=requirement.id,
                type=NotificationEventType.WEEKLY_NFA,
                trigger_date=due - timedelta(days=rules.WEEKLY_DAYS),
                due_by=due,
                status=NotificationEventStatus.DUE,
            )
            self.session.add(event)
            events.append(event)
            self.audit(
                AuditOperation.COLLECT,
                "notification_event",
                event.id,
                case,
                ["type", "trigger_date", "due_by", "status"],
            )
        for event in events:
            if event.status is not NotificationEventStatus.DUE:
                continue
            received_on = event.received_at.date() if event.received_at else None
            if not rules.missed(event.due_by, received_on, self.today):
                continue
            event.status = NotificationEventStatus.MISSED
            self.report.notifications_missed += 1
            self.audit(AuditOperation.ALTER, "notification_event", event.id, case, ["status"])
            is_weekly = event.type is NotificationEventType.WEEKLY_NFA
            self.task(
                case,
                TaskKind.BREACH_CANDIDATE,
                "R-35" if is_weekly else "R-33",
                f"event:{event.id}",
                owner=requirement.owning_agency_id,
                due=self.today,
                reason=f"{event.type.value} notification due {event.due_by} was missed",
            )
