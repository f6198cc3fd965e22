"""Bad consent input is refused naming the field, with nothing half-written."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub.consent.records import record_consent, withdraw_consent
from hub.db import utcnow
from hub.demo.agencies import DemoOrganisation
from hub.errors import InvalidInput, RuleViolation
from hub.models import AuditRecord, Consent, ConsentRecipient
from hub.vocabulary import Purpose
from tests.consent.conftest import HealthCase

GIVEN = utcnow() - timedelta(days=3)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"categories": ["HEALTH", "MEDICAL"]}, "categories[1]"),
        ({"categories": []}, "categories"),
        ({"purposes": ["GOSSIP"]}, "purposes[0]"),
        ({"recipient_agency_ids": [uuid.uuid4()]}, "recipient_agency_ids[0]"),
        ({"recipient_agency_ids": []}, "recipient_agency_ids"),
        ({"method": "TELEPATHY"}, "method"),
        ({"given_at": GIVEN, "expires_at": GIVEN - timedelta(days=1)}, "expires_at"),
        ({"given_at": utcnow() + timedelta(days=2)}, "given_at"),
        ({"given_at": datetime(2026, 1, 1)}, "given_at"),  # noqa: DTZ001  (naive on purpose)
        ({"subject_person_id": uuid.uuid4()}, "subject_person_id"),
        ({"capacity_note": "x" * 2001}, "capacity_note"),
    ],
)
def test_r28_bad_consent_input_names_the_field_and_writes_nothing(
    session: Session,
    org: DemoOrganisation,
    health_case: HealthCase,
    change: dict[str, object],
    field: str,
) -> None:
    entries = session.scalar(select(func.count()).select_from(AuditRecord))
    with pytest.raises(InvalidInput) as refused:
        record_consent(session, org.actor("health.rep"), health_case.consent(**change))
    assert refused.value.field == field
    assert session.scalar(select(func.count()).select_from(Consent)) == 0
    assert session.scalar(select(func.count()).select_from(ConsentRecipient)) == 0
    assert session.scalar(select(func.count()).select_from(AuditRecord)) == entries


def test_r28_only_the_controller_records_and_withdraws_its_consents(
    session: Session, org: DemoOrganisation, health_case: HealthCase
) -> None:
    with pytest.raises(RuleViolation) as refused:
        record_consent(
            session,
            org.actor("mosovo"),
            health_case.consent(controller_agency_id=health_case.agency("DEMO-NHS")),
        )
    assert refused.value.field == "controller_agency_id"
    consent = record_consent(session, org.actor("health.rep"), health_case.consent())
    with pytest.raises(RuleViolation):
        withdraw_consent(session, org.actor("chair.l3"), consent.id, "Chair thinks so")
    assert session.get_one(Consent, consent.id).withdrawn_at is None


def test_r29_withdrawal_input_names_the_field(
    session: Session, org: DemoOrganisation, health_case: HealthCase
) -> None:
    consent = record_consent(session, org.actor("health.rep"), health_case.consent())
    for kwargs, field in (
        ({"reason": ""}, "withdrawal_reason"),
        ({"reason": "ok", "withdrawn_at": GIVEN - timedelta(days=60)}, "withdrawn_at"),
        ({"reason": "ok", "withdrawn_at": datetime.now(UTC) + timedelta(days=1)}, "withdrawn_at"),
    ):
        with pytest.raises(InvalidInput) as refused:
            withdraw_consent(session, org.actor("health.rep"), consent.id, **kwargs)  # type: ignore[arg-type]
        assert refused.value.field == field
    assert session.get_one(Consent, consent.id).withdrawn_at is None


def test_r28_consent_purposes_are_the_policy_schemas_purposes() -> None:
    schema = yaml.safe_load(
        (Path(__file__).resolve().parents[2] / "policies" / "schema.yaml").read_text()
    )
    assert [p.value for p in Purpose] == schema["enums"]["purpose"]
