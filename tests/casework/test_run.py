"""`run` over the real database: each rule's tasks, idempotence, and the audit trail."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub.actor import HUB_ITSELF
from hub.casework.kinds import ReactiveEndReason, TaskKind
from hub.casework.models import ReactiveManagement, Task, VisitPlan
from hub.casework.risk import record_rosh_levels
from hub.casework.run import run
from hub.demo.agencies import DemoOrganisation
from hub.meetings.models import ChildContact, ChildContactContext
from hub.models import MappaCase, NotificationEvent
from hub.services.items import ItemInput, record_item
from hub.services.notifications import RequirementInput, record_event, record_requirement
from hub.services.orders import OrderInput, ProhibitionInput, record_order
from hub.settings import Settings
from hub.vocabulary import NotificationEventStatus
from tests.casework.conftest import assess, moment, police_on_case
from tests.helpers import TODAY, audit_documents, new_case


def tasks_of(session: Session, case: MappaCase, rule: str | None = None) -> list[Task]:
    query = select(Task).where(Task.case_id == case.id)
    if rule:
        query = query.where(Task.rule_id == rule)
    return list(session.scalars(query.order_by(Task.due_date)))


def test_r06_an_overdue_review_makes_one_task_and_running_twice_never_doubles_it(
    session: Session, org: DemoOrganisation, settings: Settings
) -> None:
    """R-06 (scenario 3): overdue by two weeks -> a task for the coordinating agency; the
    second run, and a run after the task is done, add nothing."""
    case = new_case(session, org, category=2, level=2)
    later = case.next_review_due + timedelta(weeks=2)  # type: ignore[operator]
    first = run(session, settings, later, batch_size=100)
    assert first.tasks["R-06"] == 1
    [task] = tasks_of(session, case, "R-06")
    assert task.kind is TaskKind.REVIEW_OVERDUE
    assert task.owning_agency_id == case.owning_agency_id
    second = run(session, settings, later + timedelta(days=1), batch_size=100)
    assert second.tasks["R-06"] == 0
    assert len(tasks_of(session, case, "R-06")) == 1


def test_tasks_the_run_creates_are_collect_entries_by_the_hub_itself(
    session: Session, org: DemoOrganisation, settings: Settings
) -> None:
    case = new_case(session, org, category=2, level=3)
    run(session, settings, case.next_review_due + timedelta(days=1), batch_size=100)  # type: ignore[operator]
    [task] = tasks_of(session, case, "R-06")
    [entry] = audit_documents(session, record_type="casework_task", operation="COLLECT")
    assert entry["record_ids"] == [str(task.id)]
    assert entry["actor"]["agency"] == str(HUB_ITSELF)
    assert entry["actor"]["client"] == "hub"
    assert entry["case"] == str(case.id)
    assert entry["outcome"] == "R-06"


def test_r41_expiring_orders_and_prohibitions_ask_the_lead_agency_to_consider_renewal(
    session: Session, org: DemoOrganisation, settings: Settings
) -> None:
    """R-41: within 90 days (configurable) -> a 'consider renewal/variation' task."""
    case = new_case(session, org, category=1)
    police = org.actor("mosovo")
    made = TODAY.replace(year=TODAY.year - 5) + timedelta(days=30)
    record_order(
        session,
        police,
        OrderInput(
            person_id=case.person_id,
            type="SHPO",
            court="Demoton Crown Court",
            made_date=made,
            until_further_order=True,
            passport_surrendered=True,
            prohibitions=[
                ProhibitionInput(
                    "FOREIGN_TRAVEL",
                    "No travel outside the UK",
                    end_date=made.replace(year=made.year + 5),
                ),
                ProhibitionInput("INTERNET", "Keep browsing history", until_further_order=True),
            ],
        ),
    )
    record_order(
        session,
        police,
        OrderInput(
            person_id=case.person_id,
            type="SRO",
            court="Demoton Magistrates",
            made_date=TODAY - timedelta(days=700),
            end_date=TODAY + timedelta(days=60),
        ),
    )
    record_order(
        session,
        police,
        OrderInput(
            person_id=case.person_id,
            type="SRO",
            court="Demoton Magistrates",
            made_date=TODAY - timedelta(days=100),
            end_date=TODAY + timedelta(days=200),
        ),
    )
    report = run(session, settings, TODAY, batch_size=100)
    renewals = tasks_of(session, case, "R-41")
    assert report.tasks["R-41"] == 2
    assert {t.kind for t in renewals} == {TaskKind.CONSIDER_ORDER_RENEWAL}
    assert {t.owning_agency_id for t in renewals} == {case.lead_agency_id}
    assert [t.due_date for t in renewals] == sorted(
        [TODAY + timedelta(days=30), TODAY + timedelta(days=60)]
    )
    wider = Settings(environment="test", order_expiry_warning_days=365)
    assert run(session, wider, TODAY, batch_size=100).tasks["R-41"] == 1
    assert run(session, wider, TODAY, batch_size=100).tasks["R-41"] == 0


def test_r46_every_category_1_case_gets_a_visit_plan_from_its_risk_level_and_overdue_is_flagged(
    session: Session, org: DemoOrganisation, settings: Settings
) -> None:
    """R-46: a plan for each Category 1 case (none for Category 2), default frequency from
    the latest risk level; past its date, a VISIT_OVERDUE task for the police."""
    high = new_case(session, org, category=1)
    police_on_case(session, org, high)
    assess(session, org, high, "HIGH", TODAY - timedelta(days=10))
    unknown = new_case(session, org, category=1)
    other = new_case(session, org, category=2)
    report = run(session, settings, TODAY, batch_size=100)
    assert report.visit_plans_created == 2
    plan = session.scalars(select(VisitPlan).where(VisitPlan.case_id == high.id)).one()
    assert (plan.default_days, plan.next_due) == (91, TODAY + timedelta(days=91))
    fallback = session.scalars(select(VisitPlan).where(VisitPlan.case_id == unknown.id)).one()
    assert fallback.default_days == 30
    assert session.scalar(select(VisitPlan).where(VisitPlan.case_id == other.id)) is None
    assert run(session, settings, TODAY + timedelta(days=91), batch_size=100).tasks["R-46"] == 1
    later = run(session, settings, TODAY + timedelta(days=92), batch_size=100)
    assert later.tasks["R-46"] == 1  # the unknown-risk case; the high one already has its task
    [visit] = tasks_of(session, high, "R-46")
    assert visit.kind is TaskKind.VISIT_OVERDUE
    assert visit.owning_agency_id == org.agencies["DEMO-POL"].id


def test_r46_a_higher_risk_level_shortens_the_default_frequency(
    session: Session, org: DemoOrganisation, settings: Settings
) -> None:
    case = new_case(session, org, category=1)
    assess(session, org, case, "LOW", TODAY - timedelta(days=10))
    run(session, settings, TODAY, batch_size=100)
    assess(session, org, case, "VERY_HIGH", TODAY)
    report = run(session, settings, TODAY, batch_size=100)
    plan = session.scalars(select(VisitPlan).where(VisitPlan.case_id == case.id)).one()
    assert report.visit_plans_changed == 1
    assert plan.default_days == 30


def test_r45_scenario_5_new_intelligence_ends_reactive_management_and_restores_visits(
    session: Session, org: DemoOrganisation, settings: Settings
) -> None:
    """R-45, scenario 5: low risk for 4 years -> eligible; started; an NCA referral arrives ->
    reactive management ends, a review task and a risk assessment task, the visit plan back."""
    case = new_case(session, org, category=1)
    police_on_case(session, org, case)
    assess(session, org, case, "LOW", TODAY - timedelta(days=4 * 365 + 5))
    report = run(session, settings, TODAY, batch_size=100)
    assert report.reactive_eligible == 1
    record = session.scalars(
        select(ReactiveManagement).where(ReactiveManagement.case_id == case.id)
    ).one()
    assert record.eligible_since is not None
    assert not record.active
    record.active, record.started_on = True, TODAY  # a police decision (see test_pages)
    plan = session.scalars(select(VisitPlan).where(VisitPlan.case_id == case.id)).one()
    plan.suspended = True
    session.flush()
    later = TODAY + timedelta(days=400)
    assert run(session, settings, later, batch_size=100).tasks["R-46"] == 0  # suspended
    record_item(
        session,
        org.actor("mosovo"),
        ItemInput(
            case_id=case.id,
            category="INTELLIGENCE",
            legal_basis="DPA_PART3",
            title="NCA referral",
            content="Synthetic: online activity referral.",
            received_at=moment(later),
        ),
    )
    ended = run(session, settings, later, batch_size=100)
    assert ended.reactive_ended == 1
    session.refresh(record)
    assert (record.active, record.end_reason) == (False, ReactiveEndReason.INTELLIGENCE)
    kinds = {t.kind for t in tasks_of(session, case, "R-45")}
    assert kinds == {TaskKind.REVIEW_AFTER_NEW_INFORMATION, TaskKind.RISK_ASSESSMENT_DUE}
    session.refresh(plan)
    assert not plan.suspended
    assert plan.next_due <= later + timedelta(days=plan.frequency_days)
    assert run(session, settings, later, batch_size=100).tasks["R-45"] == 0


def test_r45_a_change_of_address_inside_the_window_blocks_eligibility(
    session: Session, org: DemoOrganisation, settings: Settings
) -> None:
    case = new_case(session, org, category=1)
    assess(session, org, case, "LOW", TODAY - timedelta(days=4 * 365))
    requirement = record_requirement(
        session,
        org.actor("mosovo"),
        RequirementInput(
            person_id=case.person_id,
            regime="SOA_PART2",
            relevant_date=TODAY - timedelta(days=5 * 365),
            indefinite=True,
        ),
    )
    moved = TODAY - timedelta(days=200)
    record_event(
        session,
        org.actor("mosovo"),
        requirement.id,
        type="CHANGE_ADDRESS",
        trigger_date=moved,
        due_by=moved + timedelta(days=3),
        received_at=moment(moved),
    )
    assert run(session, settings, TODAY, batch_size=100).reactive_eligible == 0


def test_r32_to_r35_notification_due_dates_missed_weekly_is_a_breach_candidate(
    session: Session, org: DemoOrganisation, settings: Settings
) -> None:
    """R-35 (scenario 10): a homeless RSO's weekly notification is expected every 7 days;
    missed -> MISSED and a breach candidate. R-34: the annual date is derived. R-32: an
    indefinite requirement gets its review eligibility date."""
    case = new_case(session, org, category=1)
    start = TODAY - timedelta(days=20)
    requirement = record_requirement(
        session,
        org.actor("mosovo"),
        RequirementInput(
            person_id=case.person_id,
            regime="SOA_PART2",
            relevant_date=start,
            indefinite=True,
            weekly_required=True,
        ),
    )
    run(session, settings, TODAY, batch_size=100)
    session.refresh(requirement)
    assert requirement.review_eligibility_date == start.replace(year=start.year + 15)
    assert requirement.next_periodic_due == start.replace(year=start.year + 1)
    [weekly] = [e for e in requirement.events if e.type.value == "WEEKLY_NFA"]
    assert weekly.due_by == start + timedelta(days=7)  # 13 days ago: missed at once
    assert weekly.status is NotificationEventStatus.MISSED
    [breach] = tasks_of(session, case, "R-35")
    assert breach.kind is TaskKind.BREACH_CANDIDATE
    assert breach.owning_agency_id == org.agencies["DEMO-POL"].id
    again = run(session, settings, TODAY, batch_size=100)
    assert (again.tasks["R-35"], again.notifications_missed) == (0, 0)
    assert run(session, settings, TODAY, batch_size=100).tasks["R-35"] == 0
    open_weekly = session.scalar(
        select(func.count())
        .select_from(NotificationEvent)
        .where(
            NotificationEvent.requirement_id == requirement.id,
            NotificationEvent.status == NotificationEventStatus.DUE,
        )
    )
    assert open_weekly == 1  # the next week's is expected, once


def test_r34_an_overdue_annual_notification_makes_a_task_unless_the_requirement_ended(
    session: Session, org: DemoOrganisation, settings: Settings
) -> None:
    """R-34; R-32: a 2-year (caution) period halved for a youth ends after one year."""
    case = new_case(session, org, category=1)
    youth = new_case(session, org, category=1)
    for c, halved in ((case, False), (youth, True)):
        record_requirement(
            session,
            org.actor("mosovo"),
            RequirementInput(
                person_id=c.person_id,
                regime="SOA_PART2",
                relevant_date=TODAY - timedelta(days=400),
                period_years=2,
                halved_for_youth=halved,
            ),
        )
    report = run(session, settings, TODAY, batch_size=100)
    assert report.tasks["R-34"] == 1
    assert len(tasks_of(session, case, "R-34")) == 1
    assert tasks_of(session, youth, "R-34") == []


def test_r48_rosh_to_children_medium_without_child_contacts_prompts_confirmation(
    session: Session, org: DemoOrganisation, settings: Settings
) -> None:
    """R-48: ROSH to children >= Medium and no ChildContact -> 'confirm no child contact';
    a recorded child contact, or a Low level, prompts nothing."""
    prompted = new_case(session, org, category=2, level=2)
    has_child = new_case(session, org, category=2, level=2)
    low = new_case(session, org, category=2, level=2)
    for case, level in ((prompted, "MEDIUM"), (has_child, "HIGH"), (low, "LOW")):
        rosh = assess(session, org, case, "HIGH", TODAY, by="offender.manager", tool="OASYS_ROSH")
        record_rosh_levels(
            session,
            org.actor("offender.manager"),
            rosh.id,
            [("COMMUNITY", "CHILDREN", level), ("COMMUNITY", "PUBLIC", "HIGH")],
        )
    contact = ChildContact(
        case_id=has_child.id,
        context=ChildContactContext.HOUSEHOLD,
        owning_agency_id=org.agencies["DEMO-PRB"].id,
    )
    contact.child_ref = "Child A"
    session.add(contact)
    session.flush()
    report = run(session, settings, TODAY, batch_size=100)
    assert report.tasks["R-48"] == 1
    [prompt] = tasks_of(session, prompted, "R-48")
    assert prompt.kind is TaskKind.CONFIRM_NO_CHILD_CONTACT
    assert prompt.due_date == prompted.next_review_due
    assert run(session, settings, TODAY, batch_size=100).tasks["R-48"] == 0


def test_run_walks_every_case_in_batches(
    session: Session, org: DemoOrganisation, settings: Settings
) -> None:
    cases = [new_case(session, org, category=2, level=2) for _ in range(5)]
    report = run(session, settings, cases[0].next_review_due + timedelta(days=1), batch_size=2)  # type: ignore[operator]
    assert report.batches >= 3
    assert report.tasks["R-06"] == 5
    assert report.cases >= 5
