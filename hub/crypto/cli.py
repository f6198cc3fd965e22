"""`hub keys ...`: field-encryption keys from set-up to crypto-shredding."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

import click
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from hub.crypto import kek, rewrap, runtime, store
from hub.crypto.errors import KeyringError
from hub.crypto.keyring import Keyring
from hub.settings import Settings


@click.group(help="Field-encryption keys: set-up, rotation, rewrap, crypto-shredding.")
def keys() -> None:
    pass


@contextmanager
def _engine() -> Iterator[Engine]:
    from hub.db import make_engine

    engine = make_engine(Settings.from_env().database_url)
    try:
        yield engine
    finally:
        engine.dispose()


@contextmanager
def _session(engine: Engine) -> Iterator[Session]:
    from hub.db import make_sessionmaker

    with make_sessionmaker(engine).begin() as session:
        yield session


@keys.command("init", help="Create the key-encryption key (if needed) and the data keys.")
@click.option("--if-missing", is_flag=True, help="Do nothing (but check them) if keys exist.")
def init(if_missing: bool) -> None:
    settings = Settings.from_env()
    with _engine() as engine, _session(engine) as session:
        if not if_missing and store.rows_in(session):
            raise KeyringError("field-encryption keys already exist: use `hub keys rotate`")
        done = runtime.set_up(settings, session)
    _report_set_up(settings, done)


def keyring_for_load(settings: Settings, engine: Engine) -> Keyring:
    """Keys for `hub demo load`: an empty database gets its keys at its first load."""
    with _session(engine) as session:
        done = runtime.set_up(settings, session)
    _report_set_up(settings, done, quiet_if_nothing_made=True)
    return runtime.open_keyring(settings, engine)


def _report_set_up(
    settings: Settings, done: runtime.SetUp, *, quiet_if_nothing_made: bool = False
) -> None:
    if done.created_kek_file:
        click.echo(f"key-encryption key written to {settings.kek_path} (mode 0600)")
        click.echo(
            "  back it up, but never with the database: whoever holds both can read every "
            "sealed field, and without it nobody can"
        )
    if done.created_keys is not None:
        field_key, blind_key = done.created_keys
        click.echo(
            f"field-encryption keys created: data key {field_key}, blind-index key "
            f"{blind_key}, wrapped by {done.kek.kek_id}"
        )
    elif not quiet_if_nothing_made:
        click.echo(f"field-encryption keys already in place, wrapped by {done.kek.kek_id}")


@keys.command("list", help="Every data key, its status, and how many fields it seals.")
def list_keys() -> None:
    with _engine() as engine:
        with engine.connect() as connection:
            counts = rewrap.fields_by_key(connection)
        with _session(engine) as session:
            rows = store.rows_in(session)
    if not rows:
        raise KeyringError("no field-encryption keys: run `hub keys init`")
    click.echo(
        f"{'key':>5}  {'purpose':<11}  {'status':<9}  created     retired     destroyed   fields"
    )
    for row in rows:
        fields = counts.get(str(row.key_id), 0) if row.purpose == "FIELD" else "-"
        click.echo(
            f"{row.key_id:>5}  {row.purpose:<11}  {row.status:<9}  {_day(row.created_at)}  "
            f"{_day(row.retired_at)}  {_day(row.destroyed_at)}  {fields}"
        )
    plaintext = counts.get(rewrap.PLAINTEXT, 0)
    if plaintext:
        click.echo(f"{plaintext} field(s) are not encrypted yet: run `hub keys rewrap`")


@keys.command("rotate", help="A new data key for new writes; the old one keeps decrypting.")
def rotate() -> None:
    settings = Settings.from_env()
    key_encryption_key = kek.from_settings(settings)
    with _engine() as engine, _session(engine) as session:
        old, new = store.rotate(session, key_encryption_key)
    click.echo(f"data key {new} is active for new writes; key {old} is retired")
    click.echo(
        f"running servers switch within {settings.key_refresh_seconds} s; then run "
        f"`hub keys rewrap` to move existing fields onto key {new}"
    )


@keys.command("rewrap", help="Re-encrypt existing fields under the active key, in batches.")
@click.option("--batch-size", default=2000, show_default=True, type=click.IntRange(1, 100_000))
def rewrap_command(batch_size: int) -> None:
    _rewrite("rewrap", batch_size)


@keys.command("decrypt-all", help="Store every field in plaintext again (before a downgrade).")
@click.option("--batch-size", default=2000, show_default=True, type=click.IntRange(1, 100_000))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def decrypt_all(batch_size: int, yes: bool) -> None:
    if not yes:
        click.confirm(
            "Write every sealed field back to the database in plaintext?", abort=True, err=True
        )
    _rewrite("decrypt", batch_size)


def _rewrite(mode: rewrap.Mode, batch_size: int) -> None:
    settings = Settings.from_env()
    with _engine() as engine:
        keyring = runtime.open_keyring(settings, engine)
        with engine.connect() as connection:
            todo = sum(rewrap.pending(connection, keyring, mode).values())
        label = "Rewrapping fields" if mode == "rewrap" else "Decrypting fields"
        with click.progressbar(length=todo, label=label, file=sys.stderr) as bar:
            outcome = rewrap.run(
                engine, keyring, mode=mode, batch_size=batch_size, on_batch=bar.update
            )
        with engine.connect() as connection:
            left = sum(rewrap.pending(connection, keyring, mode).values())
        with _session(engine) as session:
            store.audit_rewrap(
                session,
                keyring.active_key_id,
                {
                    "mode": mode,
                    "fields_rewritten": str(outcome.rewritten),
                    "fields_unreadable": str(outcome.unreadable),
                },
            )
    if mode == "rewrap":
        click.echo(f"{outcome.rewritten} field(s) rewrapped under key {keyring.active_key_id}")
    else:
        click.echo(f"{outcome.rewritten} field(s) decrypted and stored in plaintext")
    if outcome.changed_meanwhile:
        click.echo(f"{outcome.changed_meanwhile} row(s) changed meanwhile and were left alone")
    if outcome.unreadable:
        click.echo(
            f"{outcome.unreadable} field(s) are unreadable (destroyed key or tampered), "
            f"e.g. {', '.join(outcome.unreadable_examples[:3])}"
        )
    if left > outcome.unreadable:
        click.echo(f"{left - outcome.unreadable} field(s) still to do: run the command again")


@keys.command("destroy", help="Crypto-shred retired data key KEY_ID: its fields become unreadable.")
@click.argument("key_id", type=click.IntRange(min=1))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def destroy(key_id: int, yes: bool) -> None:
    with _engine() as engine:
        with _session(engine) as session:
            store.destroyable(session, key_id)  # say why not before asking anything
        with engine.connect() as connection:
            lost = rewrap.fields_by_key(connection).get(str(key_id), 0)
        if not yes:
            click.confirm(
                f"Destroy data key {key_id}? {lost} field(s) still sealed under it, and every "
                "copy of them in backups, become unreadable for good",
                abort=True,
                err=True,
            )
        with _session(engine) as session:
            store.destroy(session, key_id, fields_lost=lost)
    click.echo(f"data key {key_id} destroyed; {lost} field(s) under it are now unreadable")


def _day(moment: datetime | None) -> str:
    return f"{moment:%Y-%m-%d}" if moment else "-         "
