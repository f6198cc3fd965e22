"""Public-interest decisions: who may make one (R-30) and what it must say (R-31)."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from hub.consent.public_interest import AuditedRefusal, record_decision, unit_of_work
from hub.db import utcnow
from hub.demo.agencies import DemoOrganisation
from hub.errors import InvalidInput
from hub.gate import Gate
from hub.models import AuditRecord, PublicInterestDecision
from hub.services.items import ItemInput, record_item
from tests.consent.conftest import HealthCase, ReaderFor
from tests.helpers import audit_documents


def _decisions(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(PublicInterestDecision)) or 0


@pytest.mark.parametrize("user", ["chair.l3", "chair.l2", "health.rep", "offender.manager"])
def test_r30_only_a_health_discloser_of_the_owner_decides_and_refusals_are_audited(
    session: Session, org: DemoOrganisation, health_case: HealthCase, user: str
) -> None:
    sessions = sessionmaker(bind=session.connection(), join_transaction_mode="create_savepoint")
    with pytest.raises(AuditedRefusal) as refused, unit_of_work(sessions) as attempt:
        record_decision(attempt, org.actor(user), health_case.decision())
    assert refused.value.rule == "R-30"
    assert refused.value.field == "decided_by"
    assert _decisions(session) == 0
    # The refusal outlived the refused write: unit_of_work committed its DENY entry.
    denied = [
        d
        for d in audit_documents(session, operation="DENY")
        if d["record_type"] == "public_interest_decision"
    ]
    assert len(denied) == 1
    assert denied[0]["outcome"] == "R-30"
    assert denied[0]["actor"]["user"] == str(org.staff[user].id)
    assert denied[0]["subject_person"] == str(health_case.person_id)


def test_r30_a_discloser_of_another_agency_cannot_cover_the_owners_items(
    session: Session, org: DemoOrganisation, health_case: HealthCase
) -> None:
    other = dataclasses.replace(
        org.actor("health.discloser"), agency_id=org.agencies["DEMO-PRB"].id
    )
    with pytest.raises(AuditedRefusal):
        record_decision(session, other, health_case.decision())


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"risk_described": ""}, "risk_described"),
        ({"information_scope": "  "}, "information_scope"),
        ({"recipient_agency_ids": []}, "recipient_agency_ids"),
        ({"recipient_agency_ids": [uuid.uuid4()]}, "recipient_agency_ids[0]"),
        ({"item_ids": []}, "item_ids"),
        ({"item_ids": [uuid.uuid4()]}, "item_ids[0]"),
        ({"review_by": utcnow() - timedelta(minutes=1)}, "review_by"),
        ({"reasoning": ""}, "reasoning"),
        ({"reason_not_informed": None}, "reason_not_informed"),
    ],
)
def test_r31_a_decision_names_risk_scope_and_recipients(
    session: Session,
    org: DemoOrganisation,
    health_case: HealthCase,
    change: dict[str, object],
    field: str,
) -> None:
    entries = session.scalar(select(func.count()).select_from(AuditRecord))
    with pytest.raises(InvalidInput) as refused:
        record_decision(session, org.actor("health.discloser"), health_case.decision(**change))
    assert refused.value.field == field
    assert _decisions(session) == 0
    assert session.scalar(select(func.count()).select_from(AuditRecord)) == entries


def test_r31_only_the_owners_health_items_can_be_covered(
    session: Session, org: DemoOrganisation, health_case: HealthCase
) -> None:
    risk = record_item(
        session,
        org.actor("offender.manager"),
        ItemInput(
            case_id=health_case.case.id,
            category="RISK",
            legal_basis="CJA_S325",
            title="Risk note",
            content="Synthetic",
        ),
    )
    not_health = health_case.decision(item_ids=[health_case.relapse.id, risk.id])
    with pytest.raises(InvalidInput) as refused:
        record_decision(session, org.actor("health.discloser"), not_health)
    assert (refused.value.field, refused.value.problem) == ("item_ids[1]", "is not a HEALTH item")


def test_r31_a_decision_lapses_at_review_by(
    session: Session,
    org: DemoOrganisation,
    gate: Gate,
    reader_for: ReaderFor,
    health_case: HealthCase,
) -> None:
    hc = health_case
    review_by = utcnow() + timedelta(hours=2)
    record_decision(session, org.actor("health.discloser"), hc.decision(review_by=review_by))
    view = gate.read_case(session, reader_for("mosovo"), hc.case.id)
    assert hc.relapse.id in {i.id for i in view.items}
    lapsed = gate.read_case(session, reader_for("mosovo", now=review_by), hc.case.id)
    assert hc.relapse.id not in {i.id for i in lapsed.items}
    denied = [
        d
        for d in audit_documents(session, operation="DENY")
        if str(hc.relapse.id) in d["record_ids"]
    ]
    assert denied[-1]["extra"]["public_interest_state"] == "LAPSED"
