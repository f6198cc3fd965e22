"""The `hub` command. Errors print one line naming what is wrong and exit non-zero."""

from __future__ import annotations

import os
import sys
from datetime import date
from pathlib import Path

import click
from sqlalchemy.exc import SQLAlchemyError

from hub.errors import HubError
from hub.policy.errors import PolicyLoadError
from hub.settings import Settings

ROOT = Path(__file__).resolve().parent.parent


@click.group(help="MAPPA Hub: the shared, need-to-know MAPPA case record.")
def cli() -> None:
    pass


@cli.group(help="The database schema.")
def db() -> None:
    pass


@db.command("upgrade", help="Migrate the database to the newest schema (or --revision).")
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision: str) -> None:
    from hub import migrations

    settings = Settings.from_env()
    migrations.upgrade(settings.database_url, revision)
    click.echo(f"database at revision {revision}")


@db.command("downgrade", help="Migrate the database back to REVISION ('base' empties it).")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    from hub import migrations

    migrations.downgrade(Settings.from_env().database_url, revision)
    click.echo(f"database at revision {revision}")


@db.command("current", help="Show the database's revision and the code's head revision.")
def db_current() -> None:
    from hub import migrations
    from hub.db import make_engine

    engine = make_engine(Settings.from_env().database_url)
    try:
        current = migrations.current_revision(engine)
    finally:
        engine.dispose()
    click.echo(f"current: {current or '(empty)'}  head: {migrations.head_revision()}")


@db.command(
    "grant-app-role",
    help="PostgreSQL: grant ROLE what serving needs, audit tables append-only. "
    "Re-run after every upgrade.",
)
@click.argument("role")
def db_grant_app_role(role: str) -> None:
    from hub.db import make_engine
    from hub.dbrole import grant_app_role

    engine = make_engine(Settings.from_env().database_url)
    try:
        granted = grant_app_role(engine, role)
    finally:
        engine.dispose()
    append_only = sorted(t for t, p in granted.items() if "DELETE" not in p)
    click.echo(f"granted {role} {len(granted)} tables; without UPDATE/DELETE: {append_only}")


@cli.group(help="Synthetic demonstration data (invented people only).")
def demo() -> None:
    pass


@demo.command("load", help="Load a synthetic MAPPA area into an empty, migrated database.")
@click.option(
    "--count",
    default=200,
    show_default=True,
    type=click.IntRange(1, 200_000),
    help="How many cases to create.",
)
@click.option(
    "--seed",
    default=2026,
    show_default=True,
    type=int,
    help="Random seed: the same seed and date give the same data.",
)
@click.option(
    "--as-of",
    "as_of",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="The date the data is relative to (default: today).",
)
def demo_load(count: int, seed: int, as_of: object) -> None:
    from hub.db import make_engine, make_sessionmaker
    from hub.demo.load import load_demo

    settings = Settings.from_env()
    today = as_of.date() if hasattr(as_of, "date") else date.today()  # noqa: DTZ011
    engine = make_engine(settings.database_url)
    sessions = make_sessionmaker(engine)
    sign_ins: list[str] = []
    try:
        from hub import crypto
        from hub.crypto.cli import keyring_for_load

        crypto.install(keyring_for_load(settings, engine))  # items and addresses are sealed
        with sessions.begin() as session:
            load_demo(
                session,
                count=count,
                seed=seed,
                area=settings.mappa_area,
                today=today,
                progress=lambda items: click.progressbar(
                    items, label=f"Loading {count} synthetic cases", file=sys.stderr
                ),
            )
            if settings.environment == "demo":  # a published password: the demo only
                from hub.demo.sign_ins import announce

                sign_ins = announce(settings, session)
    finally:
        engine.dispose()
    click.echo(f"loaded {count} synthetic cases into {settings.mappa_area}")
    for line in sign_ins:
        click.echo(line)
    if settings.signing_key_path.exists():
        from hub.audit import keys
        from hub.audit.checkpoints import write_checkpoint

        engine = make_engine(settings.database_url)
        try:
            with make_sessionmaker(engine).begin() as session:
                row = write_checkpoint(
                    session, keys.load(settings.signing_key_path), settings.audit_origin
                )
                click.echo(f"audit checkpoint signed at tree size {row.tree_size if row else 0}")
        finally:
            engine.dispose()


@cli.command(help="Serve the hub with gunicorn (or Flask's reloader with --dev).")
@click.option("--dev", is_flag=True, help="Single process with auto-reload, for development.")
@click.option("--bind", default=None, help="host:port (default HUB_BIND or 127.0.0.1:8000).")
def serve(dev: bool, bind: str | None) -> None:
    settings = Settings.from_env()  # a bad setting stops here, not inside a worker
    if settings.environment in ("production", "demo"):
        from hub.audit import keys

        keys.load(settings.signing_key_path)  # no signing key, no tamper evidence: refuse
        from hub.crypto.runtime import open_keyring
        from hub.db import make_engine

        engine = make_engine(settings.database_url)
        try:  # no (or the wrong) key-encryption key: refuse here, in one line, not per worker
            open_keyring(settings, engine, strict=False)
        finally:
            engine.dispose()
    address = bind or os.environ.get("HUB_BIND", "127.0.0.1:8000")
    if dev:
        from hub import create_app

        host, _, port = address.rpartition(":")
        create_app().run(host=host or "127.0.0.1", port=int(port), use_reloader=True)
        return
    config = Path(os.environ.get("HUB_GUNICORN_CONFIG", ROOT / "docker" / "gunicorn.conf.py"))
    if not config.is_file():
        raise HubError(f"gunicorn configuration not found at {config}; set HUB_GUNICORN_CONFIG")
    args = [
        sys.executable,
        "-m",
        "gunicorn",
        "--config",
        str(config),
        "--bind",
        address,
        "hub:create_app()",
    ]
    os.execv(sys.executable, args)  # noqa: S606  (gunicorn takes over this process)


def _register_subcommands() -> None:
    from hub.audit.cli import audit

    cli.add_command(audit)
    from hub.accounts.cli import users

    cli.add_command(users)
    from hub.crypto.cli import keys

    cli.add_command(keys)
    from hub.oauth.cli import clients

    cli.add_command(clients)
    from hub.gate.cli import policy

    cli.add_command(policy)
    from hub.consent.cli import consent, public_interest

    cli.add_command(consent)
    cli.add_command(public_interest)
    from hub.api.cli import api

    cli.add_command(api)
    from hub.ingest.cli import connectors, import_command

    cli.add_command(connectors)
    cli.add_command(import_command)
    from hub.casework.cli import casework

    cli.add_command(casework)
    from hub.events.cli import events, worker

    cli.add_command(events)
    cli.add_command(worker)
    from hub.cosa.cli import cosa

    cli.add_command(cosa)


def main() -> None:
    _register_subcommands()
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("hub: aborted", err=True)
        sys.exit(1)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except HubError as exc:
        click.echo(f"hub: error: {exc}", err=True)
        sys.exit(1)
    except PolicyLoadError as exc:
        # One line per problem, each naming file, rule and path, so an author can fix them all.
        click.echo("hub: error: the policy does not load:", err=True)
        for problem in exc.problems:
            click.echo(f"  {problem}", err=True)
        sys.exit(1)
    except SQLAlchemyError as exc:
        # The driver's message can quote row values; the class and the first line of the
        # database's own complaint are enough to act on.
        detail = str(getattr(exc, "orig", exc)).splitlines()[0][:200]
        click.echo(f"hub: error: database: {type(exc).__name__}: {detail}", err=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
