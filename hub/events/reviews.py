"""`review.due`: a level 2/3 case's review has fallen due (R-06), told once per review date.

R-06: every level 2/3 case has a `next_review_due`; past it with no meeting held, the case is
OVERDUE. Holding the meeting moves the date on, so a case's review is "due" exactly when its
`next_review_due` is today or earlier. `emit_due_reviews` (run by `hub worker`'s periodic job
on PostgreSQL, and by `hub events emit-due-reviews` from cron anywhere) writes one `review.due`
outbox event per case and review date. It is idempotent: the natural key is (case, due date),
and an event already in the outbox for it is found by a query in the same transaction, so a
second run, or a run racing another, emits nothing new. (The outbox has no unique key that
could hold this; adding one would need a migration.) A new review date, once a meeting has
set it and it falls due in its turn, is a new event.

Only review dates after `today - retention` are announced: an event is pruned once it is older
than the retention (hub.events.pruning), and an event is never emitted before its due date,
so a pruned event's due date is always outside the window and is never announced twice.

Who is told is decided at delivery, as for every event: a subscriber whose agency may not read
the case through the gate gets nothing (WITHHELD, hub.events.delivery).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from hub.events.models import OutboxEvent
from hub.events.outbox import emit
from hub.models import MappaCase
from hub.services.cases import OPEN_STATUSES

REVIEW_DUE = "review.due"
REVIEWED_LEVELS = (2, 3)  # level 1 cases have no MAPPA reviews
BATCH_SIZE = 500
# pg_advisory_xact_lock key: concurrent runs (cron and the worker's periodic job) take turns
# per batch, so each sees what the other committed. SQLite's BEGIN IMMEDIATE does the same.
_LOCK_KEY = 0x6875625F726576  # "hub_rev"


@dataclass
class DueReviews:
    due: int = 0  # cases whose review date has come, within the window
    emitted: int = 0  # of them, those not told before: one new event each

    def as_dict(self) -> dict[str, int]:
        return {"due": self.due, "emitted": self.emitted}


def emit_due_reviews(
    session: Session,
    today: date,
    *,
    retention_days: int,
    batch_size: int = BATCH_SIZE,
    commit: Callable[[], None] | None = None,
) -> DueReviews:
    """Emit `review.due` for every open level 2/3 case whose review date is in
    (today - retention_days, today] and has no such event yet; `commit` after each batch."""
    since = today - timedelta(days=retention_days)
    report = DueReviews()
    last: uuid.UUID | None = None
    while True:
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
        query = select(MappaCase.id, MappaCase.current_level, MappaCase.next_review_due).where(
            MappaCase.status.in_(OPEN_STATUSES),
            MappaCase.current_level.in_(REVIEWED_LEVELS),
            MappaCase.next_review_due <= today,
            MappaCase.next_review_due > since,
        )
        if last is not None:
            query = query.where(MappaCase.id > last)
        rows = session.execute(query.order_by(MappaCase.id).limit(batch_size)).all()
        if not rows:
            break
        told = _told(session, [case_id for case_id, _, _ in rows])
        for case_id, level, due in rows:
            report.due += 1
            if due is None or (case_id, due.isoformat()) in told:  # (never None: filtered)
                continue
            emit(
                session,
                event_type=REVIEW_DUE,
                case_id=case_id,
                data={"due_date": due.isoformat(), "level": level, "rule": "R-06"},
            )
            report.emitted += 1
        session.flush()
        if commit is not None:
            commit()
        last = rows[-1][0]
    return report


def _told(session: Session, case_ids: list[uuid.UUID]) -> set[tuple[uuid.UUID, str]]:
    """(case, due date) of the `review.due` events the outbox holds for these cases."""
    rows = session.execute(
        select(OutboxEvent.case_id, OutboxEvent.data).where(
            OutboxEvent.event_type == REVIEW_DUE, OutboxEvent.case_id.in_(case_ids)
        )
    )
    return {(case_id, str(json.loads(data).get("due_date"))) for case_id, data in rows}
