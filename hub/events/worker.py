"""`hub worker`: the process that fans events out and delivers them.

On PostgreSQL the work is procrastinate's (a PostgreSQL job queue; its schema is created by
migration 0014 in a schema of its own): each delivery is a job, and a failed attempt is
rescheduled by procrastinate with the hub's backoff until the last attempt. A relay loop in
the same process fans new outbox events out into deliveries and defers their jobs; it also
re-defers any delivery left without a job (the worker was killed between the two), and the
job's queueing lock keeps that from ever queuing one delivery twice.

On SQLite there is no job queue to share between processes, so deliveries run inline: the
same attempt function, called in a loop by `hub worker` (or once by `hub worker --once`).
procrastinate's in-memory connector is meant for tests of code that defers jobs, not for
running a queue, and a queue that lost its jobs with its process would lose events.

Two housekeeping jobs run beside the deliveries: `review.due` events for reviews that have
fallen due (R-06, hub.events.reviews) and pruning of finished events past the retention
(hub.events.pruning). On PostgreSQL they are procrastinate periodic tasks (procrastinate
defers each tick once, however many workers run); inline, the loop runs them at start and
every HOUSEKEEPING_SECONDS. `hub events emit-due-reviews` and `hub events prune` run the same
functions from cron (`hub worker --once` does not run them).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, make_url, select
from sqlalchemy.orm import Session, sessionmaker

from hub.db import utcnow
from hub.events.delivery import (
    BACKOFF_SECONDS,
    MAX_ATTEMPTS,
    Settled,
    attempt,
    due,
    fan_out,
)
from hub.events.models import EventDelivery, EventDeliveryStatus
from hub.events.pruning import DEFAULT_RETENTION_DAYS, Pruned, prune
from hub.events.reviews import DueReviews, emit_due_reviews
from hub.gate import Gate
from hub.gate.policies import PolicyStore

if TYPE_CHECKING:
    import procrastinate

log = logging.getLogger("hub.events")

QUEUE = "hub-events"
PROCRASTINATE_SCHEMA = "procrastinate"  # created by migration 0014
# A PENDING delivery this long past its time has lost its job (the worker died between
# fan-out and deferral): the relay defers it again.
ORPHAN_GRACE = timedelta(seconds=60)
# The housekeeping schedule: review.due every quarter hour (a review falls due on a date, so
# it is told within 15 minutes of midnight UTC), pruning once an hour.
REVIEWS_CRON = "*/15 * * * *"
PRUNE_CRON = "41 * * * *"
HOUSEKEEPING_SECONDS = 900.0


@dataclass(frozen=True)
class Delivering:
    """What a delivery needs: sessions, the policies in force, and the retry schedule."""

    sessions: sessionmaker[Session]
    policies: PolicyStore
    max_attempts: int = MAX_ATTEMPTS
    backoff: float = BACKOFF_SECONDS
    retention_days: int = DEFAULT_RETENTION_DAYS

    def attempt(self, delivery_id: uuid.UUID) -> Settled | None:
        with self.sessions() as session:
            gate = Gate(self.policies.in_force())
            return attempt(
                session, gate, delivery_id, max_attempts=self.max_attempts, base=self.backoff
            )

    def relay(self, *, orphans: timedelta | None) -> list[uuid.UUID]:
        """Fan new events out (committed); with `orphans`, also the deliveries that have been
        due for that long (their job was lost, or `hub events retry` made them due again)."""
        with self.sessions() as session:
            found = fan_out(session)
            session.commit()
            if orphans is not None:
                cutoff = utcnow() - orphans
                found += session.scalars(
                    select(EventDelivery.id).where(
                        EventDelivery.status == EventDeliveryStatus.PENDING,
                        EventDelivery.next_attempt_at <= cutoff,
                    )
                ).all()
            return found

    def emit_due_reviews(self) -> DueReviews:
        """`review.due` for the reviews due today (R-06); committed batch by batch."""
        with self.sessions() as session:
            report = emit_due_reviews(
                session,
                utcnow().date(),
                retention_days=self.retention_days,
                commit=session.commit,
            )
            session.commit()
            return report

    def prune(self) -> Pruned:
        """Finished events older than the retention, and their deliveries; batch by batch."""
        with self.sessions() as session:
            report = prune(
                session,
                before=utcnow() - timedelta(days=self.retention_days),
                commit=session.commit,
            )
            session.commit()
            return report

    def housekeeping(self) -> None:
        due = self.emit_due_reviews()
        pruned = self.prune()
        log.info(
            "housekeeping: %d review.due events emitted, %d events pruned",
            due.emitted,
            pruned.events,
        )


# -- inline (SQLite, and `--inline` anywhere) ------------------------------------------------


def run_inline(
    delivering: Delivering,
    *,
    once: bool,
    poll: float = 1.0,
    stop: Callable[[], bool] = lambda: False,
    housekeeping_every: float | None = HOUSEKEEPING_SECONDS,
) -> int:
    """Deliver what is due, in this process; with `once`, what is due now, then return.

    Without `once`, the housekeeping jobs run first and then every `housekeeping_every`
    seconds (None: never; cron runs `hub events emit-due-reviews` and `hub events prune`)."""
    attempted = 0
    housekept = float("-inf")
    while True:
        housekeeping = not once and housekeeping_every is not None
        if housekeeping and time.monotonic() - housekept >= (housekeeping_every or 0):
            try:
                delivering.housekeeping()
            except Exception:  # a database blip: the next round tries again
                log.exception("event housekeeping failed")
            housekept = time.monotonic()
        delivering.relay(orphans=None)
        with delivering.sessions() as session:
            ids = due(session)
        for delivery_id in ids:
            delivering.attempt(delivery_id)
            attempted += 1
        if once or stop():
            return attempted
        if not ids:
            time.sleep(poll)


# -- procrastinate (PostgreSQL) ---------------------------------------------------------------


class DeliveryFailed(Exception):
    """The attempt failed and the delivery is due again in `retry_in` seconds."""

    def __init__(self, retry_in: float) -> None:
        super().__init__(f"delivery failed; next attempt in {retry_in:.0f}s")
        self.retry_in = retry_in


def make_app(
    database_url: str, delivering: Delivering, *, periodic: bool = True
) -> tuple[Any, Any]:
    """A procrastinate App on the hub's database, with the delivery and housekeeping tasks
    registered and, with `periodic`, the housekeeping ticks scheduled."""
    import procrastinate
    from procrastinate.retry import BaseRetryStrategy, RetryDecision

    class HubBackoff(BaseRetryStrategy):
        # The delivery row, not the job, counts attempts (it also does on SQLite), so the
        # schedule and the last attempt are decided once, in hub.events.delivery.
        def get_retry_decision(self, *, exception: BaseException, job: Any) -> Any:
            if isinstance(exception, DeliveryFailed):
                return RetryDecision(retry_in={"seconds": max(1, round(exception.retry_in))})
            return None

    url = make_url(database_url).set(drivername="postgresql")
    connector = procrastinate.PsycopgConnector(
        conninfo=url.render_as_string(hide_password=False),
        kwargs={"options": f"-c search_path={PROCRASTINATE_SCHEMA}"},
    )
    app = procrastinate.App(connector=connector)

    @app.task(name="hub.events.deliver", queue=QUEUE, retry=HubBackoff())
    def deliver(delivery_id: str) -> None:
        settled = delivering.attempt(uuid.UUID(delivery_id))
        if settled is not None and settled.retry_in is not None:
            raise DeliveryFailed(settled.retry_in)

    # The housekeeping tasks are always known, so that any worker can run a job another
    # worker's tick deferred; only a long-running worker schedules the ticks.
    _housekeeping_tasks(app, delivering, periodic=periodic)
    return app, deliver


def _housekeeping_tasks(app: procrastinate.App, delivering: Delivering, *, periodic: bool) -> None:
    # procrastinate defers each tick once across all workers (procrastinate_periodic_defers),
    # and the queueing lock keeps a slow run from queuing behind itself. A failed run is not
    # retried: the next tick does the same work.
    @app.task(name="hub.events.emit_due_reviews", queue=QUEUE, queueing_lock="hub.events.reviews")
    def reviews_due(timestamp: int) -> None:
        report = delivering.emit_due_reviews()
        log.info("review.due: %d due, %d emitted", report.due, report.emitted)

    @app.task(name="hub.events.prune", queue=QUEUE, queueing_lock="hub.events.prune")
    def prune_outbox(timestamp: int) -> None:
        report = delivering.prune()
        log.info("outbox pruned: %d events, %d deliveries", report.events, report.deliveries)

    if periodic:
        app.periodic(cron=REVIEWS_CRON)(reviews_due)
        app.periodic(cron=PRUNE_CRON)(prune_outbox)


async def _defer(deliver: Any, ids: list[uuid.UUID]) -> None:
    from procrastinate.exceptions import AlreadyEnqueued

    for delivery_id in ids:
        # AlreadyEnqueued: its job is waiting already (one delivery, one waiting job).
        with contextlib.suppress(AlreadyEnqueued):
            deferrer = deliver.configure(queueing_lock=f"delivery:{delivery_id}")
            await deferrer.defer_async(delivery_id=str(delivery_id))


async def run_procrastinate(
    database_url: str,
    delivering: Delivering,
    *,
    once: bool,
    concurrency: int = 4,
    poll: float = 1.0,
) -> None:
    # `--once` delivers what is due and stops: no housekeeping ticks (cron runs those).
    app, deliver = make_app(database_url, delivering, periodic=not once)
    async with app.open_async():
        # At start, everything due: a job still waiting is not queued twice (queueing lock).
        await _defer(deliver, await asyncio.to_thread(delivering.relay, orphans=timedelta(0)))
        if once:
            await app.run_worker_async(
                queues=[QUEUE], wait=False, concurrency=concurrency, install_signal_handlers=False
            )
            return
        worker = asyncio.create_task(
            app.run_worker_async(
                queues=[QUEUE], concurrency=concurrency, fetch_job_polling_interval=poll
            )
        )
        sweeps = 0
        while not worker.done():
            await asyncio.sleep(poll)
            sweeps += 1
            orphans = ORPHAN_GRACE if sweeps % 30 == 0 else None
            try:
                await _defer(deliver, await asyncio.to_thread(delivering.relay, orphans=orphans))
            except Exception:  # a database blip: the next round tries again
                log.exception("event relay failed")
        await worker


def is_postgres(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"
