"""R-01, R-02, R-04, R-05, R-06: categories and levels of a MAPPA case."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from hub.demo.agencies import DemoOrganisation
from hub.errors import InvalidInput, RuleViolation
from hub.services.assessments import AssessmentInput, record_assessment
from hub.services.cases import LevelDecision, change_category, change_level
from hub.vocabulary import CaseChangeKind, CaseStatus
from tests.helpers import TODAY, audit_documents, new_case, new_person


@pytest.mark.parametrize("category", [0, 5, "1", True, None])
def test_r01_category_is_exactly_one_of_1_to_4(
    session: Session, org: DemoOrganisation, category: object
) -> None:
    with pytest.raises(RuleViolation) as caught:
        new_case(session, org, category=category)  # type: ignore[arg-type]
    assert (caught.value.rule, caught.value.field) == ("R-01", "category")


def test_r01_category_change_needs_a_reason_and_leaves_history(
    session: Session, org: DemoOrganisation
) -> None:
    case = new_case(session, org, category=2)
    with pytest.raises(InvalidInput) as caught:
        change_category(session, org.actor("coordinator"), case.id, 1, "  ")
    assert caught.value.field == "reason"
    change_category(
        session, org.actor("coordinator"), case.id, 1, "Now subject to notification requirements"
    )
    assert case.category == 1
    last = case.history[-1]
    assert (last.kind, last.old_value, last.new_value) == (CaseChangeKind.CATEGORY, "2", "1")
    assert audit_documents(session, operation="ALTER")[-1]["fields_written"] == ["category"]


def test_r02_category_3_cannot_open_at_level_1(session: Session, org: DemoOrganisation) -> None:
    with pytest.raises(RuleViolation) as caught:
        new_case(session, org, category=3, level=1)
    assert (caught.value.rule, caught.value.field) == ("R-02", "level")


def test_r02_cannot_become_category_3_while_at_level_1(
    session: Session, org: DemoOrganisation
) -> None:
    case = new_case(session, org, category=2, level=1)
    with pytest.raises(RuleViolation) as caught:
        change_category(session, org.actor("coordinator"), case.id, 3, "Assessed as dangerous")
    assert caught.value.rule == "R-02"
    assert case.category == 2


def test_r02_level_1_on_category_3_starts_the_closure_workflow(
    session: Session, org: DemoOrganisation
) -> None:
    case = new_case(session, org, category=3, level=2)
    change_level(
        session,
        org.actor("chair.l2"),
        case.id,
        LevelDecision(level=1, reason="Risk reduced; active management not needed"),
    )
    assert case.status is CaseStatus.EXIT_REVIEW
    assert case.current_level == 2  # never silently at level 1
    assert case.history[-1].kind is CaseChangeKind.STATUS
    assert audit_documents(session, operation="ALTER")[-1]["outcome"] == (
        "R-02 closure workflow started"
    )


def test_r04_level_2_needs_a_basis(session: Session, org: DemoOrganisation) -> None:
    case = new_case(session, org)
    with pytest.raises(RuleViolation) as caught:
        change_level(
            session,
            org.actor("chair.l2"),
            case.id,
            LevelDecision(level=2, reason="Adds value", next_review_due=TODAY + timedelta(weeks=4)),
        )
    assert (caught.value.rule, caught.value.field) == ("R-04", "level.level_two_basis")


def test_r04_rosh_basis_needs_a_high_rosh(session: Session, org: DemoOrganisation) -> None:
    person = new_person(session, org)
    case = new_case(session, org, person=person)
    decision = LevelDecision(
        level=2,
        reason="Adds value",
        level_two_basis="ROSH_HIGH_OR_VERY_HIGH",
        next_review_due=TODAY + timedelta(weeks=4),
    )
    with pytest.raises(RuleViolation, match="not recorded"):
        change_level(session, org.actor("chair.l2"), case.id, decision)
    record_assessment(
        session,
        org.actor("offender.manager"),
        AssessmentInput(
            person_id=person.id,
            tool="OASYS_ROSH",
            algorithm_version="6",
            band="HIGH",
            assessed_at=datetime.now(UTC),
            source_system="OASYS",
            score=Decimal(1),
        ),
    )
    change_level(session, org.actor("chair.l2"), case.id, decision)
    assert case.current_level == 2
    assert case.history[-1].level_two_basis.value == "ROSH_HIGH_OR_VERY_HIGH"


def test_r04_step_down_needs_level_3(session: Session, org: DemoOrganisation) -> None:
    case = new_case(session, org)
    with pytest.raises(RuleViolation, match="step-down"):
        change_level(
            session,
            org.actor("chair.l2"),
            case.id,
            LevelDecision(
                level=2,
                reason="Step down",
                level_two_basis="STEP_DOWN_FROM_LEVEL_3",
                next_review_due=TODAY + timedelta(weeks=4),
            ),
        )
    at_three = new_case(session, org, level=3)
    change_level(
        session,
        org.actor("chair.l3"),
        at_three.id,
        LevelDecision(level=2, reason="Step down", level_two_basis="STEP_DOWN_FROM_LEVEL_3"),
    )
    assert at_three.current_level == 2


def test_r05_level_3_names_what_level_2_cannot_deliver(
    session: Session, org: DemoOrganisation
) -> None:
    with pytest.raises(RuleViolation) as caught:
        new_case(session, org, level=3, rmp_gaps_at_level_two="")
    assert (caught.value.rule, caught.value.field) == ("R-05", "level.rmp_gaps_at_level_two")


def test_r06_level_2_and_3_need_a_next_review_date(session: Session, org: DemoOrganisation) -> None:
    with pytest.raises(RuleViolation) as caught:
        new_case(session, org, level=2, next_review_due=None)
    assert (caught.value.rule, caught.value.field) == ("R-06", "level.next_review_due")


def test_one_open_case_per_person(session: Session, org: DemoOrganisation) -> None:
    person = new_person(session, org)
    new_case(session, org, person=person)
    with pytest.raises(InvalidInput, match="already has an open MAPPA case"):
        new_case(session, org, person=person)


def test_a_refused_change_writes_nothing(session: Session, org: DemoOrganisation) -> None:
    case = new_case(session, org, category=2)
    before = (len(case.history), len(audit_documents(session)), case.version)
    with pytest.raises(RuleViolation):
        change_category(session, org.actor("coordinator"), case.id, 7, "A typo in the category")
    assert (len(case.history), len(audit_documents(session)), case.version) == before
