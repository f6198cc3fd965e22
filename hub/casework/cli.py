"""`hub casework ...`: run the case-management rules over every case."""

from __future__ import annotations

import json
from datetime import date

import click

from hub.errors import InvalidInput
from hub.settings import Settings


@click.group(help="Case-management rules: tasks, visit plans, reactive management (R-06..R-48).")
def casework() -> None:
    pass


@casework.command("run", help="Evaluate every rule over every active case, batch by batch.")
@click.option("--today", "today_text", default=None, help="Evaluate as of this date (YYYY-MM-DD).")
@click.option("--batch-size", default=2000, show_default=True, type=int)
def run_command(today_text: str | None, batch_size: int) -> None:
    from hub import crypto
    from hub.casework.run import run
    from hub.crypto import runtime
    from hub.db import make_engine, make_sessionmaker, utcnow

    today = _date(today_text, "--today") if today_text else utcnow().date()
    if not 100 <= batch_size <= 20_000:
        raise InvalidInput("--batch-size", "must be between 100 and 20000")
    settings = Settings.from_env()
    engine = make_engine(settings.database_url)
    try:
        # Rules read nothing sealed, but the models they load may carry sealed fields.
        with crypto.using(runtime.open_keyring(settings, engine)):
            session = make_sessionmaker(engine)()
            try:
                # One transaction per batch: each batch's rows and their audit entries commit
                # together, and a run stopped half-way leaves whole batches only.
                report = run(session, settings, today, batch_size=batch_size, commit=session.commit)
                session.commit()
            except BaseException:
                session.rollback()
                raise
            finally:
                session.close()
    finally:
        engine.dispose()
    click.echo(json.dumps({"today": today.isoformat(), **report.as_dict()}, sort_keys=True))


def _date(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(option, f"must be a date as YYYY-MM-DD; got {value!r}") from None
