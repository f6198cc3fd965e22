"""One synthetic MAPPA case, built through the real services so every rule and audit applies.

Proportions follow published figures: ROSH roughly 2% very high, 18% high, 30% medium and
50% low (domain.md §3.6); categories about 72% / 26% / 1.5% / 0.5%; most cases at level 1.
"""

from __future__ import annotations

import random
import uuid
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import TypeVar

from sqlalchemy.orm import Session

from hub.demo.agencies import DemoOrganisation
from hub.demo.people import (
    date_of_birth,
    invented_name,
    synthetic_address,
    synthetic_crn,
    synthetic_pnc,
)
from hub.models import Address
from hub.services.assessments import AssessmentInput, record_assessment
from hub.services.cases import CaseOpening, LevelDecision, open_case
from hub.services.items import ItemInput, record_item
from hub.services.notifications import RequirementInput, record_requirement
from hub.services.orders import OrderInput, ProhibitionInput, record_order
from hub.services.people import NameInput, PersonInput, register_person
from hub.vocabulary import AddressType, RiskBand

ROSH_WEIGHTS = (
    (RiskBand.VERY_HIGH, 2),
    (RiskBand.HIGH, 18),
    (RiskBand.MEDIUM, 30),
    (RiskBand.LOW, 50),
)
CATEGORY_WEIGHTS = ((1, 720), (2, 260), (3, 15), (4, 5))
# Chance of active multi-agency management (level 2, level 3) by ROSH band.
LEVEL_CHANCES = {
    RiskBand.VERY_HIGH: (0.45, 0.2),
    RiskBand.HIGH: (0.12, 0.01),
    RiskBand.MEDIUM: (0.02, 0.0),
    RiskBand.LOW: (0.0, 0.0),
}


T = TypeVar("T")


def _weighted(rng: random.Random, weights: tuple[tuple[T, int], ...]) -> T:
    values = [value for value, _ in weights]
    return rng.choices(values, weights=[weight for _, weight in weights])[0]


def _moment(day: date) -> datetime:
    return datetime.combine(day, time(10, 0), tzinfo=UTC)


def create_case(
    session: Session,
    org: DemoOrganisation,
    rng: random.Random,
    index: int,
    today: date,
    area: str,
) -> None:
    police, probation = org.agencies["DEMO-POL"], org.agencies["DEMO-PRB"]
    mosovo, om = org.actor("mosovo"), org.actor("offender.manager")
    category = _weighted(rng, CATEGORY_WEIGHTS)
    band = _weighted(rng, ROSH_WEIGHTS)
    sex = "FEMALE" if rng.random() < 0.04 else "MALE"
    registration = register_person(
        session,
        mosovo,
        PersonInput(
            names=[
                NameInput(
                    given=invented_name(rng, 2), family=invented_name(rng, rng.randint(2, 3))
                ),
                *(
                    [
                        NameInput(
                            given=invented_name(rng, 2), family=invented_name(rng, 2), type="ALIAS"
                        )
                    ]
                    if rng.random() < 0.3
                    else []
                ),
            ],
            date_of_birth=date_of_birth(rng, today),
            sex=sex,
            identifiers=[("PNC", synthetic_pnc(index, rng)), ("CRN", synthetic_crn(index))],
            ethnicity_text=rng.choice(
                (
                    "White British",
                    "Black British",
                    "British Asian",
                    "White Irish",
                    "Mixed heritage",
                    "Not stated",
                )
            ),
            nationality="British",
        ),
    )
    person = registration.person
    line1, town, postcode = synthetic_address(rng)
    session.add(
        Address(
            person_id=person.id,
            type=AddressType.HOME,
            line1=line1,
            town=town,
            postcode=postcode,
            valid_from=today - timedelta(days=rng.randint(30, 2000)),
            owning_agency_id=police.id,
        )
    )
    assessed = _moment(today - timedelta(days=rng.randint(10, 300)))
    record_assessment(
        session,
        om,
        AssessmentInput(
            person_id=person.id,
            tool="OASYS_ROSH",
            algorithm_version="OASys 6.x",
            band=band,
            assessed_at=assessed,
            source_system="OASYS",
            source_reference=f"OASYS-{index:07d}",
        ),
    )

    level, basis = _level(rng, category, band)
    start = today - timedelta(days=rng.randint(60, 3000))
    lead = police if category == 1 and rng.random() < 0.6 else probation
    # A few reviews already slipped (R-06 overdue): the dashboard must show them.
    review = today + timedelta(weeks=rng.randint(-3, 8 if level == 3 else 16))
    decision = LevelDecision(
        level=level,
        reason="Screened at referral; level set by the MAPPA meeting",
        level_two_basis=basis,
        rmp_gaps_at_level_two=(
            "Emergency accommodation and police surveillance need senior commitment"
            if level == 3
            else None
        ),
        next_review_due=review if level > 1 else None,
    )
    case = open_case(
        session,
        org.actor("coordinator"),
        CaseOpening(
            person_id=person.id,
            category=category,
            lead_agency_id=lead.id,
            mappa_area=area,
            start_date=start,
            level=decision,
        ),
    )

    record_item(
        session,
        om,
        ItemInput(
            case_id=case.id,
            category="CONVICTION",
            legal_basis="CJA_S325",
            title="Index offence summary",
            content="- Index offence recorded at the Crown Court\n"
            "- Sentence and licence details held "
            "by probation",
            source_system="NDELIUS",
            source_reference=f"NDELIUS-CONV-{index:07d}",
        ),
    )
    record_item(
        session,
        mosovo,
        ItemInput(
            case_id=case.id,
            category="LOCATION",
            legal_basis="DPA_PART3",
            title="Current address verified",
            content=f"Home address in {town} verified at a visit.",
            source_system="VISOR_MAPPS",
            source_reference=f"VISOR-LOC-{index:07d}",
        ),
    )
    if rng.random() < 0.35:
        record_item(
            session,
            mosovo,
            ItemInput(
                case_id=case.id,
                category="INTELLIGENCE",
                legal_basis="DPA_PART3",
                title="Intelligence report (graded B2)",
                originator_control=True,
                content="Reported association with a person of interest; under assessment.",
                source_system="PNC",
                source_reference=f"INT-{index:07d}",
            ),
        )
    if rng.random() < 0.3:
        record_item(
            session,
            om,
            ItemInput(
                case_id=case.id,
                category="VICTIM",
                legal_basis="CJA_S325",
                title="Victim safety considerations",
                content="Named victim in the Victim Contact Scheme; exclusion zone requested.",
                named_agency_ids=[police.id],
            ),
        )
    if rng.random() < 0.15:
        record_item(
            session,
            org.actor("csc.rep"),
            ItemInput(
                case_id=case.id,
                category="CHILD",
                legal_basis="UKGDPR_PUBLIC_TASK",
                title="Children's services check",
                content="Household check completed; no child protection plan in place.",
            ),
        )
    if rng.random() < 0.1:
        record_item(
            session,
            org.actor("health.rep"),
            ItemInput(
                case_id=case.id,
                category="HEALTH",
                legal_basis="CONSENT",
                title="Engagement with the forensic team",
                content="Attending appointments; relapse indicators discussed with consent.",
            ),
        )
    if category == 1:
        _registered_offender(session, org, rng, person.id, start, today, index)


def _level(rng: random.Random, category: int, band: RiskBand) -> tuple[int, str | None]:
    l2, l3 = LEVEL_CHANCES[band]
    if category == 3:  # category 3 exists only at level 2 or 3
        l2, l3 = 0.8, 0.2
    draw = rng.random()
    level = 3 if draw < l3 else 2 if draw < l3 + l2 else 1
    if level != 2:
        return level, None
    high = band in (RiskBand.HIGH, RiskBand.VERY_HIGH)
    return 2, "ROSH_HIGH_OR_VERY_HIGH" if high else "EXCEPTIONAL_COORDINATION"


def _registered_offender(
    session: Session,
    org: DemoOrganisation,
    rng: random.Random,
    person_id: uuid.UUID,
    start: date,
    today: date,
    index: int,
) -> None:
    mosovo = org.actor("mosovo")
    indefinite = rng.random() < 0.4
    record_requirement(
        session,
        mosovo,
        RequirementInput(
            person_id=person_id,
            regime="SOA_PART2",
            relevant_date=start,
            indefinite=indefinite,
            period_years=None if indefinite else rng.choice((5.0, 7.0, 10.0)),
            next_periodic_due=start + timedelta(days=365 * ((today - start).days // 365 + 1)),
            prescribed_station="Demoton Police Station",
        ),
    )
    record_assessment(
        session,
        org.actor("offender.manager"),
        AssessmentInput(
            person_id=person_id,
            tool="OSP_DC",
            algorithm_version="OSP/DC 2021",
            band=rng.choice(("LOW", "MEDIUM", "HIGH")),
            score=Decimal(rng.randint(0, 40)),
            assessed_at=_moment(start + timedelta(days=20)),
            source_system="ARNS",
            source_reference=f"ARNS-OSP-{index:07d}",
        ),
    )
    if rng.random() < 0.25:
        made = start + timedelta(days=rng.randint(0, 30))
        record_order(
            session,
            mosovo,
            OrderInput(
                person_id=person_id,
                type="SHPO",
                court="Demoton Crown Court",
                made_date=made,
                until_further_order=True,
                prohibitions=[
                    ProhibitionInput(
                        category="INTERNET",
                        text="Must keep browsing history and make "
                        "devices available for inspection.",
                        until_further_order=True,
                    ),
                    ProhibitionInput(
                        category="CHILD_CONTACT",
                        text="No unsupervised contact with a child under 16 without approval.",
                        until_further_order=True,
                    ),
                ],
            ),
        )
