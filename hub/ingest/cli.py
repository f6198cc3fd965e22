"""`hub connectors ...` and `hub import`: the operator's side of the connectors."""

from __future__ import annotations

import json
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from hub.actor import Actor
from hub.errors import HubError, InvalidInput
from hub.settings import Settings
from hub.vocabulary import Role

_json = click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")


@contextmanager
def _engine() -> Iterator[Engine]:
    from hub import crypto
    from hub.crypto import runtime
    from hub.db import make_engine

    settings = Settings.from_env()
    engine = make_engine(settings.database_url)
    try:
        # Dead letters and the records a message writes are sealed: the keyring must be open.
        with crypto.using(runtime.open_keyring(settings, engine)):
            yield engine
    finally:
        engine.dispose()


def _connector(name: str) -> Any:
    from connectors.registry import UnknownConnector, connector

    try:
        return connector(name)
    except UnknownConnector as exc:
        raise InvalidInput("NAME", str(exc)) from None


def _sender(session: Session, code: str, connector_name: str) -> Actor:
    from hub.models import Agency

    agency = session.scalar(select(Agency).where(Agency.code == code))
    if agency is None:
        raise InvalidInput("--agency", f"no agency with code {code!r}")
    return Actor(
        agency_id=agency.id,
        roles=frozenset({Role.SYSTEM_API_CLIENT}),
        client_id=f"connector:{connector_name}",
        purpose="RISK_MANAGEMENT",
    )


@click.group(help="Agency connectors: what is installed, their schemas, dead letters.")
def connectors() -> None:
    pass


@connectors.command("list", help="The installed connectors and the messages each takes.")
@_json
def list_connectors(as_json: bool) -> None:
    from connectors.registry import installed

    for name, c in installed().items():
        row = {
            "name": name,
            "title": c.title,
            "source_system": str(c.source_system),
            "agency_types": sorted(str(t) for t in c.agency_types),
            "message_types": sorted(c.message_types),
            "bulk_formats": list(c.bulk_formats),
        }
        if as_json:
            click.echo(json.dumps(row))
        else:
            click.echo(
                f"{name:<10} {', '.join(row['message_types'])}  "
                f"[bulk: {', '.join(c.bulk_formats)}]  from {', '.join(row['agency_types'])}"
            )


@connectors.command("schemas", help="Write schemas/connectors/ from the code (or --check).")
@click.option("--check", is_flag=True, help="Fail if the published schemas differ.")
def schemas(check: bool) -> None:
    from connectors import schemas as published

    if check:
        stale = published.drift()
        if stale:
            raise HubError(f"connector schemas differ from the code: {', '.join(stale)}")
        click.echo("connector schemas match the code")
        return
    for path in published.write():
        click.echo(f"wrote {path}")


@connectors.command("dead-letters", help="Messages the hub could not take, with their reasons.")
@click.option("--all", "everything", is_flag=True, help="Include dead letters already replayed.")
@_json
def dead_letter_list(everything: bool, as_json: bool) -> None:
    from hub.db import make_sessionmaker
    from hub.ingest.dead_letters import listing
    from hub.models import Agency

    with _engine() as engine, make_sessionmaker(engine)() as session:
        codes = dict(session.execute(select(Agency.id, Agency.code)).tuples().all())
        for letter in listing(session, status=None if everything else "OPEN"):
            row = {
                "id": str(letter.id),
                "status": str(letter.status),
                "received_at": letter.received_at.isoformat(),
                "agency": codes.get(letter.agency_id),
                "connector": letter.connector,
                "message_type": letter.message_type,
                "source_reference": letter.source_reference,
                "position": letter.position,
                "stage": letter.stage,
                "attempts": letter.attempts,
                "reason": letter.reason,
                "replayable": letter.raw_complete,
            }
            if as_json:
                click.echo(json.dumps(row))
            else:
                click.echo(
                    f"{row['id']}  {row['status']:<8} {row['connector']:<10} "
                    f"{row['agency']}  {row['source_reference'] or row['position'] or '-'}  "
                    f"{row['stage']}: {row['reason']}"
                )


@connectors.command("replay", help="Run dead letter ID through the pipeline again.")
@click.argument("letter_id", metavar="ID")
def replay_command(letter_id: str) -> None:
    from hub.db import make_sessionmaker
    from hub.ingest.dead_letters import replay
    from hub.ingest.models import DeadLetter
    from hub.ingest.pipeline import ACCEPTED, DUPLICATE
    from hub.models import Agency

    try:
        wanted = uuid.UUID(letter_id)
    except ValueError:
        raise InvalidInput("ID", "must be a dead letter id (a UUID)") from None
    with _engine() as engine, make_sessionmaker(engine).begin() as session:
        letter = session.get(DeadLetter, wanted)
        if letter is None:
            raise InvalidInput("ID", "no such dead letter")
        agency = session.get_one(Agency, letter.agency_id)
        actor = _sender(session, agency.code, letter.connector)
        outcome = replay(session, actor, _connector(letter.connector), wanted)
    if outcome.status == ACCEPTED:
        click.echo(f"accepted: receipt {outcome.receipt_id}")
    elif outcome.status == DUPLICATE:
        click.echo(f"duplicate of receipt {outcome.receipt_id}: already held")
    else:
        reasons = "; ".join(str(p) for p in outcome.problems)
        raise HubError(f"rejected again: {reasons}")


@click.command("import", help="Import FILE through connector NAME, as the agency --agency.")
@click.argument("name")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--agency", "agency_code", required=True, help="Code of the sending agency.")
@click.option(
    "--rejects",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write each rejected record here, with its reasons (JSON Lines).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "jsonl", "json"]),
    default=None,
    help="File format (default: from the extension; .jsonl otherwise).",
)
@click.option(
    "--batch-size",
    default=1000,
    show_default=True,
    type=click.IntRange(1, 10_000),
    help="Records per transaction, validated, matched and written together "
    "(each record is still atomic on its own).",
)
@click.option(
    "--one-at-a-time",
    is_flag=True,
    help="Write every record on its own (slower): the path a chunk that fails falls back to.",
)
@_json
def import_command(
    name: str,
    file: Path,
    agency_code: str,
    rejects: Path | None,
    fmt: str | None,
    batch_size: int,
    one_at_a_time: bool,
    as_json: bool,
) -> None:
    from hub.db import make_sessionmaker
    from hub.ingest.bulk import file_format, import_file

    connector = _connector(name)
    try:
        chosen = file_format(file, connector, fmt)
    except ValueError as exc:
        raise InvalidInput("--format", str(exc)) from None
    with _engine() as engine:
        sessions = make_sessionmaker(engine)
        with sessions() as session:
            actor = _sender(session, agency_code, name)
        with click.progressbar(
            length=file.stat().st_size, label=f"Importing {file.name}", file=sys.stderr
        ) as bar:
            summary = import_file(
                sessions,
                actor,
                connector,
                file,
                fmt=chosen,
                batch_size=batch_size,
                advanced=bar.update,
                batched=not one_at_a_time,
            )
    if rejects is not None:
        with rejects.open("w", encoding="utf-8") as out:
            for r in summary.rejected:
                out.write(
                    json.dumps(
                        {
                            "position": r.position,
                            "problems": [str(p) for p in r.problems],
                            "record": r.raw.decode("utf-8", "replace"),
                        }
                    )
                    + "\n"
                )
    if as_json:
        click.echo(json.dumps(summary.as_dict()))
        return
    click.echo(
        f"accepted {summary.accepted} (held for duplicate review {summary.held_for_review}), "
        f"duplicates {summary.duplicates}, rejected {len(summary.rejected)}"
    )
    for r in summary.rejected[:50]:
        click.echo(f"  {r.position}: {'; '.join(str(p) for p in r.problems)}")
    if len(summary.rejected) > 50:
        click.echo(
            f"  ... {len(summary.rejected) - 50} more"
            + (f" in {rejects}" if rejects else "; use --rejects FILE to keep them all")
        )
