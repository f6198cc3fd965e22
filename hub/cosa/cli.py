"""`hub cosa ...`: set circles up, brief their profile, answer concerns, escalate the late ones.

The operator acts on behalf of a named agency user (`--by USERNAME`), so the rules are
checked against that user and the audit trail names them. `hub cosa escalate` is what a
scheduler runs (every few minutes); `--now` makes it deterministic for tests and replays.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import click
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.actor import Actor
from hub.db import utcnow
from hub.errors import InvalidInput
from hub.models import User
from hub.settings import Settings

_by = click.option("--by", "username", required=True, help="The agency user acting.")


@click.group(help="Circles of Support and Accountability: circles, profiles, concerns.")
def cosa() -> None:
    pass


@contextmanager
def _session() -> Iterator[Session]:
    from hub import crypto
    from hub.consent.public_interest import unit_of_work
    from hub.crypto import runtime
    from hub.db import make_engine, make_sessionmaker

    settings = Settings.from_env()
    engine = make_engine(settings.database_url)
    try:
        # Concerns, profiles and outcomes are sealed fields: the keyring must be open.
        with (
            crypto.using(runtime.open_keyring(settings, engine)),
            unit_of_work(make_sessionmaker(engine)) as session,
        ):
            yield session
    finally:
        engine.dispose()


def _user(session: Session, username: str, option: str) -> User:
    user = session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None or not user.active:
        raise InvalidInput(option, f"no active user {username!r}")
    return user


def _actor(session: Session, username: str) -> Actor:
    user = _user(session, username, "--by")
    return Actor(
        agency_id=user.agency_id,
        user_id=user.id,
        roles=user.roles,
        client_id="hub-cli",
        purpose="COSA_SUPPORT",
    )


def _uuid(value: str, option: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise InvalidInput(option, "must be a hub id (a UUID)") from None


def _moment(value: str | None) -> datetime:
    if value is None:
        return utcnow()
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput("--now", "must be an ISO 8601 time, e.g. 2026-11-23T09:00:00Z") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@cosa.command("create-circle", help="Set up a PROPOSED circle for the core member's case.")
@_by
@click.option("--case", "case_id", required=True, help="The core member's case id.")
@click.option("--reference", required=True, help="The provider's circle reference.")
@click.option("--type", "circle_type", default="COMMUNITY", show_default=True)
@click.option("--coordinator", required=True, help="Username of the COSA coordinator.")
@click.option("--manager", required=True, help="Username of the provider's manager (R-52).")
@click.option("--police", required=True, help="Username of the police contact.")
@click.option("--probation", default=None, help="Username of the probation contact.")
def create_circle_command(
    username: str,
    case_id: str,
    reference: str,
    circle_type: str,
    coordinator: str,
    manager: str,
    police: str,
    probation: str | None,
) -> None:
    from hub.cosa.circles import OuterMemberInput, create_circle

    with _session() as session:
        outer = [OuterMemberInput(_user(session, police, "--police").id, "POLICE_CONTACT")]
        if probation:
            member = _user(session, probation, "--probation")
            outer.append(OuterMemberInput(member.id, "PROBATION_CONTACT"))
        circle = create_circle(
            session,
            _actor(session, username),
            case_id=_uuid(case_id, "--case"),
            reference=reference,
            circle_type=circle_type,
            coordinator_id=_user(session, coordinator, "--coordinator").id,
            manager_id=_user(session, manager, "--manager").id,
            outer=outer,
        )
        click.echo(f"circle {circle.reference} {circle.id} PROPOSED")


@cosa.command("profile", help="Brief the circle: set one whitelisted shared-profile field.")
@_by
@click.argument("circle_id")
@click.argument("field")
@click.argument("text")
def profile_command(username: str, circle_id: str, field: str, text: str) -> None:
    from hub.cosa.profile import set_entry

    with _session() as session:
        set_entry(
            session,
            _actor(session, username),
            _uuid(circle_id, "CIRCLE_ID"),
            field=field,
            text=text,
        )
        click.echo(f"shared profile {field} set")


@cosa.command("acknowledge", help="The outer circle has a concern in hand (R-52).")
@_by
@click.argument("concern_id")
def acknowledge_command(username: str, concern_id: str) -> None:
    from hub.cosa.concerns import acknowledge

    with _session() as session:
        acknowledge(
            session, _actor(session, username), _uuid(concern_id, "CONCERN_ID"), now=utcnow()
        )
        click.echo("concern acknowledged")


@cosa.command("outcome", help="Tell the coordinator the outcome of a concern (scenario 4).")
@_by
@click.argument("concern_id")
@click.option("--text", required=True, help="What the coordinator is told; not the intelligence.")
def outcome_command(username: str, concern_id: str, text: str) -> None:
    from hub.cosa.concerns import record_outcome

    with _session() as session:
        record_outcome(
            session,
            _actor(session, username),
            _uuid(concern_id, "CONCERN_ID"),
            outcome=text,
            now=utcnow(),
        )
        click.echo("outcome recorded; the coordinator is told")


@cosa.command(
    "escalate", help="Escalate concerns not acknowledged in time to the provider's manager (R-52)."
)
@click.option(
    "--now", "now", default=None, help="The time to judge deadlines at (ISO 8601; default: now)."
)
def escalate_command(now: str | None) -> None:
    from hub.cosa.concerns import escalate_overdue

    moment = _moment(now)
    with _session() as session:
        escalated = escalate_overdue(session, moment)
        click.echo(f"escalated {len(escalated)} concerns at {moment.isoformat()}")
