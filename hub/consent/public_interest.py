"""Public-interest decisions: sharing health items without consent (R-30, R-31; GMC guidance).

A decision names the risk of death or serious harm, the minimum information (in words and as
the exact items, so only those reappear), the recipients and a review date after which it
lapses. Only a HEALTH_DISCLOSER of the controller makes one (R-30).

The refusal contract: a refused attempt is itself an audited event. `record_decision` checks
authority before it writes anything; on refusal it appends a DENY entry to the session and
raises `AuditedRefusal`. The caller must then COMMIT (the transaction holds only that entry
and whatever the caller wrote before the call) and report the error; `unit_of_work` does both.
Any other error means roll back, as usual.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from hub.actor import Actor
from hub.audit import AuditEntry, record
from hub.consent.checks import agencies, aware_moment, person
from hub.db import utcnow
from hub.errors import InvalidInput, RuleViolation
from hub.models import (
    Agency,
    ConsentTask,
    InformationItem,
    MappaCase,
    PublicInterestDecision,
    PublicInterestItem,
    PublicInterestRecipient,
)
from hub.services.checks import optional_text, required_text
from hub.services.recording import audit_write
from hub.vocabulary import AgencyType, AuditOperation, Category, ConsentTaskKind, Role


class AuditedRefusal(RuleViolation):
    """A write refused by a rule whose refusal is in the session's audit entries: commit it."""


@dataclass(frozen=True)
class DecisionInput:
    subject_person_id: uuid.UUID
    item_ids: list[uuid.UUID]
    recipient_agency_ids: list[uuid.UUID]
    risk_described: str
    information_scope: str
    reasoning: str
    review_by: datetime
    patient_informed: bool
    reason_not_informed: str | None = None
    decided_at: datetime | None = None  # None: now


def record_decision(
    session: Session, actor: Actor, details: DecisionInput
) -> PublicInterestDecision:
    subject = person(session, details.subject_person_id, "subject_person_id")
    controller = _authorised_controller(session, actor, subject.id)
    now = utcnow()
    risk = required_text(details.risk_described, "risk_described", max_length=4000, min_length=10)
    scope = required_text(details.information_scope, "information_scope", max_length=4000)
    reasoning = required_text(details.reasoning, "reasoning", max_length=10_000, min_length=10)
    items = _covered_items(session, controller, subject.id, details.item_ids)
    recipients = agencies(session, details.recipient_agency_ids, "recipient_agency_ids")
    decided_at = aware_moment(details.decided_at or now, "decided_at")
    if decided_at > now:
        raise InvalidInput("decided_at", "cannot be in the future")
    review_by = aware_moment(details.review_by, "review_by")
    if review_by <= now:
        raise InvalidInput("review_by", "must be in the future: the decision lapses then (R-31)")
    informed = details.patient_informed
    if not isinstance(informed, bool):
        raise InvalidInput("patient_informed", "must be true or false")
    not_informed = optional_text(
        details.reason_not_informed, "reason_not_informed", max_length=2000
    )
    if not informed and not_informed is None:
        raise InvalidInput(
            "reason_not_informed", "say why the patient was not told (Caldicott principle 8)"
        )
    decided_by = actor.user_id
    assert decided_by is not None  # _authorised_controller refused an unnamed actor
    decision = PublicInterestDecision(
        subject_person_id=subject.id,
        controller_agency_id=controller.id,
        decided_by=decided_by,
        patient_informed=informed,
        decided_at=decided_at,
        review_by=review_by,
        items=[PublicInterestItem(item_id=i) for i in items],
        recipients=[PublicInterestRecipient(agency_id=a) for a in recipients],
    )
    decision.risk_described = risk
    decision.information_scope = scope
    decision.reasoning = reasoning
    decision.reason_not_informed = None if informed else not_informed
    session.add(decision)
    session.flush()
    audit_write(
        session,
        actor,
        AuditOperation.COLLECT,
        "public_interest_decision",
        decision.id,
        person_id=subject.id,
        fields=(
            "risk_described",
            "information_scope",
            "items",
            "recipients",
            "reasoning",
            "patient_informed",
            "review_by",
        ),
        outcome="R-30",
        extra={"controller": str(controller.id), "items": str(len(items))},
    )
    _close_reviews(session, actor, decision)
    return decision


def decisions_for(
    session: Session, actor: Actor, person_id: uuid.UUID
) -> list[PublicInterestDecision]:
    """The person's decisions the actor's agency made or is a recipient of; audited (s.62)."""
    subject = person(session, person_id, "person_id")
    mine = select(PublicInterestRecipient.decision_id).where(
        PublicInterestRecipient.agency_id == actor.agency_id
    )
    found = list(
        session.scalars(
            select(PublicInterestDecision)
            .where(
                PublicInterestDecision.subject_person_id == subject.id,
                (PublicInterestDecision.controller_agency_id == actor.agency_id)
                | PublicInterestDecision.id.in_(mine),
            )
            .order_by(PublicInterestDecision.decided_at, PublicInterestDecision.id)
        )
    )
    record(
        session,
        AuditEntry(
            operation=AuditOperation.CONSULT,
            actor=actor,
            record_type="public_interest_decision",
            record_ids=tuple(str(d.id) for d in found),
            subject_person_id=subject.id,
        ),
    )
    return found


@contextmanager
def unit_of_work(sessions: sessionmaker[Session]) -> Iterator[Session]:
    """A transaction that commits on success and on an AuditedRefusal, else rolls back."""
    session = sessions()
    try:
        yield session
        session.commit()
    except AuditedRefusal:
        session.commit()  # the refusal's DENY entry must outlive the refused write
        raise
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def _authorised_controller(session: Session, actor: Actor, person_id: uuid.UUID) -> Agency:
    agency = session.get(Agency, actor.agency_id)
    problem = None
    if agency is None or agency.type is not AgencyType.DTC_HEALTH:
        problem = "public-interest decisions are made by the health body holding the information"
    elif Role.HEALTH_DISCLOSER not in actor.roles:
        problem = (
            "only a HEALTH_DISCLOSER of the owning health agency (a clinician or the Caldicott "
            "Guardian) may decide to share health information in the public interest; a MAPPA "
            "chair cannot"
        )
    elif actor.user_id is None:
        problem = "a public-interest decision is made by a named person"
    if problem is None:
        assert agency is not None
        return agency
    record(
        session,
        AuditEntry(
            operation=AuditOperation.DENY,
            actor=actor,
            record_type="public_interest_decision",
            subject_person_id=person_id,
            outcome="R-30",
            extra={"action": "create", "deny_reason": "not a health discloser of the controller"},
        ),
    )
    raise AuditedRefusal("R-30", "decided_by", problem)


def _covered_items(
    session: Session, controller: Agency, person_id: uuid.UUID, ids: list[uuid.UUID]
) -> list[uuid.UUID]:
    if isinstance(ids, str) or not ids:
        raise InvalidInput("item_ids", "name the items the decision covers (R-31: minimum scope)")
    rows = {
        item.id: (item, case_person)
        for item, case_person in session.execute(
            select(InformationItem, MappaCase.person_id)
            .join(MappaCase, MappaCase.id == InformationItem.case_id)
            .where(InformationItem.id.in_([i for i in ids if isinstance(i, uuid.UUID)]))
        )
    }
    for i, item_id in enumerate(ids):
        found = rows.get(item_id)
        field = f"item_ids[{i}]"
        if found is None:
            raise InvalidInput(field, "no such item")
        item, case_person = found
        if item.category is not Category.HEALTH:
            raise InvalidInput(field, "is not a HEALTH item")
        if item.owning_agency_id != controller.id:
            raise InvalidInput(field, "is not owned by the deciding health agency (R-30)")
        if case_person != person_id:
            raise InvalidInput(field, "is not about the decision's subject")
    return list(dict.fromkeys(ids))


def _close_reviews(session: Session, actor: Actor, decision: PublicInterestDecision) -> None:
    """R-29 c: the decision answers the controller's open review tasks for this person."""
    open_tasks = session.scalars(
        select(ConsentTask).where(
            ConsentTask.kind == ConsentTaskKind.PUBLIC_INTEREST_REVIEW,
            ConsentTask.agency_id == decision.controller_agency_id,
            ConsentTask.subject_person_id == decision.subject_person_id,
            ConsentTask.done_at.is_(None),
        )
    ).all()
    if not open_tasks:
        return
    for task in open_tasks:
        task.done_at = decision.created_at
        task.done_by = actor.user_id
        task.decision_id = decision.id
    session.flush()
    record(
        session,
        AuditEntry(
            operation=AuditOperation.ALTER,
            actor=actor,
            record_type="consent_task",
            record_ids=tuple(str(t.id) for t in open_tasks),
            subject_person_id=decision.subject_person_id,
            fields_written=("done_at", "done_by", "decision_id"),
            extra={"decision": str(decision.id)},
        ),
    )
