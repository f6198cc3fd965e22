"""On PostgreSQL, many senders racing with one message store one record (exactly once).

Raced both ways a message can be written: in a SAVEPOINT of the caller's transaction (`hub
import`, a replay) and, as the push endpoint writes it, alone in its transaction, where the
loser's whole transaction is rolled back before it looks again.
"""

from __future__ import annotations

import threading
import uuid

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from hub import crypto, migrations
from hub.actor import Actor
from hub.db import make_engine
from hub.demo.agencies import create_organisation
from hub.ingest.models import IngestReceipt
from hub.ingest.pipeline import ingest
from hub.models import Person, PersonIdentifier
from hub.models.person import identifier_is
from hub.vocabulary import IdentifierScheme
from tests.connectors import messages as msg
from tests.connectors.conftest import police_connector, sender


@pytest.mark.postgres_only
@pytest.mark.parametrize("alone", [False, True], ids=["savepoint", "alone"])
def test_twenty_concurrent_senders_of_one_message_store_one_record(
    scratch_database_url: str, is_postgres: bool, alone: bool
) -> None:
    if not is_postgres:
        pytest.skip("needs PostgreSQL: SQLite serialises writers")
    # A scratch database: these transactions commit, and must not outlive the test.
    migrations.upgrade(scratch_database_url)
    engine = make_engine(scratch_database_url, pool_size=25)
    try:
        _race(engine, alone=alone)
    finally:
        engine.dispose()


def _race(engine: Engine, *, alone: bool) -> None:
    keyring = crypto.current()
    with Session(engine) as session, session.begin():
        org = create_organisation(session, f"Race {uuid.uuid4().hex[:6]}")
        actor: Actor = sender(org, "DEMO-POL")
    pnc = f"20{uuid.uuid4().int % 100:02d}/{uuid.uuid4().int % 10**7:07d}R"
    ref = f"RACE-{uuid.uuid4().hex[:8]}"
    raw = msg.encode(msg.nominal(ref, pnc=pnc))
    start = threading.Barrier(20)
    outcomes: list[str] = []

    def send() -> None:
        with crypto.using(keyring), Session(engine) as session:
            start.wait()
            outcome = ingest(
                session, actor, police_connector, raw, idempotency_key=ref, alone=alone
            )
            session.commit()
            outcomes.append(outcome.status)

    threads = [threading.Thread(target=send) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["ACCEPTED"] + ["DUPLICATE"] * 19
    with Session(engine) as session:
        receipts = session.scalar(
            select(func.count())
            .select_from(IngestReceipt)
            .where(IngestReceipt.source_reference == ref)
        )
        people = session.scalar(
            select(func.count(func.distinct(Person.id)))
            .join(PersonIdentifier)
            .where(identifier_is(IdentifierScheme.PNC, pnc))
        )
    assert (receipts, people) == (1, 1)
