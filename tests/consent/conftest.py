"""A case with health items held by the forensic team, a gate, and readers for any demo user."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from hub.consent.public_interest import DecisionInput
from hub.consent.records import ConsentInput
from hub.db import utcnow
from hub.demo.agencies import DemoOrganisation
from hub.gate import Gate, Reader
from hub.models import InformationItem, MappaCase
from hub.services.cases import add_member
from hub.services.items import ItemInput, record_item
from tests.helpers import new_case

POLICIES = Path(__file__).resolve().parents[2] / "policies"


@pytest.fixture(scope="session")
def gate() -> Gate:
    from hub.policy import PolicySet

    return Gate(PolicySet.load(POLICIES))


ReaderFor = Callable[..., Reader]


@pytest.fixture
def reader_for(session: Session, org: DemoOrganisation) -> ReaderFor:
    def make(
        username: str, purpose: str | None = "RISK_MANAGEMENT", *, now: datetime | None = None
    ) -> Reader:
        actor = dataclasses.replace(org.actor(username), purpose=purpose)
        return dataclasses.replace(Reader.of(session, actor), now=now)

    return make


@dataclass
class HealthCase:
    case: MappaCase
    relapse: InformationItem  # relapse indicators, shared on consent
    medication: InformationItem  # medication adherence, shared on consent
    org: DemoOrganisation

    @property
    def person_id(self) -> uuid.UUID:
        return self.case.person_id

    def agency(self, code: str) -> uuid.UUID:
        return self.org.agencies[code].id

    def consent(self, **overrides: object) -> ConsentInput:
        details: dict[str, object] = {
            "subject_person_id": self.person_id,
            "categories": ["HEALTH"],
            "recipient_agency_ids": [self.agency("DEMO-PRB"), self.agency("DEMO-POL")],
            "purposes": ["RISK_MANAGEMENT", "MAPPA_MEETING"],
            "method": "WRITTEN",
            "given_at": utcnow() - timedelta(days=30),
            "capacity_note": "Capacity assessed by the responsible clinician: has capacity",
        }
        details.update(overrides)
        return ConsentInput(**details)  # type: ignore[arg-type]

    def decision(self, **overrides: object) -> DecisionInput:
        details: dict[str, object] = {
            "subject_person_id": self.person_id,
            "item_ids": [self.relapse.id],
            "recipient_agency_ids": [self.agency("DEMO-PRB"), self.agency("DEMO-POL")],
            "risk_described": "Risk of serious harm to a former partner if relapse goes unseen",
            "information_scope": "Relapse indicators only; no treatment detail",
            "reasoning": "Relapse indicators are the earliest warning of the risk to the partner",
            "review_by": utcnow() + timedelta(days=28),
            "patient_informed": False,
            "reason_not_informed": "Telling him now would increase the risk to the partner",
        }
        details.update(overrides)
        return DecisionInput(**details)  # type: ignore[arg-type]


def health_item(
    session: Session, org: DemoOrganisation, case_id: uuid.UUID, title: str, basis: str = "CONSENT"
) -> InformationItem:
    return record_item(
        session,
        org.actor("health.rep"),
        ItemInput(
            case_id=case_id,
            category="HEALTH",
            legal_basis=basis,
            title=title,
            content=f"Synthetic {title.lower()} summary",
            source_system="NHS",
        ),
    )


@pytest.fixture
def health_case(session: Session, org: DemoOrganisation) -> HealthCase:
    """Scenario 1's set-up: a restricted patient whose forensic team shares on consent."""
    case = new_case(session, org, category=2, level=3)
    coordinator = org.actor("coordinator")
    for code in ("DEMO-POL", "DEMO-NHS", "DEMO-HSG"):
        add_member(session, coordinator, case.id, org.agencies[code].id, "AGENCY_CONTACT")
    relapse = health_item(session, org, case.id, "Relapse indicators")
    medication = health_item(session, org, case.id, "Medication adherence")
    return HealthCase(case, relapse, medication, org)
