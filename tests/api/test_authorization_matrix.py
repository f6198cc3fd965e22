"""Every kind of agency system x every API operation x every kind of record (issue 5).

The expected answers are written here from the domain rules (domain.md §9), not read from the
policy files, so a policy change that alters who gets what shows up as a failure to explain.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from hub.demo.agencies import DemoOrganisation
from hub.models import CaseMembership
from hub.services.items import ItemInput, record_item
from hub.vocabulary import MembershipRole
from tests.api.conftest import TokenFor
from tests.helpers import TODAY, new_case

SCOPES = "cases:read items:read items:write"
ITEM = {"category": "LOCATION", "legal_basis": "CJA_S325", "title": "t", "content": "c"}

# Record kinds: the case the system's agency works ("worked"), an item its own agency owns on
# it ("own_item"), probation's item on it ("others_item"), a case it has no part in
# ("unrelated") and a case id that does not exist ("missing").
# Operations: read a case, read an item, create an item, edit an item, annotate an item; read
# the person of a case, the case's changes and the orders held about its person.
# agencies working a case read its conviction/risk/location/other items, and create
# their own; R-14: only the owner edits, others working the case annotate; R-51: COSA systems
# get nothing here; hidden and missing answer alike (404).
WORKING = {
    ("read_case", "worked"): 200,
    ("read_case", "unrelated"): 404,
    ("read_case", "missing"): 404,
    ("read_item", "own_item"): 200,
    ("read_item", "others_item"): 200,
    ("read_item", "unrelated"): 404,
    ("create_item", "worked"): 201,
    ("create_item", "unrelated"): 404,
    ("create_item", "missing"): 404,
    ("edit_item", "own_item"): 200,
    ("edit_item", "others_item"): 403,
    ("edit_item", "unrelated"): 404,
    ("annotate_item", "others_item"): 201,
    ("annotate_item", "unrelated"): 404,
    # The person of a case it works, that case's change history and the records held about
    # the person (orders here: CONVICTION, which every agency working the case reads, R-16).
    ("read_person", "worked"): 200,
    ("read_person", "unrelated"): 404,
    ("read_person", "missing"): 404,
    ("read_changes", "worked"): 200,
    ("read_changes", "unrelated"): 404,
    ("read_changes", "missing"): 404,
    ("read_orders", "worked"): 200,
    ("read_orders", "unrelated"): 404,
    ("read_orders", "missing"): 404,
}
# A COSA provider's system sees nothing of the case or of others' items (R-51), but it sends
# circle reports and concerns into the hub on the cases its circles support, and, as
# the controller of what it sent, reads and corrects its own items.
COSA = {
    **dict.fromkeys(WORKING, 404),
    ("read_item", "own_item"): 200,
    ("create_item", "worked"): 201,
    ("edit_item", "own_item"): 200,
}
EXPECTED = {
    "DEMO-POL": WORKING,
    "DEMO-NHS": WORKING,
    "DEMO-HSG": WORKING,
    "DEMO-COSA": COSA,
}


@dataclass
class Records:
    worked: uuid.UUID
    unrelated: uuid.UUID
    worked_person: uuid.UUID
    unrelated_person: uuid.UUID
    own_item: uuid.UUID
    others_item: uuid.UUID
    unrelated_item: uuid.UUID


def _records(session: Session, org: DemoOrganisation, agency: str) -> Records:
    worked = new_case(session, org)
    session.add(
        CaseMembership(
            case_id=worked.id,
            agency_id=org.agencies[agency].id,
            role=MembershipRole.AGENCY_CONTACT,
            since=TODAY,
        )
    )
    unrelated = new_case(session, org)
    session.flush()
    probation = org.actor("offender.manager", "RISK_MANAGEMENT")
    own_actor = org.actor("cosa.coordinator" if agency == "DEMO-COSA" else _staff(agency))

    def item(actor_case: tuple[object, uuid.UUID]) -> uuid.UUID:
        actor, case_id = actor_case
        made = record_item(session, actor, ItemInput(case_id=case_id, **ITEM))  # type: ignore[arg-type]
        return made.id

    records = Records(
        worked=worked.id,
        unrelated=unrelated.id,
        worked_person=worked.person_id,
        unrelated_person=unrelated.person_id,
        own_item=item((own_actor, worked.id)),
        others_item=item((probation, worked.id)),
        unrelated_item=item((probation, unrelated.id)),
    )
    session.commit()
    return records


def _staff(agency: str) -> str:
    return {"DEMO-POL": "mosovo", "DEMO-NHS": "health.rep", "DEMO-HSG": "housing.rep"}[agency]


@pytest.mark.parametrize("agency", sorted(EXPECTED))
def test_each_system_gets_exactly_what_the_rules_say(
    agency: str,
    client: FlaskClient,
    session: Session,
    org: DemoOrganisation,
    token_for: TokenFor,
) -> None:
    records = _records(session, org, agency)
    token = token_for(agency=agency, scopes=SCOPES)
    headers = {"Authorization": f"Bearer {token}", "Hub-Purpose": "RISK_MANAGEMENT"}
    target = {
        "worked": records.worked,
        "unrelated": records.unrelated,
        "missing": uuid.uuid4(),
        "own_item": records.own_item,
        "others_item": records.others_item,
    }
    got = {}
    for operation, kind in EXPECTED[agency]:
        record_id = (
            records.unrelated_item
            if kind == "unrelated" and "item" in operation[-4:]
            else target[kind]
        )
        if operation in ("read_item", "edit_item", "annotate_item") and kind == "unrelated":
            record_id = records.unrelated_item
        if operation in ("read_person", "read_orders"):
            person = {"worked": records.worked_person, "unrelated": records.unrelated_person}
            record_id = person.get(kind, record_id)
        if operation == "read_case":
            response = client.get(f"/api/v1/cases/{record_id}", headers=headers)
        elif operation == "read_item":
            response = client.get(f"/api/v1/items/{record_id}", headers=headers)
        elif operation == "read_person":
            response = client.get(f"/api/v1/persons/{record_id}", headers=headers)
        elif operation == "read_orders":
            response = client.get(f"/api/v1/persons/{record_id}/orders", headers=headers)
        elif operation == "read_changes":
            response = client.get(f"/api/v1/cases/{record_id}/changes", headers=headers)
        elif operation == "create_item":
            response = client.post(f"/api/v1/cases/{record_id}/items", json=ITEM, headers=headers)
        elif operation == "edit_item":
            response = client.patch(
                f"/api/v1/items/{record_id}",
                json={"title": "edited"},
                headers={**headers, "If-Match": '"v1"'},
            )
        else:
            response = client.post(
                f"/api/v1/items/{record_id}/annotations", json={"text": "a note"}, headers=headers
            )
        got[(operation, kind)] = response.status_code
    assert got == EXPECTED[agency]
