"""What a consent withdrawal leaves behind (R-29 b, c, d).

(a), blocking further sharing, needs nothing here: the gate reads consents afresh on every
request. (b) Each recipient that already received items on the consent is sent a notice
(a RECIPIENT_NOTICE task) and each item it holds is flagged "consent withdrawn: no onward
dissemination". (c) The controller gets a PUBLIC_INTEREST_REVIEW task: a clinician or the
Caldicott Guardian decides whether a public-interest basis applies. (d) Nothing is deleted.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.actor import Actor
from hub.audit import AuditEntry, record
from hub.consent.disclosures import recipients_of
from hub.events import emit
from hub.models import Consent, ConsentTask, InformationItem, ItemDisseminationFlag, MappaCase
from hub.vocabulary import AuditOperation, ConsentTaskKind

NO_ONWARD_DISSEMINATION = "consent withdrawn: no onward dissemination"


@dataclass(frozen=True)
class WithdrawalEffects:
    consent: Consent
    notices: list[ConsentTask]
    flags: list[ItemDisseminationFlag]
    review: ConsentTask


def carry_out_withdrawal(session: Session, actor: Actor, consent: Consent) -> WithdrawalEffects:
    received = recipients_of(session, consent.subject_person_id, f"CONSENT:{consent.id}")
    received.pop(consent.controller_agency_id, None)
    held = _existing_items(session, set().union(*received.values()) if received else set())
    notices: list[ConsentTask] = []
    flags: list[ItemDisseminationFlag] = []
    for agency_id in sorted(received):
        items = sorted(received[agency_id] & held)
        notices.append(
            ConsentTask(
                kind=ConsentTaskKind.RECIPIENT_NOTICE,
                agency_id=agency_id,
                consent_id=consent.id,
                subject_person_id=consent.subject_person_id,
                item_count=len(items),
            )
        )
        flags.extend(
            ItemDisseminationFlag(
                item_id=item_id,
                agency_id=agency_id,
                consent_id=consent.id,
                flag=NO_ONWARD_DISSEMINATION,
            )
            for item_id in items
        )
    review = ConsentTask(
        kind=ConsentTaskKind.PUBLIC_INTEREST_REVIEW,
        agency_id=consent.controller_agency_id,
        consent_id=consent.id,
        subject_person_id=consent.subject_person_id,
        item_count=len(held),
    )
    session.add_all([*notices, *flags, review])
    session.flush()
    for record_type, rows in (
        ("consent_task", [*notices, review]),
        ("item_dissemination_flag", flags),
    ):
        if rows:
            record(
                session,
                AuditEntry(
                    operation=AuditOperation.COLLECT,
                    actor=actor,
                    record_type=record_type,
                    record_ids=tuple(str(r.id) for r in rows),
                    subject_person_id=consent.subject_person_id,
                    outcome="R-29",
                    extra={"consent": str(consent.id)},
                ),
            )
    # Subscribers follow cases, so the event goes out on each case of the consent's subject.
    for case_id in session.scalars(
        select(MappaCase.id).where(MappaCase.person_id == consent.subject_person_id)
    ):
        emit(
            session,
            event_type="consent.withdrawn",
            case_id=case_id,
            data={"consent_id": str(consent.id)},
        )
    return WithdrawalEffects(consent, notices, flags, review)


def _existing_items(session: Session, ids: set[uuid.UUID]) -> set[uuid.UUID]:
    # An item erased since it was shared has nothing left to flag.
    if not ids:
        return set()
    return set(session.scalars(select(InformationItem.id).where(InformationItem.id.in_(ids))))
