"""What one GET /api/v1/cases/{id} costs the database, so it does not creep back up, and that
the savings cache nothing a withdrawal must stop (R-29 a)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from flask.testing import FlaskClient
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from hub.consent.public_interest import DecisionInput, record_decision
from hub.consent.records import ConsentInput, record_consent
from hub.db import utcnow
from hub.demo.agencies import DemoOrganisation
from hub.models import InformationItem, MappaCase
from hub.services.cases import add_member
from hub.services.items import ItemInput, record_item
from tests.api.conftest import TokenFor, call
from tests.helpers import new_case

# The case with its person and memberships; the items with their named agencies; the
# consents and decisions; the person's names, identifiers and addresses. (It was 14.)
GATE_STATEMENTS = 4


@contextmanager
def statements(session: Session) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_rest: object) -> None:
        seen.append(" ".join(statement.split()))

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def _health_case(session: Session, org: DemoOrganisation) -> MappaCase:
    case = new_case(session, org, category=2, level=3)
    coordinator = org.actor("coordinator")
    for code in ("DEMO-POL", "DEMO-NHS"):
        add_member(session, coordinator, case.id, org.agencies[code].id, "AGENCY_CONTACT")
    for n in range(3):
        record_item(
            session,
            org.actor("health.rep"),
            ItemInput(
                case_id=case.id,
                category="HEALTH",
                legal_basis="CONSENT",
                title=f"Ward note {n}",
                content="Synthetic ward note",
                source_system="NHS",
            ),
        )
    record_item(
        session,
        org.actor("offender.manager"),
        ItemInput(
            case_id=case.id,
            category="RISK",
            legal_basis="CJA_S325",
            title="Risk note",
            content="Synthetic risk note",
        ),
    )
    return case


def _consent(org: DemoOrganisation, case: MappaCase) -> ConsentInput:
    return ConsentInput(
        subject_person_id=case.person_id,
        categories=["HEALTH"],
        recipient_agency_ids=[org.agencies["DEMO-POL"].id],
        purposes=["RISK_MANAGEMENT"],
        method="WRITTEN",
        given_at=utcnow() - timedelta(days=3),
    )


def test_a_case_read_costs_four_gate_statements_whatever_the_items(
    client: FlaskClient, session: Session, org: DemoOrganisation, token_for: TokenFor
) -> None:
    case = _health_case(session, org)
    record_consent(session, org.actor("health.rep"), _consent(org, case))
    session.commit()
    token = token_for()
    first = call(client, f"/api/v1/cases/{case.id}", token)  # fills the agency-type cache
    assert first.status_code == 200, first.json
    with statements(session) as seen:
        again = call(client, f"/api/v1/cases/{case.id}", token)
    assert again.status_code == 200
    shown = [i["fields"].get("summary") for i in again.json["items"]]
    assert sorted(s for s in shown if s) == [
        "Risk note",
        "Ward note 0",
        "Ward note 1",
        "Ward note 2",
    ]
    # The audit log's statements (the sequencer's leadership lock among them) are not the gate's.
    gate = [
        s
        for s in seen
        if "audit" not in s
        and "pg_advisory_xact_lock" not in s
        and not s.startswith(("SAVEPOINT", "RELEASE"))
    ]
    assert len(gate) == GATE_STATEMENTS, gate
    # Agency types come from memory (hub.gate.agencies), the reader's and the owners'.
    assert not [s for s in gate if "FROM agency" in s]


def test_without_a_covering_consent_the_consents_are_still_read_on_every_read(
    client: FlaskClient, session: Session, org: DemoOrganisation, token_for: TokenFor
) -> None:
    case = _health_case(session, org)
    session.commit()
    token = token_for()
    assert call(client, f"/api/v1/cases/{case.id}", token).status_code == 200
    with statements(session) as seen:
        assert call(client, f"/api/v1/cases/{case.id}", token).status_code == 200
    # The audit log's statements (the sequencer's leadership lock among them) are not the gate's.
    gate = [
        s
        for s in seen
        if "audit" not in s
        and "pg_advisory_xact_lock" not in s
        and not s.startswith(("SAVEPOINT", "RELEASE"))
    ]
    # No consent covers the police here, but the consents are still read (one statement):
    # whether one covers is decided on every read, never remembered.
    assert sum("FROM consent" in s for s in gate) == 1
    assert len(gate) <= GATE_STATEMENTS


def test_r29a_withdraw_over_the_api_then_the_very_next_read_is_without_the_items(
    client: FlaskClient, session: Session, org: DemoOrganisation, token_for: TokenFor
) -> None:
    case = _health_case(session, org)
    session.commit()
    police, health = token_for(), token_for(agency="DEMO-NHS", scopes="consent:write")
    path = f"/api/v1/cases/{case.id}"

    def health_shown() -> int:
        read = call(client, path, police)
        assert read.status_code == 200, read.json
        return sum(1 for i in read.json["items"] if i["category"] == "HEALTH")

    assert health_shown() == 0  # no consent yet: the health items are withheld
    body = {
        "subject_person_id": str(case.person_id),
        "categories": ["HEALTH"],
        "recipient_agency_ids": [str(org.agencies["DEMO-POL"].id)],
        "purposes": ["RISK_MANAGEMENT"],
        "method": "WRITTEN",
        "recorded_by": str(org.staff["health.discloser"].id),
    }
    auth = {"Authorization": f"Bearer {health}"}
    made = client.post("/api/v1/consents", json=body, headers=auth)
    assert made.status_code == 201, made.json
    assert health_shown() == 3
    withdrawal = {"reason": "The patient withdrew.", "withdrawn_by": body["recorded_by"]}
    done = client.post(
        f"/api/v1/consents/{made.json['id']}/withdrawal", json=withdrawal, headers=auth
    )
    assert done.status_code == 200, done.json
    assert health_shown() == 0  # the very next read: nothing cached outlived the withdrawal


def test_r30_a_public_interest_decision_counts_on_the_next_read_without_more_statements(
    client: FlaskClient, session: Session, org: DemoOrganisation, token_for: TokenFor
) -> None:
    case = _health_case(session, org)
    session.commit()
    token = token_for()
    path = f"/api/v1/cases/{case.id}"
    before = call(client, path, token).json
    assert not [i for i in before["items"] if i["category"] == "HEALTH"]
    ward = session.scalars(
        select(InformationItem).where(
            InformationItem.case_id == case.id, InformationItem.category == "HEALTH"
        )
    ).first()
    assert ward is not None
    record_decision(
        session,
        org.actor("health.discloser"),
        DecisionInput(
            subject_person_id=case.person_id,
            item_ids=[ward.id],
            recipient_agency_ids=[org.agencies["DEMO-POL"].id],
            risk_described="Risk of serious harm to a named adult",
            information_scope="This note only",
            reasoning="The earliest warning of the risk",
            review_by=utcnow() + timedelta(days=14),
            patient_informed=True,
        ),
    )
    session.commit()
    with statements(session) as seen:
        after = call(client, path, token).json
    assert [i["id"] for i in after["items"] if i["category"] == "HEALTH"] == [str(ward.id)]
    # The audit log's statements (the sequencer's leadership lock among them) are not the gate's.
    gate = [
        s
        for s in seen
        if "audit" not in s
        and "pg_advisory_xact_lock" not in s
        and not s.startswith(("SAVEPOINT", "RELEASE"))
    ]
    assert len(gate) <= GATE_STATEMENTS
