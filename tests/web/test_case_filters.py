"""The case list's filters and reference search: applied in SQL through the gate, bad values
named in the GOV.UK error summary with nothing read (issue 8)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from hub.demo.agencies import DemoOrganisation
from hub.policy import PolicySet, Redact, RedactAllExcept
from hub.services.cases import add_member
from hub.web.listing import CaseFilters
from tests.accounts.conftest import Clock, audit_since, last_seq
from tests.helpers import TODAY, new_case
from tests.web.conftest import choose, listed, signed_in

POLICIES = Path(__file__).resolve().parents[2] / "policies"
FILTERED_CASE_FIELDS = {"category", "current_level", "lead_agency", "next_review_due"}


def test_filters_narrow_the_gated_list_and_only_the_shown_cases_are_audited(
    app: Flask, session: Session, org: DemoOrganisation, keys: dict[str, str], clock: Clock
) -> None:
    one = new_case(session, org, category=1, level=2, next_review_due=TODAY + timedelta(days=2))
    two = new_case(session, org, category=2, level=3)
    three = new_case(session, org, category=2, level=1)
    clock.advance(days=5)  # `one` is now overdue
    client = signed_in(app, keys, clock, "coordinator")
    everything = listed(choose(client, "MAPPA_MEETING"))
    assert {str(one.id), str(two.id), str(three.id)} <= everything
    assert listed(client.get("/cases?category=2&level=3").get_data(as_text=True)) >= {str(two.id)}
    assert str(three.id) not in listed(client.get("/cases?level=3").get_data(as_text=True))
    overdue = listed(client.get("/cases?overdue=yes").get_data(as_text=True))
    assert str(one.id) in overdue
    assert str(two.id) not in overdue
    before = last_seq(session)
    reference = one.id.hex[:8].upper()
    found = client.get(f"/cases?reference=Case+{reference}").get_data(as_text=True)
    assert listed(found) == {str(one.id)}
    consulted = [d for d in audit_since(session, before) if d["operation"] == "CONSULT"]
    assert [d["record_ids"] for d in consulted] == [[str(one.id)]]
    full = client.get(f"/cases?reference={one.id}").get_data(as_text=True)
    assert listed(full) == {str(one.id)}
    probation = org.agencies["DEMO-PRB"].id
    led = listed(client.get(f"/cases?lead_agency={probation}").get_data(as_text=True))
    assert {str(one.id), str(two.id)} <= led
    police = org.agencies["DEMO-POL"].id
    assert listed(client.get(f"/cases?lead_agency={police}").get_data(as_text=True)) == set()


def test_a_filter_never_shows_a_case_the_reader_may_not_list(
    app: Flask, session: Session, org: DemoOrganisation, keys: dict[str, str], clock: Clock
) -> None:
    theirs = new_case(session, org, category=2, level=2)
    ours = new_case(session, org, category=2, level=2)
    add_member(
        session, org.actor("coordinator"), ours.id, org.agencies["DEMO-HSG"].id, "AGENCY_CONTACT"
    )
    client = signed_in(app, keys, clock, "housing.rep")
    choose(client, "RISK_MANAGEMENT")
    shown = listed(client.get(f"/cases?reference={theirs.id.hex[:8]}").get_data(as_text=True))
    assert shown == set()  # a hidden case cannot be found by its reference either
    mine = listed(client.get("/cases?mine=yes").get_data(as_text=True))
    assert mine == {str(ours.id)}


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("level=4", "level"),
        ("level=two", "level"),
        ("category=5", "category"),
        ("lead_agency=not-an-agency", "lead_agency"),
        ("lead_agency=00000000-0000-4000-8000-000000000000", "lead_agency"),
        ("overdue=maybe", "overdue"),
        ("mine=1", "mine"),
        ("reference=zz-top", "reference"),
        ("reference=" + "a" * 33, "reference"),
    ],
)
def test_an_unknown_filter_value_is_named_in_the_error_summary_and_nothing_is_read(
    app: Flask,
    session: Session,
    org: DemoOrganisation,
    keys: dict[str, str],
    clock: Clock,
    query: str,
    field: str,
) -> None:
    new_case(session, org, category=2, level=2)
    client = signed_in(app, keys, clock, "coordinator")
    choose(client, "MAPPA_MEETING")
    before = last_seq(session)
    response = client.get(f"/cases?{query}")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "govuk-error-summary" in page
    assert f'href="#{field}"' in page
    assert f'id="{field}"' in page  # the link leads to the field
    assert "<title>Error: " in page
    assert listed(page) == set()
    assert [d for d in audit_since(session, before) if d["operation"] == "CONSULT"] == []


def test_filters_keep_to_pagination_links() -> None:
    filters = CaseFilters(reference="1a2b", level=2, overdue=True)
    assert filters.query() == {"reference": "1A2B", "level": "2", "overdue": "yes"}
    assert not CaseFilters().any


def test_the_policies_withhold_no_filtered_case_field_so_filters_reveal_nothing() -> None:
    """Filtering on a field a reader could not see would tell them its value: the workspace
    filters only on case fields no rule withholds (hub/web/listing.py)."""
    policy = PolicySet.load(POLICIES)
    for rule in policy.rules:
        if rule.scope.resource_types and "case" not in rule.scope.resource_types:
            continue
        if rule.is_field_forbid:
            assert not (set(rule.scope.fields or ()) & FILTERED_CASE_FIELDS), rule.id
            if rule.scope.fields_except is not None:
                assert set(rule.scope.fields_except) >= FILTERED_CASE_FIELDS, rule.id
        for obligation in rule.obligations:
            if isinstance(obligation, Redact):
                assert not (set(obligation.fields) & FILTERED_CASE_FIELDS), rule.id
            if isinstance(obligation, RedactAllExcept):
                assert set(obligation.fields) >= FILTERED_CASE_FIELDS, rule.id
