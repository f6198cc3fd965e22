"""COSA circles in the workspace (issue 9): a referrer proposes a circle from the case page, the
outer circle sees what R-50 still lacks and briefs the shared profile (R-51) through the same
services as `hub cosa create-circle` and `hub cosa profile`; anyone else gets the 404 page."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub.actor import Actor
from hub.cosa import circles, profile
from hub.cosa.models import Circle, CircleProfileEntry
from hub.cosa.rules import CosaRules
from hub.demo.agencies import DemoOrganisation
from hub.gate.policies import PolicyStore
from hub.models import MappaCase, User
from hub.services.agencies import register_user
from hub.services.cases import add_member
from tests.accounts.conftest import Clock, csrf_from, post_form
from tests.helpers import audit_documents, new_case, new_person
from tests.web.conftest import choose, signed_in

RISK = "RISK_MANAGEMENT"
MISSING = "00000000-0000-4000-8000-000000000000"
GOALS = "Keep weekly contact; build a safe social network away from youth sport"


@dataclass
class Circles:
    org: DemoOrganisation
    case: MappaCase

    def user(self, username: str) -> User:
        return self.org.staff[username]

    def form(self, **changes: str) -> dict[str, str]:
        """The propose form as the police referrer fills it in."""
        return {
            "reference": "CIRCLE-W1",
            "type": "COMMUNITY",
            "coordinator": str(self.user("cosa.coordinator").id),
            "manager": str(self.user("cosa.manager").id),
            "police": str(self.user("mosovo").id),
            "probation": str(self.user("offender.manager").id),
            **changes,
        }


@pytest.fixture
def world(session: Session, org: DemoOrganisation, keys: dict[str, str]) -> Circles:
    """A category 1 case police and probation work, and the COSA provider's manager."""
    org.staff["cosa.manager"] = register_user(
        session,
        org.actor("cosa.coordinator"),
        agency_id=org.agencies["DEMO-COSA"].id,
        username="cosa.manager",
        display_name="Circles Manager",
        roles=["COSA_COORDINATOR"],
    )
    person = new_person(session, org, given="Corvan", family="Threlkeld")
    case = new_case(session, org, category=1, level=2, person=person)
    add_member(
        session, org.actor("coordinator"), case.id, org.agencies["DEMO-POL"].id, "AGENCY_CONTACT"
    )
    session.flush()
    return Circles(org, case)


def _as(app: Flask, keys: dict[str, str], clock: Clock, username: str, then: str) -> FlaskClient:
    client = signed_in(app, keys, clock, username)
    choose(client, RISK, then)
    return client


def _propose(client: FlaskClient, world: Circles, **changes: str) -> Any:
    return post_form(client, f"/cases/{world.case.id}/circles/new", world.form(**changes))


def _proposed(session: Session, world: Circles) -> Circle:
    """The circle the police referrer set up (through the service, as the CLI does)."""
    return circles.create_circle(
        session,
        world.org.actor("mosovo"),
        case_id=world.case.id,
        reference="CIRCLE-W1",
        circle_type="COMMUNITY",
        coordinator_id=world.user("cosa.coordinator").id,
        manager_id=world.user("cosa.manager").id,
        outer=[
            circles.OuterMemberInput(world.user("mosovo").id, "POLICE_CONTACT"),
            circles.OuterMemberInput(world.user("offender.manager").id, "PROBATION_CONTACT"),
        ],
    )


def _summary(page: str) -> list[tuple[str, str]]:
    """The GOV.UK error summary: (the field it links to, the message)."""
    box = page.split('class="govuk-error-summary"', 1)
    assert len(box) == 2, "no error summary on the page"
    return re.findall(r'<a href="#([\w-]+)" data-field="[\w-]+">([^<]+)</a>', box[1])


def _main(page: str) -> str:
    """The page's own content: the same for everyone (the header names who is signed in)."""
    return page.split("<main", 1)[1].split("</main>", 1)[0]


def _entries(session: Session, circle: Circle) -> dict[str, str]:
    rows = session.scalars(
        select(CircleProfileEntry).where(CircleProfileEntry.circle_id == circle.id)
    )
    return {row.field: row.text for row in rows}


def _same_entry(document: dict[str, Any]) -> dict[str, Any]:
    """An audit entry without what differs between two writes: when, which row, which client."""
    varies = ("time", "seq", "correlation_id", "record_ids", "purpose", "actor")
    kept = {k: v for k, v in document.items() if k not in varies}
    return kept | {"actor": {k: document["actor"][k] for k in ("agency", "user", "roles")}}


def _writes(session: Session) -> list[dict[str, Any]]:
    return [
        d
        for d in audit_documents(session)
        if d.get("record_type") in ("circle", "circle_profile_entry")
        and d.get("operation") in ("COLLECT", "ALTER")
    ]


# -- proposing a circle ------------------------------------------------------------------


def test_r50_a_police_referrer_proposes_a_circle_from_the_case_page_and_sees_what_it_lacks(
    app: Flask, session: Session, world: Circles, keys: dict[str, str], clock: Clock
) -> None:
    client = _as(app, keys, clock, "mosovo", f"/cases/{world.case.id}")
    case_page = client.get(f"/cases/{world.case.id}").get_data(as_text=True)
    assert "Propose a COSA circle" in case_page
    form = client.get(f"/cases/{world.case.id}/circles/new").get_data(as_text=True)
    # The police referrer is offered as the police contact, and only provider coordinators
    # as the coordinator (the service checks again).
    assert re.search(rf'<option value="{world.user("mosovo").id}" selected>', form)
    response = _propose(client, world)
    assert response.status_code == 303
    made = session.scalars(select(Circle).where(Circle.reference == "CIRCLE-W1")).one()
    assert response.headers["Location"] == f"/circles/{made.id}?done=proposed"
    assert made.status.value == "PROPOSED"
    assert made.case_id == world.case.id
    assert made.created_by == world.user("mosovo").id
    collected = audit_documents(session, operation="COLLECT", record_type="circle")
    assert [d["record_ids"] for d in collected] == [[str(made.id)]]

    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Circle CIRCLE-W1" in page
    assert 'data-testid="circle-status">Proposed<' in page
    # what the circle still lacks before it can start, as circles.start_problems says.
    assert "Before the circle can start (R-50)" in page
    missing = set(re.findall(r'data-problem="(\w+)"', page))
    assert missing == {"consent_signed_on", "contract_signed_on", "volunteers"}
    assert "Record the core member&#39;s signed consent" in page
    # the briefing starts empty, every whitelisted field offered.
    for name in profile.WRITABLE:
        assert f'data-field="{name}"' in page
    assert "address" not in re.findall(r'data-field="(\w+)"', page)
    consulted = audit_documents(session, operation="CONSULT", record_type="circle")
    assert consulted
    assert consulted[-1]["record_ids"] == [str(made.id)]
    # The case page now links the circle.
    case_page = client.get(f"/cases/{world.case.id}").get_data(as_text=True)
    assert f'href="/circles/{made.id}"' in case_page


def test_r50_the_circle_page_follows_the_circle_until_it_starts(
    app: Flask, session: Session, world: Circles, keys: dict[str, str], clock: Clock
) -> None:
    made = _proposed(session, world)
    coordinator = world.org.actor("cosa.coordinator", "COSA_SUPPORT")
    today = clock.now.date()
    circles.record_agreements(
        session,
        coordinator,
        made.id,
        consent_signed_on=today - timedelta(days=3),
        contract_signed_on=today - timedelta(days=2),
        today=today,
    )
    circles.add_volunteer(
        session,
        coordinator,
        made.id,
        name="Ilse Varnow",
        dbs_check_date=today - timedelta(days=4000),  # older than the DBS validity
        trained_on=today - timedelta(days=30),
        vetted=True,
        today=today,
    )
    client = _as(app, keys, clock, "offender.manager", f"/circles/{made.id}")
    page = client.get(f"/circles/{made.id}").get_data(as_text=True)
    assert set(re.findall(r'data-problem="(\w+)"', page)) == {"volunteers"}
    assert "Ilse Varnow&#39;s DBS check is not current" in page
    circles.add_volunteer(
        session,
        coordinator,
        made.id,
        name="Tamsin Orle",
        dbs_check_date=today - timedelta(days=10),
        trained_on=today - timedelta(days=5),
        vetted=True,
        today=today,
    )
    for volunteer in circles.roster(session, made):  # the first one leaves: R-50 holds
        if volunteer.name == "Ilse Varnow":
            volunteer.left_on = today
    session.flush()
    page = client.get(f"/circles/{made.id}").get_data(as_text=True)
    assert "Nothing is missing: the coordinator can start the circle." in page
    circles.start_circle(session, coordinator, made.id, rules=CosaRules(), now=clock.now)
    page = client.get(f"/circles/{made.id}").get_data(as_text=True)
    assert 'data-testid="circle-status">Active<' in page
    assert "Before the circle can start" not in page
    circles.withdraw_consent(session, coordinator, made.id, now=clock.now)
    page = client.get(f"/circles/{made.id}").get_data(as_text=True)
    assert 'data-testid="circle-status">Suspended<' in page
    assert "R-53" in page


def test_propose_refuses_bad_input_field_by_field_and_creates_nothing(
    app: Flask, session: Session, world: Circles, keys: dict[str, str], clock: Clock
) -> None:
    client = _as(app, keys, clock, "mosovo", f"/cases/{world.case.id}/circles/new")
    cases = [
        ({"reference": " "}, "reference", "Enter the provider"),
        ({"reference": "X" * 41}, "reference", "40 characters or fewer"),
        ({"coordinator": ""}, "coordinator", "Select the COSA coordinator"),
        ({"coordinator": "not-an-id"}, "coordinator", "Select the COSA coordinator"),
        # A probation officer is no COSA coordinator, nor a police contact (the service says).
        ({"coordinator": str(world.user("offender.manager").id)}, "coordinator", "COSA provider"),
        ({"police": str(world.user("offender.manager").id)}, "police", "police force"),
        ({"type": "BOAT"}, "type", "Select the type of circle"),
    ]
    for changes, field, words in cases:
        response = _propose(client, world, **changes)
        assert response.status_code == 400, changes
        page = response.get_data(as_text=True)
        summary = _summary(page)
        assert [f for f, _ in summary] == [field], changes
        assert words in summary[0][1], (changes, summary)
        assert f'id="{field}-error"' in page
    assert session.scalar(select(func.count()).select_from(Circle)) == 0
    assert _writes(session) == []
    # A reference already taken is refused by name, and the first circle is untouched.
    assert _propose(client, world).status_code == 303
    again = _propose(client, world, reference="circle-w1")
    assert again.status_code == 400
    assert _summary(again.get_data(as_text=True)) == [
        ("reference", "A circle with reference CIRCLE-W1 already exists")
    ]
    assert session.scalar(select(func.count()).select_from(Circle)) == 1


# -- briefing the shared profile -------------------------------------------------------------


def test_r51_the_outer_circle_briefs_a_field_as_the_cli_does_and_the_coordinator_reads_it(
    app: Flask, session: Session, world: Circles, keys: dict[str, str], clock: Clock
) -> None:
    made = _proposed(session, world)
    client = _as(app, keys, clock, "mosovo", f"/circles/{made.id}")
    form = client.get(f"/circles/{made.id}/profile?field=circle_goals").get_data(as_text=True)
    assert 'value="circle_goals" checked' in form
    response = post_form(
        client, f"/circles/{made.id}/profile", {"field": "circle_goals", "text": GOALS}, form
    )
    assert response.status_code == 303
    assert response.headers["Location"] == (f"/circles/{made.id}?done=briefed&field=circle_goals")
    assert _entries(session, made) == {"circle_goals": GOALS}
    # The same audit entry `hub cosa profile` writes: profile.set_entry's own.
    written = audit_documents(session, operation="COLLECT", record_type="circle_profile_entry")
    assert len(written) == 1
    assert written[0]["fields_written"] == ["circle_goals"]
    assert written[0]["actor"]["user"] == str(world.user("mosovo").id)
    assert written[0]["case"] == str(world.case.id)
    mosovo = world.user("mosovo")
    cli = Actor(mosovo.agency_id, mosovo.id, mosovo.roles, "hub-cli", purpose="COSA_SUPPORT")
    profile.set_entry(session, cli, made.id, field="risk_triggers", text="Isolation")
    by_cli = audit_documents(session, operation="COLLECT", record_type="circle_profile_entry")[-1]
    assert _same_entry(by_cli) == _same_entry(written[0]) | {"fields_written": ["risk_triggers"]}
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert GOALS in page
    assert "The circle is briefed: agreed goals." in page
    shown = audit_documents(session, operation="CONSULT", record_type="circle_profile")
    assert shown
    assert shown[-1]["fields_returned"] == ["circle_goals", "risk_triggers"]
    # Changing it replaces it (ALTER), as the CLI would.
    edit = client.get(f"/circles/{made.id}/profile?field=circle_goals").get_data(as_text=True)
    assert GOALS in edit
    post_form(
        client, f"/circles/{made.id}/profile", {"field": "circle_goals", "text": "Weekly"}, edit
    )
    assert _entries(session, made) == {"circle_goals": "Weekly", "risk_triggers": "Isolation"}
    assert audit_documents(session, operation="ALTER", record_type="circle_profile_entry")
    # the coordinator reads it in the portal's one read path, through the policy.
    store: PolicyStore = app.extensions["hub.policies"]
    read = profile.read_profile(
        session,
        store.in_force(),
        world.org.actor("cosa.coordinator", "COSA_SUPPORT"),
        made,
        clock.now,
    )
    assert read is not None
    assert read.fields == {
        "first_name": "Corvan",
        "circle_goals": "Weekly",
        "risk_triggers": "Isolation",
    }


def test_r51_bad_briefing_names_the_field_and_saves_nothing(
    app: Flask, session: Session, world: Circles, keys: dict[str, str], clock: Clock
) -> None:
    made = _proposed(session, world)
    profile.set_entry(
        session, world.org.actor("mosovo"), made.id, field="risk_triggers", text="Alcohol"
    )
    before = _writes(session)
    client = _as(app, keys, clock, "mosovo", f"/circles/{made.id}")
    path = f"/circles/{made.id}/profile"
    cases = [
        ({"field": "risk_triggers", "text": "   "}, "text", "Enter what the circle should know"),
        ({"field": "risk_triggers", "text": "x" * 4001}, "text", "4,000 characters or fewer"),
        # a field outside the whitelist, whoever tries, is refused and named.
        ({"field": "address", "text": "12 Lime Street"}, "field", "R-51"),
        ({"field": "first_name", "text": "Someone"}, "field", "R-51"),
        ({"text": "Alcohol and isolation"}, "field", "R-51"),
    ]
    for data, field, words in cases:
        response = post_form(client, path, data)
        assert response.status_code == 400, data
        page = response.get_data(as_text=True)
        summary = _summary(page)
        assert [f for f, _ in summary] == [field], data
        assert words in summary[0][1], (data, summary)
        assert f'id="{field}-error"' in page
        if "text" in data and data["text"].strip():
            assert data["text"][:40] in page  # what was typed comes back
    assert _entries(session, made) == {"risk_triggers": "Alcohol"}
    assert _writes(session) == before  # no entry and no audit entry for a refused write
    # Without the form's token nothing is saved either.
    refused = client.post(path, data={"field": "risk_triggers", "text": "Changed"})
    assert refused.status_code == 400
    assert "The form has expired" in refused.get_data(as_text=True)
    assert _entries(session, made) == {"risk_triggers": "Alcohol"}


# -- who may reach a circle ------------------------------------------------------------------


def test_anyone_outside_the_outer_circle_and_any_wrong_id_get_the_same_not_found_page(
    app: Flask, session: Session, world: Circles, keys: dict[str, str], clock: Clock
) -> None:
    made = _proposed(session, world)
    before = _writes(session)
    member = _as(app, keys, clock, "mosovo", f"/circles/{made.id}")
    missing = member.get(f"/circles/{MISSING}")
    assert missing.status_code == 404
    not_found = _main(missing.get_data(as_text=True))
    assert "Page not found" in not_found
    for wrong in ("not-a-circle", str(uuid.uuid4()), str(made.id).replace("-", "")[:-1]):
        for path in (f"/circles/{wrong}", f"/circles/{wrong}/profile"):
            answer = member.get(path)
            assert answer.status_code == 404, path
            assert _main(answer.get_data(as_text=True)) == not_found

    # Another agency (housing), a chair of the case's own probation service who is not in the
    # outer circle, and the circle's own coordinator in the workspace: all 404, no circle data.
    for username in ("housing.rep", "chair.l2", "cosa.coordinator"):
        client = _as(app, keys, clock, username, f"/circles/{made.id}")
        for path in (f"/circles/{made.id}", f"/circles/{made.id}/profile?field=circle_goals"):
            answer = client.get(path)
            assert answer.status_code == 404, (username, path)
            assert _main(answer.get_data(as_text=True)) == not_found
            assert "CIRCLE-W1" not in answer.get_data(as_text=True)
        # A write with a valid token from another page is refused the same way.
        token = csrf_from(client.get("/purpose").get_data(as_text=True))
        posted = client.post(
            f"/circles/{made.id}/profile",
            data={"field": "circle_goals", "text": "Injected", "csrf_token": token},
        )
        assert posted.status_code == 404, username
        assert _main(posted.get_data(as_text=True)) == not_found
        case_page = client.get(f"/cases/{world.case.id}").get_data(as_text=True)
        assert f"/circles/{made.id}" not in case_page
    assert _entries(session, made) == {}
    assert _writes(session) == before
    denied = audit_documents(session, operation="DENY", record_type="circle")
    assert {str(made.id), MISSING} <= {d["record_ids"][0] for d in denied}


def test_only_a_referrer_who_may_read_the_case_may_propose_a_circle(
    app: Flask, session: Session, world: Circles, keys: dict[str, str], clock: Clock
) -> None:
    path = f"/cases/{world.case.id}/circles/new"
    refused = []
    # The chair and housing are not referrers (circles.REFERRERS); the COSA coordinator reads
    # no case in the workspace.
    for username in ("chair.l2", "housing.rep", "cosa.coordinator"):
        client = _as(app, keys, clock, username, "/cases")
        answer = client.get(path)
        assert answer.status_code == 404, username
        token = csrf_from(client.get("/purpose").get_data(as_text=True))
        posted = client.post(path, data={**world.form(), "csrf_token": token})
        assert posted.status_code == 404, username
        refused.append(_main(answer.get_data(as_text=True)))
        assert "Propose a COSA circle" not in client.get(f"/cases/{world.case.id}").get_data(
            as_text=True
        )
    assert len(set(refused)) == 1
    # A referrer whose agency does not work the case may not read it: 404 as well.
    other = new_case(session, world.org, category=1, level=1)
    client = _as(app, keys, clock, "mosovo", "/cases")
    assert client.get(f"/cases/{other.id}/circles/new").status_code == 404
    assert client.get(f"/cases/{MISSING}/circles/new").status_code == 404
    assert client.get("/cases/nonsense/circles/new").status_code == 404
    assert session.scalar(select(func.count()).select_from(Circle)) == 0
