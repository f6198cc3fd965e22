"""`hub users ...`: create, disable, reset MFA, list. Errors name the field."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

import click
from sqlalchemy.orm import Session

from hub.accounts import admin
from hub.accounts.policy import AccountPolicy
from hub.actor import hub_actor
from hub.db import utcnow
from hub.errors import InvalidInput
from hub.settings import Settings


@click.group(help="People's accounts: create, disable, reset MFA, list.")
def users() -> None:
    pass


@contextmanager
def _transaction() -> Iterator[tuple[Session, Settings]]:
    from hub.db import make_engine, make_sessionmaker

    settings = Settings.from_env()
    engine = make_engine(settings.database_url)
    try:
        with make_sessionmaker(engine).begin() as session:
            yield session, settings
    finally:
        engine.dispose()


@users.command("create", help="Create an account; prints a one-time initial password.")
@click.option("--agency", "agency", required=True, help="The agency's code, e.g. DEMO-PRB.")
@click.option("--username", required=True)
@click.option("--display-name", "display_name", required=True)
@click.option(
    "--role",
    "roles",
    multiple=True,
    required=True,
    help="A role (repeat, or separate with commas), e.g. MAPPA_CHAIR_L2.",
)
@click.option("--vetting-expires", "vetting", required=True, help="YYYY-MM-DD")
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the initial password from the first line of standard input instead.",
)
def create(
    agency: str,
    username: str,
    display_name: str,
    roles: tuple[str, ...],
    vetting: str,
    password_stdin: bool,
) -> None:
    expires = _date(vetting, "vetting_expires")
    given = sys.stdin.readline().rstrip("\r\n") if password_stdin else None
    wanted = [r.strip() for value in roles for r in value.split(",") if r.strip()]
    with _transaction() as (session, settings):
        made = admin.create_account(
            session,
            AccountPolicy.from_settings(settings),
            hub_actor(),
            agency_code=agency,
            username=username,
            display_name=display_name,
            roles=wanted,
            vetting_expires=expires,
            today=utcnow().date(),
            password=given,
        )
        name = made.user.username
    click.echo(f"created {name}; they set up their authenticator app at first sign-in")
    if given is None:
        # Shown once, here only: hand it over by a channel other than the username's.
        click.echo(f"initial password: {made.initial_password}")


@users.command("disable", help="Stop USERNAME signing in and end their sessions.")
@click.argument("username")
def disable(username: str) -> None:
    with _transaction() as (session, _settings):
        ended = admin.disable(session, hub_actor(), username)
    click.echo(f"disabled {username.strip().lower()}; {ended} session(s) ended")


@users.command("reset-mfa", help="Forget USERNAME's authenticator app and end their sessions.")
@click.argument("username")
def reset_mfa(username: str) -> None:
    with _transaction() as (session, _settings):
        ended = admin.reset_mfa(session, hub_actor(), username)
    click.echo(
        f"reset MFA of {username.strip().lower()}; {ended} session(s) ended; "
        "they set it up again at their next sign-in"
    )


@users.command("list", help="Every account: agency, roles, vetting, MFA, lock.")
def list_users() -> None:
    with _transaction() as (session, _settings):
        rows = admin.summaries(session, utcnow())
    for row in rows:
        state = "active" if row.active else "disabled"
        flags = [state, "mfa" if row.mfa_enrolled else "no-mfa"]
        if row.locked:
            flags.append("locked")
        vetting = row.vetting_expires.isoformat() if row.vetting_expires else "no-vetting"
        click.echo(
            f"{row.username}\t{row.agency}\t{','.join(row.roles)}\t{vetting}\t{' '.join(flags)}"
        )


def _date(raw: str, field: str) -> date:
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        raise InvalidInput(field, f"must be a date YYYY-MM-DD; got {raw!r}") from None
