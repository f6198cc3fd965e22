"""Start-up fails closed on a missing or wrong key; the migration's plaintext story; `hub keys`."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, text

from hub import create_app, crypto, migrations
from hub.audit import keys as audit_keys
from hub.crypto import KeyringError, envelope, rewrap, runtime
from hub.crypto.kek import new_secret
from hub.db import make_engine, make_sessionmaker
from hub.models import InformationItem, PersonIdentifier
from hub.models.person import identifier_is
from hub.settings import Settings
from hub.vocabulary import IdentifierScheme
from tests.helpers import new_case

HUB = [sys.executable, "-m", "hub.cli"]


@pytest.fixture(autouse=True)
def keep_the_test_keyring() -> Iterator[None]:
    """create_app installs the keyring it loads; put the suite's back afterwards."""
    previous = crypto.installed()
    try:
        yield
    finally:
        crypto.install(previous)


@pytest.fixture
def production(scratch_database_url: str, tmp_path: Path) -> Iterator[tuple[Settings, Engine]]:
    migrations.upgrade(scratch_database_url)
    audit_keys.generate(tmp_path / "keys" / "audit-signing.pem")
    settings = Settings(
        database_url=scratch_database_url, instance_path=tmp_path, environment="production"
    )
    engine = make_engine(scratch_database_url)
    try:
        yield settings, engine
    finally:
        engine.dispose()


def _set_up(settings: Settings, engine: Engine) -> None:
    with make_sessionmaker(engine).begin() as session:
        runtime.set_up(settings, session)


def _start(settings: Settings) -> None:
    app = create_app(settings)
    app.extensions["hub.engine"].dispose()


def test_start_up_refuses_a_missing_key_encryption_key(
    production: tuple[Settings, Engine],
) -> None:
    settings, engine = production
    _set_up(settings, engine)
    settings.kek_path.unlink()
    with pytest.raises(KeyringError, match=r"no key-encryption key at .*key-encryption\.key"):
        _start(settings)


def test_start_up_refuses_a_wrong_key_encryption_key(
    production: tuple[Settings, Engine], tmp_path: Path
) -> None:
    settings, engine = production
    _set_up(settings, engine)
    other = Settings(
        database_url=settings.database_url,
        instance_path=tmp_path,
        environment="production",
        key_encryption_key=new_secret(),
    )
    with pytest.raises(KeyringError, match="wrong key-encryption key") as caught:
        _start(other)
    assert "HUB_KEY_ENCRYPTION_KEY" in str(caught.value)
    assert "\n" not in str(caught.value)


def test_start_up_refuses_a_database_without_keys_and_accepts_the_kek_by_variable(
    production: tuple[Settings, Engine], tmp_path: Path
) -> None:
    settings, engine = production
    by_variable = Settings(
        database_url=settings.database_url,
        instance_path=tmp_path,
        environment="production",
        key_encryption_key=new_secret(),
    )
    with pytest.raises(KeyringError, match="run `hub keys init`"):
        _start(by_variable)
    _set_up(by_variable, engine)
    assert not by_variable.kek_path.exists()  # given by variable: no file is written
    _start(by_variable)
    assert crypto.current().active_key_id == 1


def test_start_up_with_the_database_down_loads_the_keys_on_first_use(tmp_path: Path) -> None:
    kek = tmp_path / "keys" / "key-encryption.key"
    kek.parent.mkdir()
    kek.write_text(base64.b64encode(new_secret()).decode())
    audit_keys.generate(tmp_path / "keys" / "audit-signing.pem")
    settings = Settings(
        database_url="postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1",
        instance_path=tmp_path,
        environment="production",
    )
    _start(settings)  # serves /readyz (503) instead of crash-looping
    with pytest.raises(KeyringError, match="database unreachable"):
        crypto.current().seal("x", b"context")


def test_development_without_a_kek_starts_and_warns(tmp_path: Path) -> None:
    crypto.install(None)
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'dev.sqlite3'}",
        instance_path=tmp_path,
        environment="development",
    )
    _start(settings)
    assert crypto.installed() is None


def _rows_with_marker(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(
            connection.scalar(
                text("SELECT count(*) FROM information_item WHERE content LIKE '$hub$%'")
            )
            or 0
        )


def test_the_migration_leaves_plaintext_that_rewrap_seals_and_decrypt_all_undoes(
    production: tuple[Settings, Engine],
) -> None:
    settings, engine = production
    _set_up(settings, engine)
    with crypto.using(runtime.open_keyring(settings, engine)):
        sessions = make_sessionmaker(engine)
        with sessions.begin() as session:
            from hub.demo.agencies import create_organisation
            from hub.services.items import ItemInput, record_item
            from hub.services.people import NameInput, PersonInput, register_person

            org = create_organisation(session, "Test Area")
            person = register_person(
                session,
                org.actor("mosovo"),
                PersonInput(
                    names=[NameInput(given="Ysolde", family="Farrowmere")],
                    date_of_birth=date(1975, 3, 4),
                    sex="FEMALE",
                    identifiers=[("NHS_NUMBER", "9990003336"), ("CRN", "Z900001")],
                    ethnicity_text="White Irish",
                ),
            ).person
            case = new_case(session, org, person=person)
            record_item(
                session,
                org.actor("health.rep"),
                ItemInput(
                    case_id=case.id,
                    category="HEALTH",
                    legal_basis="CONSENT",
                    title="Engagement",
                    content="Attending the forensic clinic.",
                ),
            )
        refused = _run(["db", "downgrade", "0002"], _env(settings))
        assert refused.returncode == 1
        assert refused.stderr.splitlines() == [
            "hub: error: cannot remove field encryption: 4 field(s) are still encrypted and "
            "this downgrade drops their keys; run `hub keys decrypt-all` first"
        ]
        outcome = rewrap.run(engine, crypto.current(), mode="decrypt")
        assert outcome.rewritten == 4  # title, content, ethnicity, NHS number
    assert _rows_with_marker(engine) == 0
    migrations.downgrade(settings.database_url, "0002")
    with engine.connect() as connection:
        legacy = connection.execute(text("SELECT value FROM person_identifier")).scalars()
        assert sorted(legacy) == ["9990003336", "Z900001"]
    migrations.upgrade(settings.database_url)  # the plaintext rows come back as they were

    _set_up(settings, engine)  # `hub keys init`: the KEK file is still there
    with crypto.using(runtime.open_keyring(settings, engine)) as keyring:
        with make_sessionmaker(engine)() as session:
            item = session.scalars(select(InformationItem)).one()
            assert item.content == "Attending the forensic clinic."  # legacy plaintext reads
        done = rewrap.run(engine, keyring)
        assert done.rewritten == 4
        assert _rows_with_marker(engine) == 1
        with make_sessionmaker(engine)() as session:
            assert session.scalars(select(InformationItem)).one().content == (
                "Attending the forensic clinic."
            )
            found = session.scalars(
                select(PersonIdentifier.person_id).where(
                    identifier_is(IdentifierScheme.NHS_NUMBER, "9990003336")
                )
            ).all()
            assert len(found) == 1  # rewrap filled in the blind index


def test_the_migration_refuses_values_it_would_take_for_ciphertext(
    scratch_database_url: str,
) -> None:
    migrations.upgrade(scratch_database_url, "0002")
    engine = make_engine(scratch_database_url)
    try:
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO agency (id, code, name, type, mappa_area, created_at, "
                    "updated_at, version) VALUES (:id, 'X', 'X', 'RA_POLICE', 'A', :t, :t, 1)"
                ),
                {"id": "0" * 32, "t": "2026-01-01"},
            )
            connection.execute(
                text(
                    "INSERT INTO person (id, status, date_of_birth, sex, owning_agency_id, "
                    "classification, ethnicity_text, created_at, updated_at, version) VALUES "
                    "(:id, 'ACTIVE', '1980-01-01', 'MALE', :a, 'OFFICIAL', '$hub$ not mine', "
                    ":t, :t, 1)"
                ),
                {"id": "1" * 32, "a": "0" * 32, "t": "2026-01-01"},
            )
        refused = _run(["db", "upgrade"], _env(Settings(database_url=scratch_database_url)))
        assert refused.returncode == 1
        assert "1 existing value(s) begin with '$hub$'" in refused.stderr
        assert "Traceback" not in refused.stderr
    finally:
        engine.dispose()


def _env(settings: Settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env.update(
        HUB_DATABASE_URL=settings.database_url, HUB_INSTANCE_PATH=str(settings.instance_path)
    )
    return env


def _run(args: list[str], env: dict[str, str], stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*HUB, *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_hub_keys_from_set_up_to_crypto_shredding(
    scratch_database_url: str, tmp_path: Path
) -> None:
    env = _env(Settings(database_url=scratch_database_url, instance_path=tmp_path))
    assert _run(["db", "upgrade"], env).returncode == 0
    init = _run(["keys", "init"], env)
    assert init.returncode == 0, init.stderr
    assert "field-encryption keys created: data key 1, blind-index key 2" in init.stdout
    assert (tmp_path / "keys" / "key-encryption.key").exists()
    again = _run(["keys", "init"], env)
    assert again.returncode == 1
    assert (
        again.stderr == "hub: error: field-encryption keys already exist: use `hub keys rotate`\n"
    )
    assert _run(["keys", "init", "--if-missing"], env).returncode == 0
    assert _run(["demo", "load", "--count", "3"], env).returncode == 0

    rotated = _run(["keys", "rotate"], env)
    assert rotated.returncode == 0, rotated.stderr
    assert "data key 3 is active for new writes; key 1 is retired" in rotated.stdout
    listed = _run(["keys", "list"], env).stdout.splitlines()
    assert [line.split()[:3] for line in listed[1:]] == [
        ["1", "FIELD", "RETIRED"],
        ["2", "BLIND_INDEX", "ACTIVE"],
        ["3", "FIELD", "ACTIVE"],
    ]
    assert int(listed[1].split()[-1]) > 0  # fields still under key 1

    active = _run(["keys", "destroy", "3", "--yes"], env)
    assert active.returncode == 1
    assert active.stderr.strip().splitlines() == [
        "hub: error: key 3 is the active key: rotate first, then rewrap"
    ]
    declined = _run(["keys", "destroy", "1"], env, stdin="n\n")
    assert declined.returncode == 1
    assert declined.stderr.strip().endswith("hub: aborted")
    assert "become unreadable for good" in declined.stderr

    moved = _run(["keys", "rewrap", "--batch-size", "7"], env)
    assert moved.returncode == 0, moved.stderr
    assert "field(s) rewrapped under key 3" in moved.stdout
    assert "Rewrapping fields" in moved.stderr  # the progress bar
    listed = _run(["keys", "list"], env).stdout.splitlines()
    assert listed[1].split()[-1] == "0"
    shredded = _run(["keys", "destroy", "1", "--yes"], env)
    assert shredded.returncode == 0, shredded.stderr
    assert "data key 1 destroyed; 0 field(s) under it are now unreadable" in shredded.stdout
    verified = _run(["audit", "verify"], env)
    assert verified.returncode == 0, verified.stderr

    engine = make_engine(scratch_database_url)
    try:
        with engine.connect() as connection:
            head = connection.scalar(select(InformationItem.content_stored).limit(1))
            entries = connection.execute(
                text("SELECT canonical FROM audit_entry WHERE operation = 'KEY_ROTATION'")
            ).scalars()
            actions = [json.loads(e)["extra"]["action"] for e in entries]
    finally:
        engine.dispose()
    assert head is not None
    assert envelope.key_id_of(head) == 3
    assert actions == ["init", "rotate", "rewrap", "destroy"]

    plain = _run(["keys", "decrypt-all", "--yes"], env)
    assert plain.returncode == 0, plain.stderr
    assert "field(s) decrypted and stored in plaintext" in plain.stdout
    assert (
        "field(s) are not encrypted yet: run `hub keys rewrap`"
        in _run(["keys", "list"], env).stdout
    )
    assert _run(["db", "downgrade", "0002"], env).returncode == 0
