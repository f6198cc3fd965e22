"""Pruning the outbox: finished events and their delivery records, after the retention.

An event is finished once it has been fanned out and every delivery of it is DELIVERED,
WITHHELD or DEAD (or no subscription wanted it). Once it and the last of its deliveries have
been finished for longer than the retention (`HUB_EVENT_RETENTION_DAYS`, 30 days by default),
`prune` deletes the deliveries and then the event, `batch_size` events per transaction. An
event not yet fanned out, or with a delivery still PENDING, is never touched, whatever its
age; nor is a DEAD delivery younger than the retention (an operator may still retry it).

What was disclosed stays in the audit trail (the DISCLOSE entries of each delivery, R-21);
only the delivery bookkeeping goes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, delete, exists, or_, select
from sqlalchemy.orm import Session

from hub.events.models import EventDelivery, EventDeliveryStatus, OutboxEvent

RETENTION_SETTING = "HUB_EVENT_RETENTION_DAYS"
DEFAULT_RETENTION_DAYS = 30
MIN_RETENTION_DAYS, MAX_RETENTION_DAYS = 1, 3650
BATCH_SIZE = 1000
FINISHED = (
    EventDeliveryStatus.DELIVERED,
    EventDeliveryStatus.WITHHELD,
    EventDeliveryStatus.DEAD,
)


def retention_days(environ: Mapping[str, str] | None = None) -> int:
    """`HUB_EVENT_RETENTION_DAYS` (1 to 3650; default 30), refused by name if malformed."""
    from hub.settings import Settings

    return Settings.from_env(environ).event_retention_days


@dataclass
class Pruned:
    events: int = 0
    deliveries: int = 0
    batches: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"events": self.events, "deliveries": self.deliveries, "batches": self.batches}


def prune(
    session: Session,
    *,
    before: datetime,
    batch_size: int = BATCH_SIZE,
    commit: Callable[[], None] | None = None,
) -> Pruned:
    """Delete the events finished before `before`, with their deliveries; `commit` after
    each batch of at most `batch_size` events."""
    report = Pruned()
    unfinished = exists().where(
        EventDelivery.event_id == OutboxEvent.id,
        or_(
            EventDelivery.status.not_in(FINISHED),
            EventDelivery.finished_at.is_(None),
            EventDelivery.finished_at >= before,
        ),
    )
    while True:
        ids = session.scalars(
            select(OutboxEvent.id)
            .where(OutboxEvent.fanned_out.is_(True), OutboxEvent.occurred_at < before, ~unfinished)
            .order_by(OutboxEvent.occurred_at, OutboxEvent.id)
            .limit(batch_size)
            .with_for_update(skip_locked=True)
        ).all()
        if not ids:
            break
        # The conditions again in each DELETE: a delivery made PENDING meanwhile (`hub events
        # retry`) is re-checked by PostgreSQL as it deletes, and keeps itself and its event.
        deliveries = _deleted(
            session,
            delete(EventDelivery).where(
                EventDelivery.event_id.in_(ids),
                EventDelivery.status.in_(FINISHED),
                EventDelivery.finished_at < before,
            ),
        )
        events = _deleted(
            session,
            delete(OutboxEvent).where(
                OutboxEvent.id.in_(ids),
                ~exists().where(EventDelivery.event_id == OutboxEvent.id),
            ),
        )
        report.events += events
        report.deliveries += deliveries
        report.batches += 1
        if commit is not None:
            commit()
    return report


def _deleted(session: Session, statement: Any) -> int:
    result = cast(
        "CursorResult[Any]",
        session.execute(statement.execution_options(synchronize_session=False)),
    )
    return int(result.rowcount)
