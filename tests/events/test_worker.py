"""`hub worker` on PostgreSQL: deliveries are procrastinate jobs, retried by procrastinate.

A real, committed database (a scratch one), procrastinate's real worker and a real receiver
that is down for the first attempt.
"""

from __future__ import annotations

import asyncio
import json
import time
from datetime import timedelta

import pytest
from sqlalchemy import text

from hub import migrations
from hub.db import make_engine, make_sessionmaker
from hub.demo.agencies import create_organisation
from hub.events.models import EventDelivery, EventDeliveryStatus, OutboxEvent
from hub.events.subscriptions import subscribe
from hub.events.worker import (
    PRUNE_CRON,
    QUEUE,
    REVIEWS_CRON,
    Delivering,
    make_app,
    run_inline,
    run_procrastinate,
)
from hub.gate.policies import PolicyStore
from hub.oauth.clients import create_client
from hub.services.items import ItemInput, record_item
from hub.settings import default_policy_path
from tests.events.receiver import Receiver
from tests.helpers import TODAY, new_case


@pytest.mark.postgres_only
def test_procrastinate_retries_after_receiver_downtime_and_delivers_once(
    scratch_database_url: str, is_postgres: bool
) -> None:
    if not is_postgres:
        pytest.skip("needs PostgreSQL: on SQLite the worker delivers inline")
    migrations.upgrade(scratch_database_url)
    engine = make_engine(scratch_database_url)
    sessions = make_sessionmaker(engine)
    receiver = Receiver()
    try:
        with sessions.begin() as session:
            org = create_organisation(session, "Worker Area")
            client = create_client(
                session,
                agency_code="DEMO-PRB",
                name="probation case system",
                auth_method="client_secret_basic",
                scopes="cases:read",
            ).client
            subscribe(
                session, client_id=client.client_id, url=receiver.url, event_types="item.created"
            )
            case = new_case(session, org)
            record_item(
                session,
                org.actor("offender.manager"),
                ItemInput(
                    case_id=case.id,
                    category="LOCATION",
                    legal_basis="CJA_S325",
                    title="Moved to approved premises",
                    content="Synthetic: now resident at Vellmoor approved premises.",
                ),
            )
        delivering = Delivering(
            sessions=sessions, policies=PolicyStore(default_policy_path(), sessions), backoff=1.0
        )
        receiver.stop()
        asyncio.run(run_procrastinate(scratch_database_url, delivering, once=True))
        with sessions() as session:
            delivery = session.query(EventDelivery).one()
            assert delivery.status is EventDeliveryStatus.PENDING
            assert delivery.attempts == 1
        receiver.start()
        time.sleep(1.5)  # the backoff procrastinate scheduled the retry for
        asyncio.run(run_procrastinate(scratch_database_url, delivering, once=True))
        assert len(receiver.received) == 1
        with sessions() as session:
            delivery = session.query(EventDelivery).one()
            assert delivery.status is EventDeliveryStatus.DELIVERED
            assert delivery.attempts == 2
            jobs = session.execute(
                text("SELECT status, attempts FROM procrastinate.procrastinate_jobs")
            ).all()
            assert [(str(s), a) for s, a in jobs] == [
                ("succeeded", 2)
            ]  # one job, retried by procrastinate
    finally:
        receiver.stop()
        engine.dispose()


def test_r06_the_inline_worker_emits_due_reviews_and_delivers_them(
    scratch_database_url: str,
) -> None:
    """Without --once the worker's loop runs the housekeeping jobs first (on SQLite there is
    no procrastinate to schedule them): the due review is emitted, committed and delivered."""
    migrations.upgrade(scratch_database_url)
    engine = make_engine(scratch_database_url)
    sessions = make_sessionmaker(engine)
    receiver = Receiver()
    try:
        with sessions.begin() as session:
            org = create_organisation(session, "Housekeeping Area")
            client = create_client(
                session,
                agency_code="DEMO-PRB",
                name="probation case system",
                auth_method="client_secret_basic",
                scopes="cases:read",
            ).client
            subscribe(
                session, client_id=client.client_id, url=receiver.url, event_types="review.due"
            )
            case = new_case(session, org, level=2)
            case.next_review_due = TODAY - timedelta(days=1)
        delivering = Delivering(
            sessions=sessions, policies=PolicyStore(default_policy_path(), sessions)
        )
        for _ in range(2):  # the second round's housekeeping finds it told already
            run_inline(delivering, once=False, stop=lambda: True, housekeeping_every=0)
        [received] = receiver.received
        assert json.loads(received.body)["type"] == "review.due"
        with sessions() as session:
            assert session.query(OutboxEvent).count() == 1
            assert session.query(EventDelivery).one().status is EventDeliveryStatus.DELIVERED
    finally:
        receiver.stop()
        engine.dispose()


def test_the_housekeeping_jobs_are_periodic_tasks_except_for_once(
    scratch_database_url: str,
) -> None:
    engine = make_engine(scratch_database_url)
    sessions = make_sessionmaker(engine)
    delivering = Delivering(
        sessions=sessions, policies=PolicyStore(default_policy_path(), sessions)
    )
    url = "postgresql+psycopg://hub@127.0.0.1:5432/hub"  # not connected to: only registered
    try:
        app, _ = make_app(url, delivering)
        scheduled = {(p.task.name, p.cron) for p in app.periodic_registry.periodic_tasks.values()}
        assert scheduled == {
            ("hub.events.emit_due_reviews", REVIEWS_CRON),
            ("hub.events.prune", PRUNE_CRON),
        }
        once, _ = make_app(url, delivering, periodic=False)
        assert once.periodic_registry.periodic_tasks == {}
        # Still known to a --once worker, which may fetch a job another worker's tick deferred.
        assert {"hub.events.emit_due_reviews", "hub.events.prune"} <= set(once.tasks)
    finally:
        engine.dispose()


@pytest.mark.postgres_only
def test_r06_the_periodic_jobs_run_as_procrastinate_jobs(
    scratch_database_url: str, is_postgres: bool
) -> None:
    """What a periodic tick defers, procrastinate's worker runs: review.due emitted (once,
    though both ticks run), the outbox pruned, each job succeeded."""
    if not is_postgres:
        pytest.skip("needs PostgreSQL: procrastinate's job queue")
    migrations.upgrade(scratch_database_url)
    engine = make_engine(scratch_database_url)
    sessions = make_sessionmaker(engine)
    try:
        with sessions.begin() as session:
            org = create_organisation(session, "Periodic Area")
            case = new_case(session, org, level=3)
            case.next_review_due = TODAY
        delivering = Delivering(
            sessions=sessions, policies=PolicyStore(default_policy_path(), sessions)
        )

        async def tick_and_work() -> None:
            # Ticks deferred by hand: a worker of a periodic app would also defer the real
            # tick whenever the test runs within procrastinate's max delay after one.
            app, _ = make_app(scratch_database_url, delivering, periodic=False)
            async with app.open_async():
                for tick in (1, 2):
                    for name in ("hub.events.emit_due_reviews", "hub.events.prune"):
                        await app.tasks[name].defer_async(timestamp=tick)
                    await app.run_worker_async(
                        queues=[QUEUE], wait=False, install_signal_handlers=False
                    )

        asyncio.run(tick_and_work())
        with sessions() as session:
            [event] = session.query(OutboxEvent).all()
            assert (event.event_type, event.case_id) == ("review.due", case.id)
            jobs = session.execute(
                text("SELECT task_name, status FROM procrastinate.procrastinate_jobs")
            ).all()
            assert sorted((t, str(s)) for t, s in jobs) == [
                ("hub.events.emit_due_reviews", "succeeded"),
                ("hub.events.emit_due_reviews", "succeeded"),
                ("hub.events.prune", "succeeded"),
                ("hub.events.prune", "succeeded"),
            ]
    finally:
        engine.dispose()
