"""`hub worker` on PostgreSQL: deliveries are procrastinate jobs, retried by procrastinate.

A real, committed database (a scratch one), procrastinate's real worker and a real receiver
that is down for the first attempt.
"""

from __future__ import annotations

import asyncio
import time

import pytest
from sqlalchemy import text

from hub import migrations
from hub.db import make_engine, make_sessionmaker
from hub.demo.agencies import create_organisation
from hub.events.models import EventDelivery, EventDeliveryStatus
from hub.events.subscriptions import subscribe
from hub.events.worker import Delivering, run_procrastinate
from hub.gate.policies import PolicyStore
from hub.oauth.clients import create_client
from hub.services.items import ItemInput, record_item
from hub.settings import default_policy_path
from tests.events.receiver import Receiver
from tests.helpers import new_case


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
