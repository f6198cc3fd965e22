"""R-13 and R-14: what may enter the hub, and who may alter it."""

import pytest
from sqlalchemy.orm import Session

from hub.demo.agencies import DemoOrganisation
from hub.errors import InvalidInput, RuleViolation
from hub.models import InformationItem
from hub.services.items import ItemInput, annotate_item, edit_item, erase_item, record_item
from tests.helpers import audit_documents, new_case


def _item(session: Session, org: DemoOrganisation, **overrides: object) -> InformationItem:
    case = new_case(session, org)
    fields: dict[str, object] = {
        "case_id": case.id,
        "category": "INTELLIGENCE",
        "legal_basis": "DPA_PART3",
        "title": "Association report",
        "content": "Seen with a person of interest.",
    }
    fields.update(overrides)
    return record_item(session, org.actor("mosovo"), ItemInput(**fields))  # type: ignore[arg-type]


@pytest.mark.parametrize("marking", ["SECRET", "TOP SECRET", "top-secret"])
def test_r13_nothing_above_official_sensitive_enters(
    session: Session, org: DemoOrganisation, marking: str
) -> None:
    with pytest.raises(RuleViolation) as caught:
        _item(session, org, classification=marking)
    assert (caught.value.rule, caught.value.field) == ("R-13", "classification")
    assert "pointer" in caught.value.message


def test_r13_reclassifying_upwards_is_refused(session: Session, org: DemoOrganisation) -> None:
    item = _item(session, org)
    with pytest.raises(RuleViolation, match="R-13"):
        edit_item(session, org.actor("mosovo"), item.id, {"classification": "SECRET"})


def test_r14_only_the_owner_edits(session: Session, org: DemoOrganisation) -> None:
    item = _item(session, org)
    with pytest.raises(RuleViolation) as caught:
        edit_item(session, org.actor("offender.manager"), item.id, {"content": "Changed"})
    assert (caught.value.rule, caught.value.field) == ("R-14", "owning_agency_id")
    assert "Demoshire Police" in caught.value.message
    assert item.content == "Seen with a person of interest."


def test_r14_other_agencies_annotate_instead(session: Session, org: DemoOrganisation) -> None:
    item = _item(session, org)
    note = annotate_item(
        session,
        org.actor("offender.manager"),
        item.id,
        "Probation saw no such contact at the last appointment.",
    )
    assert note.agency_id == org.agencies["DEMO-PRB"].id
    assert item.content == "Seen with a person of interest."


def test_r14_owner_edit_is_audited_with_the_fields_changed(
    session: Session, org: DemoOrganisation
) -> None:
    item = _item(session, org)
    edit_item(
        session,
        org.actor("mosovo"),
        item.id,
        {"content": "Updated", "title": "New"},
        expected_version=item.version,
    )
    entry = audit_documents(session, operation="ALTER")[-1]
    assert entry["fields_written"] == ["content", "title"]
    assert "Updated" not in str(entry)  # the log holds field names, never content


def test_editing_an_unknown_field_is_refused(session: Session, org: DemoOrganisation) -> None:
    item = _item(session, org)
    with pytest.raises(InvalidInput) as caught:
        edit_item(session, org.actor("mosovo"), item.id, {"owning_agency_id": "x"})
    assert caught.value.field == "owning_agency_id"


def test_r57_only_the_owner_erases_and_erasure_is_audited(
    session: Session, org: DemoOrganisation
) -> None:
    item = _item(session, org)
    with pytest.raises(RuleViolation, match="R-14"):
        erase_item(session, org.actor("offender.manager"), item.id, "No longer relevant at all")
    item_id = item.id
    erase_item(session, org.actor("mosovo"), item_id, "Owner's retention review: delete")
    assert session.get(InformationItem, item_id) is None
    assert audit_documents(session, operation="ERASE")[-1]["record_ids"] == [str(item_id)]


def test_the_same_source_message_is_not_stored_twice(
    session: Session, org: DemoOrganisation
) -> None:
    item = _item(session, org, source_system="PNC", source_reference="INT-1")
    with pytest.raises(InvalidInput) as caught:
        record_item(
            session,
            org.actor("mosovo"),
            ItemInput(
                case_id=item.case_id,
                category="INTELLIGENCE",
                legal_basis="DPA_PART3",
                title="Again",
                content="Again",
                source_system="PNC",
                source_reference="INT-1",
            ),
        )
    assert caught.value.field == "source_reference"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"category": "GOSSIP"}, "category"),
        ({"legal_basis": "HUNCH"}, "legal_basis"),
        ({"title": ""}, "title"),
        ({"content": " "}, "content"),
        ({"source_system": "FAX"}, "source_system"),
    ],
)
def test_bad_item_input_names_the_field(
    session: Session, org: DemoOrganisation, overrides: dict[str, object], field: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        _item(session, org, **overrides)
    assert caught.value.field == field
