"""Recording and withdrawing consent (domain.md §5, §8; R-28, R-29).

Service conventions: take the session and the actor, validate everything before writing
anything, flush, never commit, and audit each write in the same transaction. Only the
controller's own named staff record or withdraw its consents: the controller holds the data
and answers for the basis it shares on.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.actor import Actor
from hub.consent.checks import agencies, aware_moment, enum_values, person, staff
from hub.consent.withdrawal import WithdrawalEffects, carry_out_withdrawal
from hub.db import utcnow
from hub.errors import Conflict, InvalidInput, NotFound, RuleViolation
from hub.models import Agency, Consent, ConsentRecipient
from hub.models.consent import joined
from hub.services.checks import optional_text, parse_enum, required_text
from hub.services.recording import audit_write
from hub.vocabulary import AuditOperation, Category, ConsentMethod, Purpose

# A clock a few minutes fast on a recording device must not refuse a consent given just now.
CLOCK_SKEW = timedelta(minutes=5)


@dataclass(frozen=True)
class ConsentInput:
    subject_person_id: uuid.UUID
    categories: list[str]
    recipient_agency_ids: list[uuid.UUID]
    purposes: list[str]
    method: str
    given_at: datetime | None = None  # None: now
    expires_at: datetime | None = None
    capacity_note: str | None = None
    controller_agency_id: uuid.UUID | None = None  # None: the actor's agency
    recorded_by: uuid.UUID | None = None  # None: the actor (an import keeps the original)
    id: uuid.UUID | None = None  # an import keeps the consent's identity


def record_consent(session: Session, actor: Actor, details: ConsentInput) -> Consent:
    """Store a consent the actor's agency, as controller, holds from the person."""
    now = utcnow()
    controller = _controller(session, actor, details.controller_agency_id)
    subject = person(session, details.subject_person_id, "subject_person_id")
    categories = enum_values(Category, details.categories, "categories")
    purposes = enum_values(Purpose, details.purposes, "purposes")
    recipients = agencies(session, details.recipient_agency_ids, "recipient_agency_ids")
    if controller.id in recipients:
        index = details.recipient_agency_ids.index(controller.id)
        raise InvalidInput(
            f"recipient_agency_ids[{index}]", "the controller needs no consent to use its own data"
        )
    method = parse_enum(ConsentMethod, details.method, "method")
    given_at = aware_moment(details.given_at or now, "given_at")
    if given_at > now + CLOCK_SKEW:
        raise InvalidInput("given_at", "cannot be in the future")
    expires_at = None
    if details.expires_at is not None:
        expires_at = aware_moment(details.expires_at, "expires_at")
        if expires_at <= given_at:
            raise InvalidInput("expires_at", "must be after given_at")
    note = optional_text(details.capacity_note, "capacity_note", max_length=2000)
    recorded_by = staff(session, details.recorded_by, "recorded_by", controller.id) or _named_user(
        actor, "recorded_by"
    )
    if details.id is not None and session.get(Consent, details.id) is not None:
        raise InvalidInput("id", "a consent with this id is already held")
    consent = Consent(
        subject_person_id=subject.id,
        controller_agency_id=controller.id,
        categories_text=joined(categories),
        purposes_text=joined(purposes),
        given_at=given_at,
        method=method,
        recorded_by=recorded_by,
        expires_at=expires_at,
        recipients=[ConsentRecipient(agency_id=a) for a in recipients],
    )
    if details.id is not None:
        consent.id = details.id
    consent.capacity_note = note
    session.add(consent)
    session.flush()
    audit_write(
        session,
        actor,
        AuditOperation.COLLECT,
        "consent",
        consent.id,
        person_id=subject.id,
        fields=("categories", "recipients", "purposes", "given_at", "method", "expires_at")
        + (("capacity_note",) if note else ()),
        extra={"controller": str(controller.id)},
    )
    return consent


def withdraw_consent(
    session: Session,
    actor: Actor,
    consent_id: uuid.UUID,
    reason: str,
    *,
    withdrawn_at: datetime | None = None,
    withdrawn_by: uuid.UUID | None = None,
    expected_version: int | None = None,
) -> WithdrawalEffects:
    """R-29: stop sharing on this consent from now on, and carry out what a withdrawal leaves.

    Nothing already disclosed is deleted (R-29 d): recipients are told and their copies are
    flagged instead, and the controller is asked to decide on a public-interest basis.
    """
    now = utcnow()
    consent = session.get(Consent, consent_id)
    if consent is None:
        raise NotFound("consent")
    _controller(session, actor, consent.controller_agency_id)
    if expected_version is not None and consent.version != expected_version:
        raise Conflict("the consent changed since you read it; reload it and try again")
    if consent.withdrawn_at is not None:
        raise InvalidInput(
            "withdrawn_at", f"the consent was already withdrawn at {consent.withdrawn_at:%Y-%m-%d}"
        )
    moment = aware_moment(withdrawn_at or now, "withdrawn_at")
    if moment > now + CLOCK_SKEW:
        raise InvalidInput("withdrawn_at", "cannot be in the future")
    if moment < consent.given_at:
        raise InvalidInput("withdrawn_at", "cannot be before the consent was given")
    cleaned = required_text(reason, "withdrawal_reason", max_length=2000)
    by = staff(session, withdrawn_by, "withdrawn_by", consent.controller_agency_id) or _named_user(
        actor, "withdrawn_by"
    )
    consent.withdrawn_at = moment
    consent.withdrawn_by = by
    consent.withdrawal_reason = cleaned
    session.flush()
    audit_write(
        session,
        actor,
        AuditOperation.ALTER,
        "consent",
        consent.id,
        person_id=consent.subject_person_id,
        fields=("withdrawn_at", "withdrawn_by", "withdrawal_reason"),
        outcome="R-29",
    )
    return carry_out_withdrawal(session, actor, consent)


def consents_for(session: Session, actor: Actor, person_id: uuid.UUID) -> list[Consent]:
    """A person's consents the actor's agency holds, or is a recipient of; audited (s.62)."""
    subject = person(session, person_id, "person_id")
    mine = select(ConsentRecipient.consent_id).where(ConsentRecipient.agency_id == actor.agency_id)
    found = list(
        session.scalars(
            select(Consent)
            .where(
                Consent.subject_person_id == subject.id,
                (Consent.controller_agency_id == actor.agency_id) | Consent.id.in_(mine),
            )
            .order_by(Consent.given_at, Consent.id)
        )
    )
    _audit_consult(session, actor, subject.id, "consent", [c.id for c in found])
    return found


def _audit_consult(
    session: Session,
    actor: Actor,
    person_id: uuid.UUID,
    record_type: str,
    ids: list[uuid.UUID],
) -> None:
    from hub.audit import AuditEntry, record

    record(
        session,
        AuditEntry(
            operation=AuditOperation.CONSULT,
            actor=actor,
            record_type=record_type,
            record_ids=tuple(str(i) for i in ids),
            subject_person_id=person_id,
        ),
    )


def _controller(session: Session, actor: Actor, agency_id: uuid.UUID | None) -> Agency:
    controller = session.get(Agency, agency_id or actor.agency_id)
    if controller is None:
        raise InvalidInput("controller_agency_id", "no such agency")
    if controller.id != actor.agency_id:
        raise RuleViolation(
            "R-14",
            "controller_agency_id",
            f"only the controller ({controller.name}) records or withdraws its consents",
        )
    return controller


def _named_user(actor: Actor, field_name: str) -> uuid.UUID:
    if actor.user_id is None:
        raise InvalidInput(field_name, "must be a named member of the controller's staff")
    return actor.user_id
