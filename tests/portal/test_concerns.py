"""Concerns (R-52, scenario 4): alerts at once, acknowledgement or escalation, the outcome
back to the coordinator without the intelligence, and the police dashboard panel."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from hub.cosa import concerns
from hub.cosa.models import Concern, CosaNotice
from hub.cosa.panel import unacknowledged_concerns
from hub.errors import NotFound
from hub.events.models import OutboxEvent
from hub.gate import Gate, Reader
from hub.gate.policies import PolicyStore
from hub.models import CaseMembership, InformationItem
from hub.services.items import ItemInput, record_item
from hub.web.panels import PanelContext
from tests.helpers import audit_documents
from tests.portal.conftest import (
    RULES,
    Clock,
    World,
    portal_sign_in,
    post_form,
    start_circle,
    workspace_sign_in,
)

SCENARIO_4 = (
    "He mentioned a new phone he had not told anyone about, and that he is 'helping out' "
    "at a youth football club on Saturdays."
)


def _raise(session: Session, world: World, clock: Clock, severity: str) -> Concern:
    return concerns.raise_concern(
        session,
        world.actor("cosa.coordinator"),
        world.circle.id,
        category="POSSIBLE_BREACH",
        severity=severity,
        description=SCENARIO_4,
        reported_by_volunteer_id=None,
        rules=RULES,
        now=clock.now,
    )


def _notices(session: Session, concern: Concern) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for n in session.scalars(select(CosaNotice).where(CosaNotice.concern_id == concern.id)):
        found.setdefault(n.kind.value, set()).add(str(n.user_id))
    return found


def _panel(session: Session, world: World, clock: Clock, store: PolicyStore, who: str) -> object:
    actor = world.actor(who, "RISK_MANAGEMENT")
    reader = Reader.of(session, actor)
    reader = Reader(reader.actor, reader.agency_type, now=clock.now)
    return unacknowledged_concerns(
        PanelContext(session, Gate(store.in_force()), reader, clock.now.date())
    )


def test_r52_an_urgent_concern_alerts_the_coordinator_and_police_at_once(
    client: FlaskClient, session: Session, world: World, clock: Clock
) -> None:
    """Scenario 4: raised in the portal; coordinator and police contact told in-app, an
    outbound event written, and the words reach police as a RISK item through the gate."""
    start_circle(session, world, clock)
    portal_sign_in(client, world, clock, "cosa.coordinator")
    path = f"/portal/circles/{world.circle.id}/concerns/new"
    form = {"severity": "URGENT", "category": "POSSIBLE_BREACH", "description": SCENARIO_4}
    response = post_form(client, path, form)
    assert response.status_code == 303
    concern = session.scalars(select(Concern)).one()
    told = _notices(session, concern)
    coordinator, police = world.user("cosa.coordinator"), world.user("mosovo")
    assert told == {"CONCERN_URGENT": {str(coordinator.id), str(police.id)}}
    event = session.scalars(
        select(OutboxEvent).where(OutboxEvent.event_type == "concern.raised")
    ).one()
    assert event.case_id == world.case.id
    assert json.loads(event.data)["severity"] == "URGENT"
    item = session.get(InformationItem, event.item_id)
    assert item is not None
    assert item.category.value == "RISK"
    assert SCENARIO_4 in item.content
    home = client.get("/portal/").get_data(as_text=True)
    assert "An urgent concern was raised" in home


def test_r52_the_police_dashboard_panel_lists_it_urgent_in_red_on_cases_they_may_see(
    app: object, session: Session, world: World, clock: Clock
) -> None:
    start_circle(session, world, clock)
    _raise(session, world, clock, "ROUTINE")
    _raise(session, world, clock, "URGENT")
    store: PolicyStore = app.extensions["hub.policies"]  # type: ignore[attr-defined]
    panel = _panel(session, world, clock, store, "mosovo")
    assert panel is not None
    rows = panel.rows  # type: ignore[attr-defined]
    assert [r.tag for r in rows] == ["Urgent", "Routine"]  # urgent first
    assert rows[0].tag_colour == "red"
    assert rows[0].href.startswith("/concerns/")
    assert SCENARIO_4 not in rows[0].text  # the words are on the case page, through the gate
    assert audit_documents(session, operation="CONSULT", record_type="concern")
    # Probation sees it too; an agency that is neither gets no panel.
    assert _panel(session, world, clock, store, "offender.manager") is not None
    assert _panel(session, world, clock, store, "csc.rep") is None
    # Police who no longer work the case do not see its concerns.
    session.execute(
        delete(CaseMembership).where(
            CaseMembership.case_id == world.case.id,
            CaseMembership.agency_id == world.org.agencies["DEMO-POL"].id,
        )
    )
    assert _panel(session, world, clock, store, "mosovo").rows == []  # type: ignore[attr-defined]


def test_r52_a_significant_concern_not_acknowledged_in_time_escalates_to_the_manager(
    session: Session, world: World, clock: Clock
) -> None:
    start_circle(session, world, clock)
    concern = _raise(session, world, clock, "SIGNIFICANT")
    assert concern.acknowledge_by == clock.now + timedelta(days=1)  # Monday -> Tuesday
    assert _notices(session, concern) == {
        "CONCERN_RAISED": {str(world.user("mosovo").id), str(world.user("offender.manager").id)}
    }
    assert concerns.escalate_overdue(session, clock.now + timedelta(hours=23)) == []
    escalated = concerns.escalate_overdue(session, clock.now + timedelta(days=1))
    assert escalated == [concern]
    assert concern.escalated_to == world.user("cosa.manager").id
    assert str(world.user("cosa.manager").id) in _notices(session, concern)["CONCERN_ESCALATED"]
    assert concerns.escalate_overdue(session, clock.now + timedelta(days=5)) == []  # once
    assert audit_documents(session, record_type="concern", outcome="R-52")


def test_r52_an_acknowledged_concern_does_not_escalate(
    session: Session, world: World, clock: Clock
) -> None:
    start_circle(session, world, clock)
    concern = _raise(session, world, clock, "SIGNIFICANT")
    concerns.acknowledge(session, world.actor("mosovo"), concern.id, now=clock.now)
    assert concerns.escalate_overdue(session, clock.now + timedelta(days=3)) == []
    with pytest.raises(NotFound):  # only the outer circle acknowledges
        concerns.acknowledge(session, world.actor("chair.l2"), concern.id, now=clock.now)


def test_scenario_4_the_outcome_returns_without_the_intelligence_behind_it(
    client: FlaskClient, session: Session, world: World, clock: Clock
) -> None:
    start_circle(session, world, clock)
    concern = _raise(session, world, clock, "URGENT")
    # Police check the orders, visit, and record what they found as their own intelligence.
    record_item(
        session,
        world.actor("mosovo", "RISK_MANAGEMENT"),
        ItemInput(
            case_id=world.case.id,
            category="INTELLIGENCE",
            legal_basis="DPA_PART3",
            title="Visit 22/11: second handset found",
            content="Handset seized; club secretary confirms he coached under-12s twice.",
        ),
    )
    concerns.record_outcome(
        session,
        world.actor("mosovo"),
        concern.id,
        outcome="Police visited the same day and acted on it. Carry on with the circle as planned.",
        now=clock.now,
    )
    assert str(world.user("cosa.coordinator").id) in _notices(session, concern)["CONCERN_OUTCOME"]
    portal_sign_in(client, world, clock, "cosa.coordinator")
    page = client.get(f"/portal/circles/{world.circle.id}").get_data(as_text=True)
    assert "Police visited the same day and acted on it." in page
    for secret in ("handset", "Handset", "under-12s", "club secretary", "Visit 22/11"):
        assert secret not in page


def test_r52_the_outer_circle_acknowledges_and_answers_in_the_workspace_and_others_get_404(
    client: FlaskClient, session: Session, world: World, clock: Clock
) -> None:
    """R-52, scenario 4, in the workspace: only the circle's outer circle reaches the concern
    page; a bad outcome is refused naming the field and saves nothing."""
    start_circle(session, world, clock)
    concern = _raise(session, world, clock, "SIGNIFICANT")
    session.commit()
    workspace_sign_in(client, world, clock, "chair.l2")  # works cases, not in the outer circle
    post_form(client, "/purpose", {"purpose": "RISK_MANAGEMENT"})
    hidden = client.get(f"/concerns/{concern.id}")
    missing = client.get("/concerns/00000000-0000-0000-0000-000000000001")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.get_data() == missing.get_data()

    client = client.application.test_client()  # another person's browser
    workspace_sign_in(client, world, clock, "mosovo")
    post_form(client, "/purpose", {"purpose": "RISK_MANAGEMENT"})
    where = f"/concerns/{concern.id}"
    page = client.get(where).get_data(as_text=True)
    assert "Not yet" in page
    assert SCENARIO_4 not in page  # the words are on the case page, through the gate
    refused = post_form(client, f"/concerns/{concern.id}/outcome", {"outcome": "  "}, where)
    assert refused.status_code == 400
    assert 'href="#outcome"' in refused.get_data(as_text=True)
    session.refresh(concern)
    assert concern.outcome is None
    assert concern.acknowledged_at is None
    done = post_form(client, f"/concerns/{concern.id}/acknowledge", {}, where)
    assert done.status_code == 303
    post_form(
        client, f"/concerns/{concern.id}/outcome", {"outcome": "Visited; all in hand."}, where
    )
    session.refresh(concern)
    assert concern.acknowledged_at is not None
    assert concern.outcome == "Visited; all in hand."
    assert concerns.escalate_overdue(session, clock.now + timedelta(days=5)) == []
    assert audit_documents(session, operation="CONSULT", record_type="concern")
