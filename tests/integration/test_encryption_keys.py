"""Keys in the database: set-up, rotation, rewrap (interrupted and resumed), destruction.

Each test gets a scratch database with real keys under a KEK file in its instance folder, and
commits, as `hub keys ...` does.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from hub import crypto, migrations
from hub.actor import Actor
from hub.audit.checkpoint import generate_signing_key
from hub.audit.checkpoints import write_checkpoint
from hub.audit.export import snapshot, verify
from hub.audit.sequencer import sequence
from hub.crypto import KeyDestroyed, Keyring, KeyringError, envelope, rewrap, runtime, store
from hub.crypto.kek import from_settings
from hub.db import make_engine, make_sessionmaker
from hub.demo.agencies import create_organisation
from hub.models import Address, AuditRecord, InformationItem
from hub.services.items import ItemInput, edit_item, record_item
from hub.services.people import NameInput, PersonInput, register_person
from hub.settings import Settings
from tests.helpers import new_case

ITEMS = 25


@dataclass
class Keyed:
    settings: Settings
    engine: Engine
    keyring: Keyring

    def session(self) -> Session:
        return make_sessionmaker(self.engine)()


@pytest.fixture
def keyed(scratch_database_url: str, tmp_path: Path) -> Iterator[Keyed]:
    migrations.upgrade(scratch_database_url)
    settings = Settings(
        database_url=scratch_database_url, instance_path=tmp_path, environment="production"
    )
    engine = make_engine(scratch_database_url)
    try:
        with make_sessionmaker(engine).begin() as session:
            made = runtime.set_up(settings, session)
        assert made.created_kek_file
        assert made.created_keys == (1, 2)
        keyring = runtime.open_keyring(settings, engine)
        with crypto.using(keyring):
            yield Keyed(settings, engine, keyring)
    finally:
        engine.dispose()


def _seed(keyed: Keyed) -> dict[uuid.UUID, str]:
    """Items, an address and an NHS number, committed; returns item id -> content."""
    contents = {}
    with keyed.session() as session, session.begin():
        org = create_organisation(session, "Test Area")
        case = new_case(session, org)
        for n in range(ITEMS):
            item = record_item(
                session,
                org.actor("health.rep"),
                ItemInput(
                    case_id=case.id,
                    category="HEALTH",
                    legal_basis="CONSENT",
                    title=f"Forensic team note {n}",
                    content=f"Relapse indicator review number {n} for Ulvstrand.",
                ),
            )
            contents[item.id] = item.content
        person = register_person(
            session,
            org.actor("mosovo"),
            PersonInput(
                names=[NameInput(given="Quennel", family="Barrowtide")],
                date_of_birth=date(1970, 1, 2),
                sex="MALE",
                identifiers=[("NHS_NUMBER", "9990002225")],
            ),
        ).person
        session.add(
            Address(
                person_id=person.id,
                type="HOME",
                line1="3 Varnish Lane",
                town="Oxmere",
                valid_from=date(2024, 5, 1),
                owning_agency_id=org.agencies["DEMO-POL"].id,
            )
        )
    return contents


def _contents(keyed: Keyed) -> dict[uuid.UUID, str]:
    with keyed.session() as session:
        return {i.id: i.content for i in session.scalars(select(InformationItem))}


def _operations(keyed: Keyed) -> list[dict[str, object]]:
    with keyed.session() as session, session.begin():
        sequence(session)  # the set-up's entries, in the log now rather than moments from now
        documents = [json.loads(c) for c in session.scalars(select(AuditRecord.canonical))]
    return [d for d in documents if d["operation"] == "KEY_ROTATION"]


def test_set_up_is_audited_and_checks_the_kek_when_run_again(keyed: Keyed) -> None:
    with keyed.session() as session, session.begin():
        again = runtime.set_up(keyed.settings, session)
    assert again.created_keys is None
    assert not again.created_kek_file
    assert (keyed.settings.kek_path.stat().st_mode & 0o777) == 0o600
    assert [(d["record_type"], d["extra"]["action"]) for d in _operations(keyed)] == [
        ("encryption_key", "init")
    ]
    keyed.settings.kek_path.write_text("c2hvcnQ=\n")
    with pytest.raises(KeyringError, match="HUB_KEY_ENCRYPTION_KEY_FILE"), keyed.session() as s:
        runtime.set_up(keyed.settings, s)


def test_rotation_serves_new_writes_and_rewrap_moves_the_old_fields(keyed: Keyed) -> None:
    contents = _seed(keyed)
    with keyed.engine.connect() as connection:
        before = rewrap.fields_by_key(connection)
    assert set(before) == {"1"}
    with keyed.session() as session, session.begin():
        assert store.rotate(session, from_settings(keyed.settings)) == (1, 3)
    keyed.keyring.load()
    assert keyed.keyring.active_key_id == 3
    assert _contents(keyed) == contents  # retired keys still decrypt
    outcome = rewrap.run(keyed.engine, keyed.keyring, batch_size=7)
    assert outcome.rewritten == before["1"]
    assert outcome.unreadable == outcome.changed_meanwhile == 0
    with keyed.engine.connect() as connection:
        assert rewrap.fields_by_key(connection) == {"3": before["1"]}
        assert sum(rewrap.pending(connection, keyed.keyring).values()) == 0
    assert _contents(keyed) == contents
    assert [d["extra"]["action"] for d in _operations(keyed)] == ["init", "rotate"]


class _Interrupted(Exception):
    pass


def test_rewrap_interrupted_half_way_resumes_where_it_stopped(keyed: Keyed) -> None:
    contents = _seed(keyed)
    with keyed.session() as session, session.begin():
        store.rotate(session, from_settings(keyed.settings))
    keyed.keyring.load()
    with keyed.engine.connect() as connection:
        total = sum(rewrap.pending(connection, keyed.keyring).values())
    batches = []

    def stop_after_three(fields: int) -> None:
        batches.append(fields)
        if len(batches) == 3:
            raise _Interrupted  # as a crash or Ctrl-C between two batches would

    with pytest.raises(_Interrupted):
        rewrap.run(keyed.engine, keyed.keyring, batch_size=5, on_batch=stop_after_three)
    with keyed.engine.connect() as connection:
        half = rewrap.fields_by_key(connection)
        left = sum(rewrap.pending(connection, keyed.keyring).values())
    assert half["3"] >= 15
    assert half["1"] == left > 0
    assert _contents(keyed) == contents  # the hub reads both meanwhile

    resumed = rewrap.run(keyed.engine, keyed.keyring, batch_size=5)
    assert resumed.rewritten == left  # nothing done twice
    with keyed.engine.connect() as connection:
        assert rewrap.fields_by_key(connection) == {"3": total}
    assert _contents(keyed) == contents


def test_a_field_edited_during_rewrap_is_not_overwritten(keyed: Keyed) -> None:
    contents = _seed(keyed)
    with keyed.session() as session, session.begin():
        store.rotate(session, from_settings(keyed.settings))
    keyed.keyring.load()
    target = next(iter(contents))
    real_seal = keyed.keyring.seal
    edited = []

    def seal_and_meanwhile_edit(plaintext: str, context: bytes) -> str:
        sealed = real_seal(plaintext, context)
        if not edited and context == envelope.field_context("information_item", target, "content"):
            edited.append(True)  # a user edits the item after rewrap read it
            with keyed.session() as session, session.begin():
                session.get_one(InformationItem, target).content = "Edited while the rewrap ran."
        return sealed

    keyed.keyring.seal = seal_and_meanwhile_edit  # type: ignore[method-assign]
    outcome = rewrap.run(keyed.engine, keyed.keyring, batch_size=100)
    assert edited
    assert outcome.changed_meanwhile == 1
    assert _contents(keyed)[target] == "Edited while the rewrap ran."
    with keyed.engine.connect() as connection:
        # The edited item's title was skipped with its row: one more run finishes it.
        assert sum(rewrap.pending(connection, keyed.keyring).values()) == 1
    rewrap.run(keyed.engine, keyed.keyring)
    assert _contents(keyed)[target] == "Edited while the rewrap ran."


def test_destroying_a_retired_key_shreds_its_fields_and_the_audit_trail_verifies(
    keyed: Keyed,
) -> None:
    contents = _seed(keyed)
    kek = from_settings(keyed.settings)
    with keyed.session() as session, session.begin():
        store.rotate(session, kek)
        write_checkpoint(session, generate_signing_key(), "mappa-hub/test")
    for refused, reason in [(3, "active key"), (2, "blind-index key"), (9, "no data key 9")]:
        with pytest.raises(KeyringError, match=reason), keyed.session() as session:
            store.destroy(session, refused, fields_lost=0)
    with keyed.engine.connect() as connection:
        under_old = rewrap.fields_by_key(connection)["1"]
    with keyed.session() as session, session.begin():
        store.destroy(session, 1, fields_lost=under_old)
    with pytest.raises(KeyringError, match="already destroyed"), keyed.session() as session:
        store.destroy(session, 1, fields_lost=0)

    keyed.keyring.load()  # what a running server does within HUB_KEY_REFRESH_SECONDS
    with keyed.session() as session:
        item = session.get_one(InformationItem, next(iter(contents)))
        with pytest.raises(KeyDestroyed, match="destroyed: unreadable by design"):
            _ = item.content
        assert verify(snapshot(session)).ok
    outcome = rewrap.run(keyed.engine, keyed.keyring)
    assert outcome.unreadable == under_old  # left as they are, and said so
    assert outcome.rewritten == 0
    destroyed = _operations(keyed)[-1]
    assert destroyed["record_ids"] == ["1"]
    assert destroyed["extra"] == {"action": "destroy", "fields_made_unreadable": str(under_old)}
    with keyed.engine.connect() as connection:
        row = connection.exec_driver_sql(
            "SELECT status, wrapped_key FROM encryption_key WHERE key_id = 1"
        ).one()
    assert tuple(row) == ("DESTROYED", None)


def test_a_running_server_follows_a_rotation_made_by_another_process(keyed: Keyed) -> None:
    server = Keyring(
        source=store.DatabaseKeySource(keyed.engine, from_settings(keyed.settings)),
        refresh_seconds=0.2,
    )
    server.load()
    _seed(keyed)
    with keyed.session() as session, session.begin():
        store.rotate(session, from_settings(keyed.settings))
    keyed.keyring.load()
    with crypto.using(server), keyed.session() as session:
        item = session.scalars(select(InformationItem).limit(1)).one()
        time.sleep(0.3)  # past the server's refresh interval: its next write uses key 3
        edit_item(session, Actor(agency_id=item.owning_agency_id), item.id, {"content": "New."})
        session.commit()
        stored = session.scalar(
            select(InformationItem.content_stored).where(InformationItem.id == item.id)
        )
    assert stored is not None
    assert envelope.key_id_of(stored) == 3
    # Fields another process rewrapped onto a key the server has not seen yet still read.
    server = Keyring(
        source=store.DatabaseKeySource(keyed.engine, from_settings(keyed.settings)),
        refresh_seconds=3600,
    )
    with keyed.session() as session, session.begin():
        store.rotate(session, from_settings(keyed.settings))
    server.load()
    keyed.keyring.load()
    with keyed.session() as session, session.begin():
        store.rotate(session, from_settings(keyed.settings))
    keyed.keyring.load()
    rewrap.run(keyed.engine, keyed.keyring)
    with crypto.using(server), keyed.session() as session:
        contents = {i.content for i in session.scalars(select(InformationItem))}
    assert "New." in contents
    assert server.active_key_id == 5
