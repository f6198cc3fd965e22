"""Lists are filtered in SQL; the SQL filter and per-record decisions must agree (R-16, R-21)."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.demo.agencies import STAFF, DemoOrganisation
from hub.gate import Gate, Reader, case_filter
from hub.gate.relationships import case_relationships
from hub.gate.resources import case_resource
from hub.models import CaseMembership, MappaCase
from hub.vocabulary import MembershipRole
from tests.gate.conftest import ReaderFor
from tests.helpers import TODAY, audit_documents, new_case

USERS = [username for username, *_ in STAFF]
AGENCIES = sorted({code for _, _, code, _ in STAFF})
PURPOSES = [
    None,
    "RISK_MANAGEMENT",
    "MAPPA_MEETING",
    "SAFEGUARDING",
    "DISCLOSURE_DECISION",
    "COSA_SUPPORT",
    "AUDIT_OVERSIGHT",
]

membership = st.tuples(
    st.sampled_from(AGENCIES),
    st.sampled_from(list(MembershipRole)),
    st.sampled_from([None, *USERS]),  # a named user, or the whole agency
    st.sampled_from([None, -1, 0, 30]),  # days until it ends: none, ended, ends today, later
)
readers = st.tuples(
    st.sampled_from(USERS),
    st.sampled_from(PURPOSES),
    st.sampled_from([None, "x" * 45]),
    st.booleans(),
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    cases=st.lists(st.lists(membership, max_size=4), min_size=1, max_size=5),
    asks=st.lists(readers, min_size=1, max_size=6),
)
def test_the_sql_filter_agrees_with_per_record_decisions(
    session: Session, org: DemoOrganisation, gate: Gate, cases: list, asks: list
) -> None:
    with session.begin_nested() as savepoint:
        ids = []
        for members in cases:
            case = new_case(session, org)
            # The case opens with probation as lead; memberships are unique per case.
            seen = {("DEMO-PRB", MembershipRole.LEAD_CASE_MANAGER, None)}
            for code, role, user, days in members:
                if (code, role, user) in seen:
                    continue
                seen.add((code, role, user))
                session.add(
                    CaseMembership(
                        case_id=case.id,
                        agency_id=org.agencies[code].id,
                        role=role,
                        user_id=org.staff[user].id if user else None,
                        since=TODAY,
                        until=None if days is None else TODAY + timedelta(days=days),
                    )
                )
            ids.append(case.id)
        session.flush()
        session.expire_all()  # memberships added beside the relationship: load them afresh
        for username, purpose, justification, glass in asks:
            actor = dataclasses.replace(
                org.actor(username), purpose=purpose, justification=justification
            )
            reader = Reader.of(session, actor, break_glass=glass)
            clause = case_filter(gate.policy, reader, "list", TODAY)
            in_sql = set(session.scalars(select(MappaCase.id).where(clause, MappaCase.id.in_(ids))))
            in_python = set()
            for case in session.scalars(select(MappaCase).where(MappaCase.id.in_(ids))):
                rels = case_relationships(actor, case.members, TODAY)
                request = {**case_resource(case, actor, rels).attributes, "action": "list"}
                if gate.policy.decide({**reader.attributes(), **request}).permitted:
                    in_python.add(case.id)
            assert in_sql == in_python, (username, purpose, justification, glass)
        savepoint.rollback()


def test_a_list_shows_and_counts_only_what_the_reader_may_know(
    session: Session, org: DemoOrganisation, gate: Gate, reader_for: ReaderFor
) -> None:
    mine = [new_case(session, org) for _ in range(3)]
    for case in mine:
        session.add(
            CaseMembership(
                case_id=case.id,
                agency_id=org.agencies["DEMO-HSG"].id,
                role=MembershipRole.AGENCY_CONTACT,
                since=TODAY,
            )
        )
    new_case(session, org)  # housing has no part in this one
    session.flush()
    page = gate.list_cases(session, reader_for("housing.rep", "SAFEGUARDING"), per_page=2)
    assert page.total == 3
    assert len(page.cases) == 2
    assert {v.id for v in page.cases} <= {c.id for c in mine}
    nothing = gate.list_cases(session, reader_for("housing.rep", None))
    assert (nothing.total, nothing.cases) == (0, [])


def test_bad_paging_names_the_field(session: Session, gate: Gate, reader_for: ReaderFor) -> None:
    import pytest

    from hub.errors import InvalidInput

    with pytest.raises(InvalidInput, match=r"^per_page"):
        gate.list_cases(session, reader_for("coordinator"), per_page=1000)
    with pytest.raises(InvalidInput, match=r"^page"):
        gate.list_cases(session, reader_for("coordinator"), page=0)


def test_a_large_count_stops_at_the_cap_and_says_so(
    session: Session, org: DemoOrganisation, gate: Gate, reader_for: ReaderFor
) -> None:
    for _ in range(4):
        new_case(session, org)
    session.flush()
    reader = reader_for("offender.manager")  # probation leads every test case
    capped = Gate(gate.policy, count_cap=3).list_cases(session, reader, per_page=2)
    assert (capped.total, capped.total_exact) == (3, False)  # "more than 3", never a wrong 4+
    exact = Gate(gate.policy, count_cap=1000).list_cases(session, reader, per_page=2)
    assert exact.total_exact
    assert exact.total >= 4


def test_lists_come_soonest_review_first_and_level_one_cases_last(
    session: Session, org: DemoOrganisation, gate: Gate, reader_for: ReaderFor
) -> None:
    later = new_case(session, org, category=1, level=2, next_review_due=TODAY + timedelta(weeks=6))
    sooner = new_case(session, org, category=1, level=3, next_review_due=TODAY + timedelta(days=3))
    no_review = new_case(session, org)
    session.flush()
    page = gate.list_cases(session, reader_for("offender.manager"), per_page=200)
    order = [v.id for v in page.cases]
    assert order.index(sooner.id) < order.index(later.id) < order.index(no_review.id)


def test_relationships_asked_about_by_many_rules_filter_with_one_membership_test(
    org: DemoOrganisation, gate: Gate, reader_for: ReaderFor
) -> None:
    # A chair or coordinator matches several permits through different relationships; ORed,
    # they must become one EXISTS (one semi-join), not one per relationship.
    clause = case_filter(gate.policy, reader_for("coordinator", "MAPPA_MEETING"), "list", TODAY)
    assert str(clause).count("EXISTS") == 1
    nothing = case_filter(gate.policy, reader_for("coordinator", None), "list", TODAY)
    assert str(nothing) == "false"  # no purpose, no data, and no query worth running


def test_r06_overdue_reviews_are_filtered_in_the_database_and_only_they_are_audited(
    session: Session, org: DemoOrganisation, gate: Gate, reader_for: ReaderFor
) -> None:
    late = new_case(session, org, category=1, level=2, next_review_due=TODAY - timedelta(days=3))
    new_case(session, org, category=1, level=2, next_review_due=TODAY + timedelta(days=3))
    new_case(session, org)
    session.flush()
    reader = reader_for("offender.manager")
    page = gate.list_cases(session, reader, per_page=200, due_before=TODAY)
    assert [v.id for v in page.cases] == [late.id]
    assert page.total == 1
    consulted = audit_documents(session, operation="CONSULT", record_type="mappa_case")
    assert {d["case"] for d in consulted} == {str(late.id)}
