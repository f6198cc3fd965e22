"""`hub clients ...`: register agency systems and manage the token signing keys."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.errors import InvalidInput
from hub.oauth.model import ClientAuthMethod
from hub.oauth.scopes import SCOPES
from hub.settings import Settings


@click.group(help="OAuth clients (agency systems) and the token signing keys.")
def clients() -> None:
    pass


@contextmanager
def _session(*, sealing: bool = False) -> Iterator[Session]:
    """A transaction committed on success; with `sealing`, the field keyring loaded too."""
    from hub import crypto
    from hub.db import make_engine, make_sessionmaker

    settings = Settings.from_env()
    engine = make_engine(settings.database_url)
    try:
        if sealing:  # signing keys are sealed: no keyring, no key (fail closed)
            from hub.crypto.runtime import open_keyring

            crypto.install(open_keyring(settings, engine))
        with make_sessionmaker(engine).begin() as session:
            yield session
    finally:
        engine.dispose()


def _read_jwks(value: str | None) -> str | None:
    """A JWKS given inline (starts with '{'), from a file, or '-' for standard input."""
    if value is None:
        return None
    if value.lstrip().startswith("{"):
        return value
    if value == "-":
        return sys.stdin.read()
    path = Path(value)
    if not path.is_file():
        raise InvalidInput("jwks", f"no such file {value!r} (give a path, '-' or inline JSON)")
    return path.read_text(encoding="utf-8")


@clients.command("create", help="Register a system of agency AGENCY_CODE; prints its id.")
@click.argument("agency_code")
@click.option("--name", required=True, help="What the system is, e.g. 'PNC case bridge'.")
@click.option(
    "--auth-method",
    type=click.Choice([m.value for m in ClientAuthMethod]),
    default=ClientAuthMethod.PRIVATE_KEY_JWT.value,
    show_default=True,
)
@click.option(
    "--scopes", required=True, help=f"Space- or comma-separated, from: {', '.join(SCOPES)}."
)
@click.option("--jwks", default=None, help="private_key_jwt: public JWKS file, '-' or JSON.")
@click.option(
    "--redirect-uri",
    "redirect_uris",
    multiple=True,
    help="Makes the client interactive: it acts for signed-in people (authorization code "
    "with PKCE S256) at this exact URI, and no longer for its agency alone. Repeatable.",
)
def create(
    agency_code: str,
    name: str,
    auth_method: str,
    scopes: str,
    jwks: str | None,
    redirect_uris: tuple[str, ...],
) -> None:
    from hub.oauth.clients import create_client

    with _session(sealing=True) as session:
        made = create_client(
            session,
            agency_code=agency_code,
            name=name,
            auth_method=auth_method,
            scopes=scopes,
            jwks=_read_jwks(jwks),
            redirect_uris=redirect_uris,
        )
        client_id = made.client.client_id
    click.echo(f"client_id: {client_id}")
    if made.secret is not None:
        click.echo(f"client_secret: {made.secret}")
        click.echo("  shown once: only its hash is stored. Keep it in the system's secret store.")


@clients.command("list", help="Every registered client, with its agency, method and scopes.")
def list_() -> None:
    from hub.models import Agency
    from hub.oauth.clients import list_clients

    with _session() as session:
        codes = dict(session.execute(select(Agency.id, Agency.code)).tuples().all())
        for client in list_clients(session):
            status = "disabled" if client.disabled_at else "active"
            click.echo(
                f"{client.client_id}\t{codes.get(client.agency_id, '?')}\t"
                f"{client.auth_method.value}\t{status}\t{client.scopes}\t{client.name}"
            )


@clients.command("disable", help="Stop CLIENT_ID: no new tokens, and its tokens stop working.")
@click.argument("client_id")
def disable(client_id: str) -> None:
    from hub.oauth.clients import disable_client

    with _session() as session:
        disable_client(session, client_id)
    settings = Settings.from_env()
    click.echo(
        f"disabled {client_id}: its tokens stop working within "
        f"{settings.oauth_state_seconds} seconds"
    )


@clients.command("rotate", help="A new secret, or (--jwks) new public keys, for CLIENT_ID.")
@click.argument("client_id")
@click.option("--jwks", default=None, help="private_key_jwt: the new public JWKS.")
def rotate(client_id: str, jwks: str | None) -> None:
    from hub.oauth.clients import rotate_credentials

    with _session() as session:
        made = rotate_credentials(session, client_id, _read_jwks(jwks))
    if made.secret is not None:
        click.echo(f"client_secret: {made.secret}")
        click.echo("  shown once; the old secret no longer works.")
    else:
        click.echo(f"new JWKS registered for {client_id}; the old keys no longer work.")


@clients.command("rotate-signing-key", help="Sign new access tokens with a new key.")
def rotate_signing_key() -> None:
    from hub.oauth.signing import RETENTION, rotate

    with _session(sealing=True) as session:
        kid = rotate(session).kid
    click.echo(
        f"signing with new key {kid}; retired keys stay published for "
        f"{int(RETENTION.total_seconds())} seconds"
    )
