"""A controller's view of its health information about a person: what went to whom, on what
basis (R-28), and the history of the consents and decisions behind it.

Both are answered from the records and the audit log, and asking is itself audited (s.62):
the report says who saw the person's health information, which is personal data too.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.actor import Actor
from hub.audit import AuditEntry, record
from hub.consent.checks import person
from hub.consent.disclosures import Disclosure, disclosures
from hub.models import Consent, InformationItem, PublicInterestDecision
from hub.vocabulary import AuditOperation


@dataclass(frozen=True)
class BasisReport:
    person_id: uuid.UUID
    controller_id: uuid.UUID
    disclosures: list[Disclosure]  # the controller's items only, oldest first
    by_basis: dict[str, int]


@dataclass(frozen=True, slots=True)
class HistoryEvent:
    at: datetime
    event: str  # CONSENT_GIVEN, CONSENT_WITHDRAWN, CONSENT_EXPIRES, DECISION_MADE, DECISION_LAPSES
    record_id: uuid.UUID
    controller_id: uuid.UUID


def basis_report(session: Session, actor: Actor, person_id: uuid.UUID) -> BasisReport:
    """Every disclosure of the actor's agency's items about the person, with its basis."""
    subject = person(session, person_id, "person_id")
    given = disclosures(session, subject.id)
    owned = _owned(session, actor.agency_id, {d.item_id for d in given})
    mine = [d for d in given if d.item_id in owned]
    record(
        session,
        AuditEntry(
            operation=AuditOperation.CONSULT,
            actor=actor,
            record_type="basis_report",
            subject_person_id=subject.id,
            extra={"rows": str(len(mine))},
        ),
    )
    counts = Counter(d.basis.split(":", 1)[0] for d in mine)
    return BasisReport(subject.id, actor.agency_id, mine, dict(sorted(counts.items())))


def history(session: Session, actor: Actor, person_id: uuid.UUID) -> list[HistoryEvent]:
    """The person's consents and decisions the actor's agency controls, as dated events."""
    subject = person(session, person_id, "person_id")
    events = []
    consents = session.scalars(
        select(Consent).where(
            Consent.subject_person_id == subject.id,
            Consent.controller_agency_id == actor.agency_id,
        )
    ).all()
    for c in consents:
        events.append(HistoryEvent(c.given_at, "CONSENT_GIVEN", c.id, c.controller_agency_id))
        if c.withdrawn_at is not None:
            events.append(
                HistoryEvent(c.withdrawn_at, "CONSENT_WITHDRAWN", c.id, c.controller_agency_id)
            )
        if c.expires_at is not None:
            events.append(
                HistoryEvent(c.expires_at, "CONSENT_EXPIRES", c.id, c.controller_agency_id)
            )
    decisions = session.scalars(
        select(PublicInterestDecision).where(
            PublicInterestDecision.subject_person_id == subject.id,
            PublicInterestDecision.controller_agency_id == actor.agency_id,
        )
    ).all()
    for d in decisions:
        events.append(HistoryEvent(d.decided_at, "DECISION_MADE", d.id, d.controller_agency_id))
        events.append(HistoryEvent(d.review_by, "DECISION_LAPSES", d.id, d.controller_agency_id))
    record(
        session,
        AuditEntry(
            operation=AuditOperation.CONSULT,
            actor=actor,
            record_type="consent_history",
            record_ids=tuple(str(c.id) for c in consents) + tuple(str(d.id) for d in decisions),
            subject_person_id=subject.id,
        ),
    )
    return sorted(events, key=lambda e: (e.at, e.event, e.record_id))


def _owned(session: Session, agency_id: uuid.UUID, item_ids: set[uuid.UUID]) -> set[uuid.UUID]:
    if not item_ids:
        return set()
    return set(
        session.scalars(
            select(InformationItem.id).where(
                InformationItem.id.in_(item_ids), InformationItem.owning_agency_id == agency_id
            )
        )
    )
