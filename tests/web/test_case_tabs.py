"""A case's pages: sections by category, who accessed it (R-22), view as another agency,
and disclosure packs as PDF (R-12, R-29 b, domain.md §10 scenario 1)."""

from __future__ import annotations

import dataclasses
import re
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from hub.consent.public_interest import record_decision
from hub.consent.records import record_consent, withdraw_consent
from hub.demo.agencies import DemoOrganisation
from hub.gate import Gate, Reader
from hub.models import MappaCase
from hub.packs.pdf import MARKING
from hub.services.cases import LevelDecision, add_member, change_level
from hub.services.items import ItemInput, record_item
from tests.accounts.conftest import Clock, audit_since, csrf_from, last_seq
from tests.consent.conftest import HealthCase, gate, health_case  # noqa: F401  (fixtures)
from tests.helpers import TODAY, new_case
from tests.packs.pdf_text import page_texts
from tests.web.conftest import choose, signed_in

MISSING = "00000000-0000-4000-8000-000000000000"


def item(session: Session, org: DemoOrganisation, case: MappaCase, user: str, **kw: Any) -> Any:
    details = {"case_id": case.id, "legal_basis": "DPA_PART3", "source_system": "MANUAL", **kw}
    return record_item(session, org.actor(user), ItemInput(**details))


@pytest.fixture
def worked_case(session: Session, org: DemoOrganisation) -> MappaCase:
    """A level 2 case led by probation, with housing and the health trust working it."""
    case = new_case(session, org, category=1, level=2)
    for code in ("DEMO-HSG", "DEMO-POL"):
        add_member(
            session, org.actor("coordinator"), case.id, org.agencies[code].id, "AGENCY_CONTACT"
        )
    item(
        session,
        org,
        case,
        "mosovo",
        category="CONVICTION",
        title="Index offence",
        content="Synthetic index offence summary",
    )
    item(
        session,
        org,
        case,
        "mosovo",
        category="INTELLIGENCE",
        title="Intelligence report",
        content="Synthetic intelligence summary",
    )
    item(
        session,
        org,
        case,
        "offender.manager",
        category="RISK",
        title="Risk summary",
        content="Synthetic risk summary",
    )
    return case


def sections(page: str) -> list[str]:
    return re.findall(r'data-section="([A-Z_]+)"', page)


def test_the_case_page_groups_items_by_category_with_owner_and_legal_basis(
    app: Flask, worked_case: MappaCase, keys: dict[str, str], clock: Clock
) -> None:
    client = signed_in(app, keys, clock, "coordinator")
    page = choose(client, "MAPPA_MEETING", f"/cases/{worked_case.id}")
    assert sections(page) == ["CONVICTION", "RISK", "INTELLIGENCE"]
    conviction = re.search(r'data-section="CONVICTION".*?</section>', page, re.DOTALL)
    assert conviction is not None
    assert "Demoshire Police" in conviction.group(0)  # the owning agency
    assert "Data Protection Act 2018, Part 3" in conviction.group(0)  # the legal basis


# -- who accessed this case (R-22) ----------------------------------------------------------


def access_rows(page: str) -> list[str]:
    return re.findall(r'data-access-seq="(\d+)"', page)


def test_r22_each_agency_sees_its_own_trail_and_the_auditor_sees_all(
    app: Flask,
    session: Session,
    org: DemoOrganisation,
    worked_case: MappaCase,
    keys: dict[str, str],
    clock: Clock,
) -> None:
    """R-22: each agency sees its own trail; the AUDITOR sees all of it; the tab is audited."""
    housing = signed_in(app, keys, clock, "housing.rep")
    choose(housing, "RISK_MANAGEMENT", f"/cases/{worked_case.id}")  # housing reads the case
    clock.advance(seconds=31)
    coordinator = signed_in(app, keys, clock, "coordinator")
    choose(coordinator, "MAPPA_MEETING", f"/cases/{worked_case.id}")
    before = last_seq(session)
    page = coordinator.get(f"/cases/{worked_case.id}/access").get_data(as_text=True)
    shown = set(access_rows(page))
    probation = str(org.agencies["DEMO-PRB"].id)
    trail = [
        d
        for d in audit_since(session, 0)
        if d["case"] == str(worked_case.id)
        and d["operation"] in ("CONSULT", "DENY", "DISCLOSE")
        and d["record_type"] != "audit_log"
    ]
    own = {str(d["seq"]) for d in trail if d["actor"]["agency"] == probation}
    others = {str(d["seq"]) for d in trail if d["actor"]["agency"] != probation}
    assert own
    assert others
    assert own <= shown
    assert not (others & shown)  # housing's reads are housing's to see
    assert "Your agency's consultations" in page
    tab = [d for d in audit_since(session, before) if d["record_type"] == "audit_log"]
    assert len(tab) == 1
    assert tab[0]["operation"] == "CONSULT"
    assert tab[0]["extra"]["scope"] == "own_agency"
    assert set(tab[0]["record_ids"]) == shown
    clock.advance(seconds=31)
    auditor = signed_in(app, keys, clock, "auditor")
    everything = choose(auditor, "AUDIT_OVERSIGHT", f"/cases/{worked_case.id}/access")
    assert (own | others) <= set(access_rows(everything))
    assert "You see them all because you audit the hub" in everything
    # Without the audit purpose the auditor is an ordinary reader: not their case, 404.
    choose(auditor, "RISK_MANAGEMENT")
    assert auditor.get(f"/cases/{worked_case.id}/access").status_code == 404


def test_a_hidden_case_is_the_same_404_on_every_case_page(
    app: Flask, worked_case: MappaCase, keys: dict[str, str], clock: Clock
) -> None:
    client = signed_in(app, keys, clock, "cosa.volunteer")
    choose(client, "RISK_MANAGEMENT")
    for tab in ("", "/access", "/pack", "/history"):
        hidden = client.get(f"/cases/{worked_case.id}{tab}")
        missing = client.get(f"/cases/{MISSING}{tab}")
        garbled = client.get(f"/cases/nonsense{tab}")
        assert hidden.status_code == missing.status_code == garbled.status_code == 404
        assert hidden.get_data() == missing.get_data() == garbled.get_data()


def test_the_history_tab_shows_level_changes_with_their_reasons(
    app: Flask,
    session: Session,
    org: DemoOrganisation,
    worked_case: MappaCase,
    keys: dict[str, str],
    clock: Clock,
) -> None:
    """Issue 8: level and category changes, with their history (R-04, R-05 reasons)."""
    change_level(
        session,
        org.actor("chair.l3"),
        worked_case.id,
        LevelDecision(
            level=3,
            reason="Synthetic: imminent risk needs senior oversight and extra resources",
            rmp_gaps_at_level_two="Police and health resources beyond level 2 are needed",
            next_review_due=TODAY + timedelta(weeks=4),
        ),
    )
    session.commit()
    client = signed_in(app, keys, clock, "coordinator")
    choose(client, "MAPPA_MEETING")
    page = client.get(f"/cases/{worked_case.id}/history")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert 'data-change-kind="LEVEL"' in text
    assert "imminent risk needs senior oversight" in text


# -- view as ---------------------------------------------------------------------------


def view_as(client: FlaskClient, case: MappaCase, agency: Any, role: str) -> Any:
    return client.get(f"/cases/{case.id}/view-as?agency={agency.id}&role={role}")


def shown_fields(page: str) -> dict[str, dict[str, bool]]:
    """Record id -> field -> withheld?, for the records the view-as page says they'd see."""
    found: dict[str, dict[str, bool]] = {}
    for record in re.finditer(
        r'data-record-id="([0-9a-f-]{36})" data-shown="true".*?</section>', page, re.DOTALL
    ):
        rows = re.findall(
            r'data-field="([a-z_]+)">\s*<dt[^>]*>[^<]*</dt>\s*<dd[^>]*?( data-withheld="true")?>',
            record.group(0),
        )
        found[record.group(1)] = {name: bool(withheld) for name, withheld in rows}
    return found


def test_view_as_a_cosa_coordinator_and_a_housing_officer_shows_only_what_each_may_see(
    app: Flask,
    session: Session,
    org: DemoOrganisation,
    worked_case: MappaCase,
    keys: dict[str, str],
    clock: Clock,
    gate: Gate,  # noqa: F811
) -> None:
    chair = signed_in(app, keys, clock, "coordinator")
    choose(chair, "RISK_MANAGEMENT", f"/cases/{worked_case.id}")
    before = last_seq(session)
    cosa = view_as(chair, worked_case, org.agencies["DEMO-COSA"], "COSA_COORDINATOR")
    assert cosa.status_code == 200
    cosa_page = cosa.get_data(as_text=True)
    assert 'data-testid="view-as-banner"' in cosa_page
    assert shown_fields(cosa_page) == {}  # no case, person or item for COSA roles
    assert 'data-view-as-record="case" data-record-id' in cosa_page
    assert "For them this case does not exist" in cosa_page
    housing_page = view_as(chair, worked_case, org.agencies["DEMO-HSG"], "DTC_REP").get_data(
        as_text=True
    )
    seen = shown_fields(housing_page)
    # The policy's own decisions for a real housing officer reading the case themselves.
    actor = dataclasses.replace(org.actor("housing.rep"), purpose="RISK_MANAGEMENT")
    theirs = gate.read_case(session, Reader.of(session, actor), worked_case.id)
    expected = {
        str(r.id): {**dict.fromkeys(r.fields, False), **dict.fromkeys(r.withheld, True)}
        for r in (theirs.case, theirs.person, *theirs.items)
        if r is not None
    }
    assert seen == expected
    assert str(worked_case.id) in seen
    intelligence = [i for i in theirs.items if i.category == "INTELLIGENCE"]
    assert intelligence == []  # not among housing's original recipients
    entries = [
        d
        for d in audit_since(session, before)
        if d["actor"]["user"] == str(org.staff["coordinator"].id)
        and d["extra"].get("view") == "view_as"
    ]
    assert [(e["extra"]["view_as_role"], e["extra"]["view_as_agency"]) for e in entries] == [
        ("COSA_COORDINATOR", str(org.agencies["DEMO-COSA"].id)),
        ("DTC_REP", str(org.agencies["DEMO-HSG"].id)),
    ]
    assert {e["operation"] for e in entries} == {"CONSULT"}


def test_view_as_is_for_chairs_and_coordinators_and_bad_choices_are_named(
    app: Flask, org: DemoOrganisation, worked_case: MappaCase, keys: dict[str, str], clock: Clock
) -> None:
    om = signed_in(app, keys, clock, "offender.manager")
    choose(om, "RISK_MANAGEMENT")
    assert om.get(f"/cases/{worked_case.id}/view-as").status_code == 403
    clock.advance(seconds=31)
    chair = signed_in(app, keys, clock, "coordinator")
    choose(chair, "RISK_MANAGEMENT")
    assert chair.get(f"/cases/{worked_case.id}/view-as").status_code == 200
    assert chair.get(f"/cases/{MISSING}/view-as").status_code == 404
    for query, field in (
        ("agency=nope&role=DTC_REP", "agency"),
        (f"agency={org.agencies['DEMO-HSG'].id}&role=KING", "role"),
        # A role that agency's staff cannot hold (hub/vocabulary.py ROLE_AGENCY_TYPES).
        (f"agency={org.agencies['DEMO-HSG'].id}&role=MOSOVO_OFFICER", "role"),
    ):
        refused = chair.get(f"/cases/{worked_case.id}/view-as?{query}")
        assert refused.status_code == 400
        body = refused.get_data(as_text=True)
        assert f'href="#{field}"' in body
        assert 'data-testid="view-as-banner"' not in body


# -- disclosure packs ---------------------------------------------------------------------


def make_pack(client: FlaskClient, case: MappaCase, **form: str) -> Any:
    page = client.get(f"/cases/{case.id}/pack").get_data(as_text=True)
    return client.post(f"/cases/{case.id}/pack", data={"csrf_token": csrf_from(page), **form})


def pdf_text(response: Any) -> str:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/pdf"
    pages = page_texts(response.get_data())
    for text in pages:
        assert text.count(MARKING) >= 2  # header and footer of every page
    return " ".join(" ".join(pages).split())  # lines wrap anywhere: compare words


def test_a_partner_pack_holds_what_the_recipient_may_see_and_is_audited_as_disclose(
    app: Flask,
    session: Session,
    org: DemoOrganisation,
    worked_case: MappaCase,
    keys: dict[str, str],
    clock: Clock,
) -> None:
    client = signed_in(app, keys, clock, "coordinator")
    choose(client, "MAPPA_MEETING", f"/cases/{worked_case.id}")
    before = last_seq(session)
    housing = org.agencies["DEMO-HSG"]
    response = make_pack(
        client,
        worked_case,
        kind="partner",
        recipient=str(housing.id),
        justification="Housing needs the risk summary for the tenancy panel",
    )
    text = pdf_text(response)
    assert f"Prepared for {housing.name}" in text  # the watermark
    assert "Synthetic index offence summary" in text
    assert "Synthetic risk summary" in text
    assert "Synthetic intelligence summary" not in text  # not housing's to see
    disclosed = [d for d in audit_since(session, before) if d["operation"] == "DISCLOSE"]
    assert len(disclosed) == 1
    assert disclosed[0]["recipients"] == [str(housing.id)]
    assert disclosed[0]["justification"].startswith("Housing needs")
    assert str(worked_case.id) in disclosed[0]["record_ids"]
    # The pack for the police, who own the intelligence, carries it.
    police = org.agencies["DEMO-POL"]
    police_text = pdf_text(
        make_pack(
            client,
            worked_case,
            kind="partner",
            recipient=str(police.id),
            justification="Police need the case summary for the MOSOVO visit",
        )
    )
    assert "Synthetic intelligence summary" in police_text


def test_r11_only_the_lead_agency_chair_or_coordinator_may_make_a_partner_pack(
    app: Flask,
    session: Session,
    org: DemoOrganisation,
    worked_case: MappaCase,
    keys: dict[str, str],
    clock: Clock,
) -> None:
    """R-11: export outside the case's own work needs the lead agency, chair or coordinator."""
    housing = signed_in(app, keys, clock, "housing.rep")
    choose(housing, "MAPPA_MEETING", f"/cases/{worked_case.id}")  # housing may read it
    before = last_seq(session)
    refused = make_pack(
        housing,
        worked_case,
        kind="partner",
        recipient=str(org.agencies["DEMO-POL"].id),
        justification="Housing wants to pass the case on to the police",
    )
    assert refused.status_code == 403
    assert "R-11" in refused.get_data(as_text=True)
    assert [d for d in audit_since(session, before) if d["operation"] == "DISCLOSE"] == []


def test_a_cosa_provider_pack_carries_no_case_data(
    app: Flask, org: DemoOrganisation, worked_case: MappaCase, keys: dict[str, str], clock: Clock
) -> None:
    client = signed_in(app, keys, clock, "coordinator")
    choose(client, "MAPPA_MEETING")
    text = pdf_text(
        make_pack(
            client,
            worked_case,
            kind="partner",
            recipient=str(org.agencies["DEMO-COSA"].id),
            justification="The circle coordinator asked for a summary",
        )
    )
    assert "Nothing on this case may be shared with Circles Demoshire" in text
    assert "Synthetic" not in text


def test_scenario_1_withdrawn_consent_items_become_a_placeholder_in_every_pack_r29(
    app: Flask,
    session: Session,
    org: DemoOrganisation,
    keys: dict[str, str],
    clock: Clock,
    health_case: HealthCase,  # noqa: F811
) -> None:
    """R-29 b, scenario 1: after withdrawal the pack is rebuilt with a placeholder."""
    consent = record_consent(session, org.actor("health.rep"), health_case.consent())
    client = signed_in(app, keys, clock, "coordinator")
    choose(client, "MAPPA_MEETING", f"/cases/{health_case.case.id}")  # probation receives them
    police = str(org.agencies["DEMO-POL"].id)
    form = {
        "kind": "partner",
        "recipient": police,
        "justification": "Level 3 meeting pack for the police representative",
    }
    before = pdf_text(make_pack(client, health_case.case, **form))
    assert "Synthetic relapse indicators summary" in before
    withdraw_consent(session, org.actor("health.rep"), consent.id, "Patient withdrew at clinic")
    after = pdf_text(make_pack(client, health_case.case, **form))
    assert "Synthetic relapse indicators summary" not in after
    assert "Synthetic medication adherence summary" not in after
    assert after.count("Consent withdrawn; public-interest decision pending.") == 2
    # The consultant decides in the public interest for the relapse indicators only: that
    # item, and only that one, is back in the rebuilt pack.
    record_decision(session, org.actor("health.discloser"), health_case.decision())
    session.commit()
    decided = pdf_text(make_pack(client, health_case.case, **form))
    assert "Synthetic relapse indicators summary" in decided
    assert "Synthetic medication adherence summary" not in decided
    assert decided.count("Consent withdrawn; public-interest decision pending.") == 1


def test_r12_the_executive_summary_serves_outside_requests_under_a_disclosure_decision(
    app: Flask,
    session: Session,
    org: DemoOrganisation,
    worked_case: MappaCase,
    keys: dict[str, str],
    clock: Clock,
) -> None:
    """R-12: an outside requester gets the executive summary only, and the owners named."""
    form = {
        "kind": "summary",
        "requester": "Solicitor for the subject",
        "justification": "Subject access request received by letter",
    }
    housing = signed_in(app, keys, clock, "housing.rep")
    choose(housing, "MAPPA_MEETING")
    before = last_seq(session)
    refused = make_pack(housing, worked_case, **form)
    assert refused.status_code == 403  # the lead agency or the chair discloses
    assert "govuk-error-summary" in refused.get_data(as_text=True)
    assert [d for d in audit_since(session, before) if d["operation"] == "DISCLOSE"] == []
    clock.advance(seconds=31)
    client = signed_in(app, keys, clock, "coordinator")
    choose(client, "MAPPA_MEETING")
    before = last_seq(session)
    text = pdf_text(make_pack(client, worked_case, **form))
    assert "Prepared for Solicitor for the subject" in text
    assert "Executive summary" in text
    assert "Demoshire Police" in text  # an owner the request is routed to
    assert "Synthetic" not in text  # no item content
    assert "Olskeby" not in text  # no person details
    disclosed = [d for d in audit_since(session, before) if d["operation"] == "DISCLOSE"]
    assert [d["recipients"] for d in disclosed] == [["outside:Solicitor for the subject"]]
    assert disclosed[0]["purpose"] == "DISCLOSURE_DECISION"


@pytest.mark.parametrize(
    ("form", "field"),
    [
        ({"kind": "", "justification": "x" * 30}, "kind"),
        ({"kind": "partner", "recipient": "", "justification": "x" * 30}, "recipient"),
        ({"kind": "partner", "recipient": "bad", "justification": "x" * 30}, "recipient"),
        ({"kind": "summary", "requester": "", "justification": "x" * 30}, "requester"),
        (
            {"kind": "summary", "requester": "A solicitor", "justification": "too short"},
            "justification",
        ),
    ],
)
def test_a_pack_form_with_bad_input_names_the_field_and_discloses_nothing(
    app: Flask,
    session: Session,
    worked_case: MappaCase,
    keys: dict[str, str],
    clock: Clock,
    form: dict[str, str],
    field: str,
) -> None:
    client = signed_in(app, keys, clock, "coordinator")
    choose(client, "MAPPA_MEETING")
    before = last_seq(session)
    response = make_pack(client, worked_case, **form)
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert f'href="#{field}"' in body
    assert f'id="{field}"' in body
    assert 'value="A solicitor"' in body or form.get("requester") != "A solicitor"  # kept
    assert [d for d in audit_since(session, before) if d["operation"] == "DISCLOSE"] == []


def test_a_pack_without_the_csrf_token_is_refused(
    app: Flask, org: DemoOrganisation, worked_case: MappaCase, keys: dict[str, str], clock: Clock
) -> None:
    client = signed_in(app, keys, clock, "coordinator")
    choose(client, "MAPPA_MEETING")
    refused = client.post(
        f"/cases/{worked_case.id}/pack",
        data={
            "kind": "partner",
            "recipient": str(org.agencies["DEMO-HSG"].id),
            "justification": "x" * 30,
        },
    )
    assert refused.status_code == 400
    assert refused.mimetype == "text/html"
