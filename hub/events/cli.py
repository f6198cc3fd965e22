"""`hub worker` and `hub events ...`: delivering outbound events, and who receives them."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

import click
from sqlalchemy import Engine, func, select

from hub.errors import InvalidInput
from hub.settings import Settings

_json = click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")


@contextmanager
def _engine() -> Iterator[tuple[Settings, Engine]]:
    from hub import crypto
    from hub.crypto import runtime
    from hub.db import make_engine

    settings = Settings.from_env()
    engine = make_engine(settings.database_url)
    try:
        # Subscription secrets are sealed: the keyring must be open to sign or to subscribe.
        with crypto.using(runtime.open_keyring(settings, engine)):
            yield settings, engine
    finally:
        engine.dispose()


def _uuid(value: str, name: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise InvalidInput(name, "must be an id (a UUID)") from None


@click.command("worker", help="Deliver outbound events to their subscribers (docs/events.md).")
@click.option("--once", is_flag=True, help="Deliver what is due now, then stop.")
@click.option(
    "--inline",
    is_flag=True,
    help="Deliver in this process without the job queue (always so on SQLite).",
)
@click.option("--concurrency", default=4, show_default=True, type=click.IntRange(1, 64))
@click.option(
    "--max-attempts",
    default=None,
    type=click.IntRange(1, 50),
    help="Attempts before a delivery is DEAD [default: 8].",
)
@click.option(
    "--backoff",
    default=None,
    type=click.FloatRange(0.1, 3600),
    help="Seconds before the first retry; doubled each time [default: 2].",
)
def worker(
    once: bool, inline: bool, concurrency: int, max_attempts: int | None, backoff: float | None
) -> None:
    from hub.db import make_sessionmaker
    from hub.events import delivery
    from hub.events.pruning import retention_days
    from hub.events.worker import Delivering, is_postgres, run_inline, run_procrastinate
    from hub.gate.policies import PolicyStore

    retention = retention_days()  # a bad HUB_EVENT_RETENTION_DAYS stops here, by name
    with _engine() as (settings, engine):
        sessions = make_sessionmaker(engine)
        delivering = Delivering(
            sessions=sessions,
            policies=PolicyStore(settings.policy_path, sessions),
            max_attempts=max_attempts or delivery.MAX_ATTEMPTS,
            backoff=backoff or delivery.BACKOFF_SECONDS,
            retention_days=retention,
        )
        if inline or not is_postgres(engine):
            attempted = run_inline(delivering, once=once)
            click.echo(f"attempted {attempted} deliveries")
            return
        asyncio.run(
            run_procrastinate(settings.database_url, delivering, once=once, concurrency=concurrency)
        )


@click.group("events", help="Outbound case events: subscriptions and deliveries.")
def events() -> None:
    pass


@events.command("subscribe", help="Send events of --events to client CLIENT at --url.")
@click.argument("client_id", metavar="CLIENT")
@click.option("--url", required=True, help="The receiver's https URL.")
@click.option(
    "--events",
    "event_types",
    required=True,
    help="Space- or comma-separated: case.level_changed item.created consent.withdrawn "
    "review.due concern.raised.",
)
def subscribe_command(client_id: str, url: str, event_types: str) -> None:
    from hub.db import make_sessionmaker
    from hub.events.subscriptions import subscribe

    with _engine() as (_, engine), make_sessionmaker(engine).begin() as session:
        made = subscribe(session, client_id=client_id, url=url, event_types=event_types)
        subscription_id = made.subscription.id
    click.echo(f"subscription: {subscription_id}")
    click.echo(f"signing secret (shown once; give it to the receiver): {made.secret}")


@events.command("list", help="Subscriptions; with --failed, deliveries that are DEAD.")
@click.option("--failed", is_flag=True, help="List DEAD deliveries instead.")
@click.option("--client", "client_id", default=None, help="Only this client's.")
@_json
def list_command(failed: bool, client_id: str | None, as_json: bool) -> None:
    from hub.db import make_sessionmaker
    from hub.events.models import EventDelivery, EventDeliveryStatus, EventSubscription, OutboxEvent
    from hub.events.subscriptions import listing

    with _engine() as (_, engine), make_sessionmaker(engine)() as session:
        if not failed:
            # Not dict(result): a Result has keys(), so dict() would take it for a mapping.
            counts = {  # noqa: C416
                subscription_id: count
                for subscription_id, count in session.execute(
                    select(EventDelivery.subscription_id, func.count())
                    .where(EventDelivery.status == EventDeliveryStatus.DELIVERED)
                    .group_by(EventDelivery.subscription_id)
                )
            }
            for s in listing(session, client_id):
                row = {
                    "id": str(s.id),
                    "client": s.client_id,
                    "url": s.url,
                    "events": s.event_types.split(),
                    "delivered": counts.get(s.id, 0),
                }
                if as_json:
                    click.echo(json.dumps(row))
                else:
                    click.echo(f"{row['id']}  {s.client_id}  {s.url}  {s.event_types}")
            return
        query = (
            select(EventDelivery, OutboxEvent, EventSubscription)
            .join(OutboxEvent, OutboxEvent.id == EventDelivery.event_id)
            .join(EventSubscription, EventSubscription.id == EventDelivery.subscription_id)
            .where(EventDelivery.status == EventDeliveryStatus.DEAD)
            .order_by(EventDelivery.finished_at)
        )
        if client_id is not None:
            query = query.where(EventSubscription.client_id == client_id)
        for delivery, event, subscription in session.execute(query):
            row = {
                "id": str(delivery.id),
                "event": event.event_type,
                "event_id": str(event.id),
                "client": subscription.client_id,
                "url": subscription.url,
                "attempts": delivery.attempts,
                "last_error": delivery.last_error,
                "failed_at": delivery.finished_at.isoformat() if delivery.finished_at else None,
            }
            if as_json:
                click.echo(json.dumps(row))
            else:
                click.echo(
                    f"{row['id']}  {row['event']:<18} {row['client']}  "
                    f"{row['attempts']} attempts, last: {row['last_error']}"
                )


@events.command("remove", help="Remove subscription ID (its pending deliveries go with it).")
@click.argument("subscription_id", metavar="ID")
def remove_command(subscription_id: str) -> None:
    from hub.db import make_sessionmaker
    from hub.events.subscriptions import remove

    wanted = _uuid(subscription_id, "ID")
    with _engine() as (_, engine), make_sessionmaker(engine).begin() as session:
        remove(session, wanted)
    click.echo(f"removed {wanted}")


@events.command("retry", help="Give DEAD delivery ID a fresh round of attempts.")
@click.argument("delivery_id", metavar="ID")
def retry_command(delivery_id: str) -> None:
    from hub.db import make_sessionmaker
    from hub.events.delivery import retry_dead

    wanted = _uuid(delivery_id, "ID")
    with _engine() as (_, engine), make_sessionmaker(engine).begin() as session:
        retry_dead(session, wanted)
    click.echo(f"{wanted} is pending again; the worker will deliver it")


def _whole(value: str, name: str, low: int, high: int) -> int:
    try:
        number = int(value)
    except ValueError:
        number = None
    if number is None or not low <= number <= high:
        raise InvalidInput(name, f"must be a whole number from {low} to {high}; got {value!r}")
    return number


@events.command(
    "emit-due-reviews",
    help="Emit review.due for level 2/3 cases whose review has fallen due (R-06); "
    "idempotent: one event per case and review date. For cron (docs/events.md).",
)
@click.option("--today", "today_text", default=None, help="As of this date (YYYY-MM-DD).")
@click.option(
    "--batch-size", "batch_text", default="500", show_default=True, help="Cases a transaction."
)
def emit_due_reviews_command(today_text: str | None, batch_text: str) -> None:
    from hub.db import make_sessionmaker, utcnow
    from hub.events.pruning import retention_days
    from hub.events.reviews import emit_due_reviews

    today = utcnow().date()
    if today_text is not None:
        try:
            today = date.fromisoformat(today_text)
        except ValueError:
            raise InvalidInput(
                "--today", f"must be a date as YYYY-MM-DD; got {today_text!r}"
            ) from None
    batch_size = _whole(batch_text, "--batch-size", 1, 10_000)
    retention = retention_days()
    with _engine() as (_, engine), make_sessionmaker(engine)() as session:
        report = emit_due_reviews(
            session, today, retention_days=retention, batch_size=batch_size, commit=session.commit
        )
        session.commit()
    click.echo(json.dumps({"today": today.isoformat(), **report.as_dict()}, sort_keys=True))


@events.command(
    "prune",
    help="Delete finished events (delivered, withheld or dead) and their deliveries once "
    "older than the retention; never one still pending (docs/events.md).",
)
@click.option(
    "--retention-days",
    "retention_text",
    default=None,
    help="Keep this many days [default: HUB_EVENT_RETENTION_DAYS, else 30].",
)
@click.option(
    "--batch-size", "batch_text", default="1000", show_default=True, help="Events a transaction."
)
def prune_command(retention_text: str | None, batch_text: str) -> None:
    from datetime import timedelta

    from hub.db import make_sessionmaker, utcnow
    from hub.events.pruning import MAX_RETENTION_DAYS, MIN_RETENTION_DAYS, prune, retention_days

    if retention_text is not None:
        days = _whole(retention_text, "--retention-days", MIN_RETENTION_DAYS, MAX_RETENTION_DAYS)
    else:
        days = retention_days()
    batch_size = _whole(batch_text, "--batch-size", 1, 10_000)
    before = utcnow() - timedelta(days=days)
    with _engine() as (_, engine), make_sessionmaker(engine)() as session:
        report = prune(session, before=before, batch_size=batch_size, commit=session.commit)
        session.commit()
    click.echo(json.dumps({"before": before.isoformat(), **report.as_dict()}, sort_keys=True))
