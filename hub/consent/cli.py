"""`hub consent ...` and `hub public-interest ...`: the hub operator records on behalf of a named
agency user (`--by USERNAME`), so the rules (R-14 controller, R-30 discloser) are checked
against that user's agency and roles, and the audit trail names that user."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import click
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.actor import Actor
from hub.db import utcnow
from hub.errors import InvalidInput
from hub.models import Agency, User
from hub.settings import Settings

_by = click.option("--by", "username", required=True, help="The agency user acting.")
_person = click.option("--person", "person_id", required=True, help="The person's hub id.")
_json = click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")


@contextmanager
def _session() -> Iterator[Session]:
    from hub import crypto
    from hub.consent.public_interest import unit_of_work
    from hub.crypto import runtime
    from hub.db import make_engine, make_sessionmaker

    settings = Settings.from_env()
    engine = make_engine(settings.database_url)
    try:
        # Capacity notes, reasons and decisions are sealed fields: the keyring must be open.
        with (
            crypto.using(runtime.open_keyring(settings, engine)),
            unit_of_work(make_sessionmaker(engine)) as session,
        ):
            yield session
    finally:
        engine.dispose()


def _actor(session: Session, username: str) -> Actor:
    user = session.scalar(select(User).where(User.username == username))
    if user is None or not user.active:
        raise InvalidInput("--by", f"no active user {username!r}")
    return Actor(agency_id=user.agency_id, user_id=user.id, roles=user.roles, client_id="hub-cli")


def _uuid(value: str, option: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise InvalidInput(option, "must be a hub id (a UUID)") from None


def _agencies(session: Session, values: tuple[str, ...], option: str) -> list[uuid.UUID]:
    found = []
    for value in values:
        agency = session.scalar(select(Agency).where(Agency.code == value))
        if agency is None:
            try:
                agency = session.get(Agency, uuid.UUID(value))
            except ValueError:
                agency = None
        if agency is None:
            raise InvalidInput(option, f"no agency {value!r} (give its code or id)")
        found.append(agency.id)
    return found


def _moment(value: str | None, option: str) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput(option, "must be ISO 8601, e.g. 2026-03-01T09:00Z") from None
    if moment.tzinfo is None:
        raise InvalidInput(option, "must give its time zone, e.g. 2026-03-01T09:00Z")
    return moment


def _emit(rows: list[dict[str, Any]], as_json: bool) -> None:
    for row in rows:
        if as_json:
            click.echo(json.dumps(row, sort_keys=True, default=str))
        else:
            click.echo("  ".join(f"{k}={v}" for k, v in row.items()))


@click.group(help="Consent to share health information (R-18, R-28, R-29).")
def consent() -> None:
    pass


@consent.command("record", help="Record a consent the --by user's agency holds, as controller.")
@_by
@_person
@click.option("--category", "categories", multiple=True, required=True)
@click.option("--recipient", "recipients", multiple=True, required=True, help="Agency code/id.")
@click.option("--purpose", "purposes", multiple=True, required=True)
@click.option("--method", required=True, help="WRITTEN, VERBAL or ELECTRONIC.")
@click.option("--given-at", default=None, help="ISO 8601 with zone (default: now).")
@click.option("--expires-at", default=None, help="ISO 8601 with zone.")
@click.option("--capacity-note", default=None)
def record(
    username: str,
    person_id: str,
    categories: tuple[str, ...],
    recipients: tuple[str, ...],
    purposes: tuple[str, ...],
    method: str,
    given_at: str | None,
    expires_at: str | None,
    capacity_note: str | None,
) -> None:
    from hub.consent.records import ConsentInput, record_consent

    with _session() as session:
        actor = _actor(session, username)
        made = record_consent(
            session,
            actor,
            ConsentInput(
                subject_person_id=_uuid(person_id, "--person"),
                categories=list(categories),
                recipient_agency_ids=_agencies(session, recipients, "--recipient"),
                purposes=list(purposes),
                method=method,
                given_at=_moment(given_at, "--given-at"),
                expires_at=_moment(expires_at, "--expires-at"),
                capacity_note=capacity_note,
            ),
        )
        click.echo(f"consent {made.id} recorded")


@consent.command("withdraw", help="Record that the person withdrew CONSENT_ID (R-29).")
@click.argument("consent_id")
@_by
@click.option("--reason", required=True)
@click.option("--at", "at", default=None, help="When it was withdrawn (default: now).")
def withdraw(consent_id: str, username: str, reason: str, at: str | None) -> None:
    from hub.consent.records import withdraw_consent

    with _session() as session:
        effects = withdraw_consent(
            session,
            _actor(session, username),
            _uuid(consent_id, "CONSENT_ID"),
            reason,
            withdrawn_at=_moment(at, "--at"),
        )
        click.echo(
            f"consent {consent_id} withdrawn: {len(effects.notices)} recipient agencies told, "
            f"{len(effects.flags)} copies flagged no onward dissemination, "
            f"public-interest review task {effects.review.id}"
        )


@consent.command("list", help="The person's consents the --by user's agency holds or receives.")
@_by
@_person
@_json
def list_consents(username: str, person_id: str, as_json: bool) -> None:
    from hub.consent.records import consents_for

    with _session() as session:
        found = consents_for(session, _actor(session, username), _uuid(person_id, "--person"))
        now = utcnow()
        rows = [
            {
                "id": c.id,
                "state": c.state_at(now),
                "controller": c.controller_agency_id,
                "categories": ",".join(c.categories),
                "purposes": ",".join(c.purposes),
                "recipients": ",".join(str(r) for r in c.recipient_ids),
                "given_at": c.given_at.isoformat(),
                "expires_at": c.expires_at.isoformat() if c.expires_at else None,
            }
            for c in found
        ]
        _emit(rows, as_json)


@consent.command("history", help="Consents given, withdrawn, expiring; decisions made, lapsing.")
@_by
@_person
@_json
def history(username: str, person_id: str, as_json: bool) -> None:
    from hub.consent.report import history as events_of

    with _session() as session:
        events = events_of(session, _actor(session, username), _uuid(person_id, "--person"))
        _emit(
            [{"at": e.at.isoformat(), "event": e.event, "id": e.record_id} for e in events], as_json
        )


@consent.command("basis-report", help="Who received the agency's items, on which basis (R-28).")
@_by
@_person
@_json
def basis_report(username: str, person_id: str, as_json: bool) -> None:
    from hub.consent.report import basis_report as report_of

    with _session() as session:
        report = report_of(session, _actor(session, username), _uuid(person_id, "--person"))
        rows = [
            {
                "at": d.at.isoformat(),
                "item": d.item_id,
                "agency": d.agency_id,
                "basis": d.basis,
                "purpose": d.purpose,
                "audit_seq": d.seq,
            }
            for d in report.disclosures
        ]
        _emit(rows, as_json)
        if not as_json:
            counts = ", ".join(f"{k}: {v}" for k, v in report.by_basis.items()) or "none"
            click.echo(f"{len(rows)} disclosures ({counts})")


_FHIR_VERSION = click.option(
    "--fhir-version",
    type=click.Choice(["R4", "R5"]),
    default="R4",
    show_default=True,
    help="The FHIR release of the file: a file does not say which it is.",
)


@consent.command("export-fhir", help="The agency's consents from the person as a FHIR Bundle.")
@_by
@_person
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), default=None)
@_FHIR_VERSION
def export_fhir(username: str, person_id: str, output: Path | None, fhir_version: str) -> None:
    from hub.consent.exchange import export_consents

    with _session() as session:
        bundle = export_consents(
            session,
            _actor(session, username),
            _uuid(person_id, "--person"),
            fhir_version="R5" if fhir_version == "R5" else "R4",
        )
    text = json.dumps(bundle, indent=2, sort_keys=True)
    if output is None:
        click.echo(text)
    else:
        output.write_text(text + "\n", encoding="utf-8")
        click.echo(f"{len(bundle['entry'])} consents written to {output}")


@consent.command("import-fhir", help="Record the consents of a FHIR Consent or Bundle file.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_by
@_FHIR_VERSION
def import_fhir(file: Path, username: str, fhir_version: str) -> None:
    from hub.consent.exchange import import_consents

    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput("FILE", f"is not JSON: {type(exc).__name__}") from None
    with _session() as session:
        imported = import_consents(
            session,
            _actor(session, username),
            data,
            fhir_version="R5" if fhir_version == "R5" else "R4",
        )
        click.echo(f"{len(imported)} consents imported: {', '.join(str(c.id) for c in imported)}")


@click.group("public-interest", help="Public-interest decisions to share health items (R-30).")
def public_interest() -> None:
    pass


@public_interest.command("record", help="Record a decision (a HEALTH_DISCLOSER of the owner).")
@_by
@_person
@click.option("--item", "items", multiple=True, required=True, help="An item id it covers.")
@click.option("--recipient", "recipients", multiple=True, required=True, help="Agency code/id.")
@click.option("--risk", required=True, help="The risk of death or serious harm.")
@click.option("--scope", required=True, help="The minimum information, in words.")
@click.option("--reasoning", required=True)
@click.option("--review-by", required=True, help="ISO 8601 with zone; the decision lapses then.")
@click.option("--patient-informed/--patient-not-informed", default=None, required=True)
@click.option("--reason-not-informed", default=None)
def record_decision_command(
    username: str,
    person_id: str,
    items: tuple[str, ...],
    recipients: tuple[str, ...],
    risk: str,
    scope: str,
    reasoning: str,
    review_by: str,
    patient_informed: bool,
    reason_not_informed: str | None,
) -> None:
    from hub.consent.public_interest import DecisionInput, record_decision

    with _session() as session:
        review = _moment(review_by, "--review-by")
        assert review is not None
        decision = record_decision(
            session,
            _actor(session, username),
            DecisionInput(
                subject_person_id=_uuid(person_id, "--person"),
                item_ids=[_uuid(i, "--item") for i in items],
                recipient_agency_ids=_agencies(session, recipients, "--recipient"),
                risk_described=risk,
                information_scope=scope,
                reasoning=reasoning,
                review_by=review,
                patient_informed=patient_informed,
                reason_not_informed=reason_not_informed,
            ),
        )
        click.echo(f"public-interest decision {decision.id} recorded; lapses {review.isoformat()}")


@public_interest.command("list", help="The person's decisions the agency made or receives.")
@_by
@_person
@_json
def list_decisions(username: str, person_id: str, as_json: bool) -> None:
    from hub.consent.public_interest import decisions_for

    with _session() as session:
        found = decisions_for(session, _actor(session, username), _uuid(person_id, "--person"))
        now = utcnow()
        rows = [
            {
                "id": d.id,
                "state": "ACTIVE" if d.active_at(now) else "LAPSED",
                "controller": d.controller_agency_id,
                "items": ",".join(str(i.item_id) for i in d.items),
                "recipients": ",".join(str(r.agency_id) for r in d.recipients),
                "decided_at": d.decided_at.isoformat(),
                "review_by": d.review_by.isoformat(),
            }
            for d in found
        ]
        _emit(rows, as_json)
