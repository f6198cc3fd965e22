"""Sealed fields through the models, on SQLite and PostgreSQL alike.

What the database holds is read with raw SQL, so these tests see what a stolen copy would.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import bindparam, insert, select, text
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.orm import Session

from hub import crypto
from hub.crypto import FieldUnreadable, KeyringNotLoaded, PlaintextRefused, SealedFieldNotQueryable
from hub.crypto.envelope import MARKER
from hub.crypto.fields import sealed_columns
from hub.demo.agencies import DemoOrganisation
from hub.errors import InvalidInput
from hub.models import Address, InformationItem, Person, PersonIdentifier
from hub.models.person import identifier_is
from hub.services.items import ItemInput, annotate_item, edit_item, record_item
from hub.services.people import NameInput, PersonInput, register_person
from hub.vocabulary import DuplicateMatch, IdentifierScheme
from tests.helpers import new_case

SPECIAL = ["HEALTH", "VICTIM", "CHILD", "INTELLIGENCE", "FINANCIAL"]


def _raw(session: Session, table: str, column: str, row_id: uuid.UUID) -> str | None:
    statement = text(f"SELECT {column} FROM {table} WHERE id = :id").bindparams(
        bindparam("id", type_=InformationItem.__table__.c.id.type)
    )
    value: str | None = session.execute(statement, {"id": row_id}).scalar()
    return value


def _item(session: Session, org: DemoOrganisation, category: str, content: str) -> InformationItem:
    case = new_case(session, org)
    return record_item(
        session,
        org.actor("mosovo"),
        ItemInput(
            case_id=case.id,
            category=category,
            legal_basis="DPA_PART3",
            title=f"{category.title()} note",
            content=content,
        ),
    )


@pytest.mark.parametrize("category", [*SPECIAL, "CONVICTION"])
def test_item_title_and_content_are_sealed_and_read_back(
    session: Session, org: DemoOrganisation, category: str
) -> None:
    content = f"Synthetic {category} detail: Qorvane Street, relapse indicator 7."
    item = _item(session, org, category, content)
    session.flush()
    stored = _raw(session, "information_item", "content", item.id)
    assert stored is not None
    assert stored.startswith(MARKER)
    assert "Qorvane" not in stored
    assert _raw(session, "information_item", "title", item.id) != f"{category.title()} note"
    session.expire_all()
    again = session.get_one(InformationItem, item.id)
    assert (again.title, again.content) == (f"{category.title()} note", content)


def test_an_edit_is_sealed_afresh_and_unchanged_fields_are_not_rewritten(
    session: Session, org: DemoOrganisation
) -> None:
    item = _item(session, org, "HEALTH", "Attending appointments.")
    title_before = _raw(session, "information_item", "title", item.id)
    content_before = _raw(session, "information_item", "content", item.id)
    edit_item(session, org.actor("mosovo"), item.id, {"content": "Missed two appointments."})
    assert _raw(session, "information_item", "title", item.id) == title_before
    content_after = _raw(session, "information_item", "content", item.id)
    assert content_after != content_before
    assert content_after is not None
    assert "Missed" not in content_after
    session.expire_all()
    assert session.get_one(InformationItem, item.id).content == "Missed two appointments."


def test_annotations_addresses_ethnicity_and_restricted_identifiers_are_sealed(
    session: Session, org: DemoOrganisation
) -> None:
    item = _item(session, org, "VICTIM", "Victim safety plan agreed.")
    note = annotate_item(session, org.actor("offender.manager"), item.id, "Refuge at Vellmoor.")
    person = register_person(
        session,
        org.actor("mosovo"),
        PersonInput(
            names=[NameInput(given="Draxil", family="Umbersey")],
            date_of_birth=date(1979, 2, 3),
            sex="MALE",
            identifiers=[("PNC", "1900/0000777Q"), ("NHS_NUMBER", "9990007771")],
            ethnicity_text="Mixed heritage",
        ),
    ).person
    address = Address(
        person_id=person.id,
        type="HOME",
        line1="12 Quellory Road",
        line2="Flat 3",
        town="Brindlewick",
        postcode="DM7 4QZ",
        valid_from=date(2025, 1, 1),
        owning_agency_id=org.agencies["DEMO-POL"].id,
    )
    session.add(address)
    session.flush()
    sealed = {
        ("item_annotation", "text", note.id): "Refuge at Vellmoor.",
        ("person", "ethnicity_text", person.id): "Mixed heritage",
        ("address", "line1", address.id): "12 Quellory Road",
        ("address", "line2", address.id): "Flat 3",
        ("address", "town", address.id): "Brindlewick",
        ("address", "postcode", address.id): "DM7 4QZ",
    }
    for (table, column, row_id), plaintext in sealed.items():
        stored = _raw(session, table, column, row_id)
        assert stored is not None
        assert stored.startswith(MARKER), (table, column)
        assert plaintext not in stored
    by_scheme = {i.scheme: i for i in person.identifiers}
    assert _raw(session, "person_identifier", "value", by_scheme["PNC"].id) == "1900/0000777Q"
    nhs = _raw(session, "person_identifier", "value", by_scheme["NHS_NUMBER"].id)
    assert nhs is not None
    assert nhs.startswith(MARKER)
    assert by_scheme["NHS_NUMBER"].value_digest is not None
    assert by_scheme["PNC"].value_digest is None
    session.expire_all()
    again = session.get_one(Person, person.id)
    assert again.ethnicity_text == "Mixed heritage"
    assert {i.value for i in again.identifiers} == {"1900/0000777Q", "9990007771"}
    assert session.get_one(Address, address.id).postcode == "DM7 4QZ"


def test_restricted_identifiers_are_found_by_blind_index(
    session: Session, org: DemoOrganisation
) -> None:
    details = PersonInput(
        names=[NameInput(given="Sorrowin", family="Keldane")],
        date_of_birth=date(1985, 6, 1),
        sex="MALE",
        identifiers=[("NHS_NUMBER", "9990004443")],
    )
    first = register_person(session, org.actor("mosovo"), details).person
    found = session.scalars(
        select(PersonIdentifier.person_id).where(
            identifier_is(IdentifierScheme.NHS_NUMBER, "9990004443")
        )
    ).all()
    assert found == [first.id]
    none = select(PersonIdentifier).where(identifier_is(IdentifierScheme.NI_NUMBER, "9990004443"))
    assert session.scalars(none).all() == []
    # name, date of birth and a shared (sealed) NHS number still hold a duplicate.
    again = register_person(session, org.actor("offender.manager"), details)
    assert again.held
    assert [r.matched_on for r in again.reviews] == [DuplicateMatch.NAME_DOB_IDENTIFIER]


def test_a_ciphertext_swapped_between_rows_or_columns_fails_to_decrypt(
    session: Session, org: DemoOrganisation
) -> None:
    victim = _item(session, org, "VICTIM", "Victim lives at 4 Hollin Close.")
    other = _item(session, org, "OTHER", "Nothing of note.")
    moved = _raw(session, "information_item", "content", victim.id)
    update = text("UPDATE information_item SET content = :v, title = :t WHERE id = :id")
    update = update.bindparams(bindparam("id", type_=InformationItem.__table__.c.id.type))
    session.execute(update, {"v": moved, "t": moved, "id": other.id})
    session.execute(
        update,
        {"v": _raw(session, "information_item", "content", victim.id), "t": moved, "id": victim.id},
    )
    session.expire_all()
    with pytest.raises(FieldUnreadable, match=rf"information_item\.content of row {other.id}"):
        _ = session.get_one(InformationItem, other.id).content
    with pytest.raises(FieldUnreadable, match=r"information_item\.title"):
        _ = session.get_one(InformationItem, victim.id).title  # content moved into title
    assert session.get_one(InformationItem, victim.id).content == "Victim lives at 4 Hollin Close."


def test_a_sealed_field_cannot_be_queried_and_plaintext_cannot_sneak_in(
    session: Session, org: DemoOrganisation
) -> None:
    with pytest.raises(SealedFieldNotQueryable, match=r"information_item\.content is encrypted"):
        select(InformationItem).where(InformationItem.content == "anything")
    with pytest.raises(SealedFieldNotQueryable, match="blind index"):
        select(PersonIdentifier.id).where(PersonIdentifier.value == "9990004443")
    item = _item(session, org, "HEALTH", "Attending appointments.")
    item.content_stored = "plaintext written to the stored column"
    with pytest.raises(PlaintextRefused, match="assign 'content' instead"):
        session.flush()
    session.rollback()
    row = {
        "id": uuid.uuid4(),
        "case_id": item.case_id,
        "owning_agency_id": item.owning_agency_id,
        "category": "HEALTH",
        "legal_basis": "CONSENT",
        "title": "plaintext title",
        "content": "plaintext content",
        "source_system": "MANUAL",
        "received_at": datetime.now(UTC),
        "created_at": datetime.now(UTC),
        "updated_at": datetime.now(UTC),
        "version": 1,
        "classification": "OFFICIAL",
        "originator_control": False,
    }
    with pytest.raises(StatementError, match="plaintext for an encrypted column"):
        session.execute(insert(InformationItem.__table__).values(**row))


def test_a_failed_flush_keeps_the_plaintext_and_the_next_flush_seals_it(
    session: Session, org: DemoOrganisation
) -> None:
    case = new_case(session, org)
    item = InformationItem(
        case_id=uuid.uuid4(),  # no such case: the INSERT fails after sealing
        owning_agency_id=org.agencies["DEMO-POL"].id,
        category="CHILD",
        legal_basis="DPA_PART3",
        title="Household check",
        content="No child protection plan in place.",
        source_system="MANUAL",
        received_at=datetime.now(UTC),
    )

    def insert() -> None:
        with session.begin_nested():
            session.add(item)
            session.flush()

    with pytest.raises(IntegrityError):
        insert()
    assert item.content == "No child protection plan in place."
    item.case_id = case.id
    session.add(item)
    session.flush()
    session.expire_all()
    assert session.get_one(InformationItem, item.id).content == "No child protection plan in place."


def test_an_overlong_field_is_refused_with_its_name(session: Session) -> None:
    with pytest.raises(InvalidInput, match=r"address\.postcode: must be at most 10 characters"):
        Address(postcode="DM7 4QZ 4QZ")
    with pytest.raises(InvalidInput, match=r"information_item\.title: must be text"):
        InformationItem(title=42)


def test_plaintext_left_by_the_migration_is_read_as_it_is(
    session: Session, org: DemoOrganisation
) -> None:
    item = _item(session, org, "FINANCIAL", "Bank card notified.")
    update = text("UPDATE information_item SET content = 'Legacy plaintext row' WHERE id = :id")
    session.execute(
        update.bindparams(bindparam("id", type_=InformationItem.__table__.c.id.type)),
        {"id": item.id},
    )
    session.expire_all()
    assert session.get_one(InformationItem, item.id).content == "Legacy plaintext row"


def test_without_a_keyring_sealed_fields_fail_closed(
    session: Session, org: DemoOrganisation
) -> None:
    item = _item(session, org, "HEALTH", "Attending appointments.")
    session.expire_all()
    loaded = session.get_one(InformationItem, item.id)
    previous = crypto.install(None)
    try:
        with pytest.raises(KeyringNotLoaded, match="no keyring is loaded"):
            _ = loaded.content
        loaded.content = "Changed"
        with pytest.raises(KeyringNotLoaded):
            session.flush()
    finally:
        crypto.install(previous)


def test_every_sealed_column_is_known_to_the_tools() -> None:
    assert {f"{c.table}.{c.column}" for c in sealed_columns()} == {
        "address.line1",
        "address.line2",
        "address.postcode",
        "address.town",
        "child_contact.child_ref",
        "circle_meeting.goals_progress",
        "circle_meeting.summary",
        "circle_profile_entry.text",
        "circle_volunteer.name",
        "concern.description",
        "concern.outcome",
        "disclosure_decision.sections",
        "meeting_action.description",
        "meeting_case_item.sections",
        "meeting_contribution.summary",
        "referral.sections",
        "consent.capacity_note",
        "consent.withdrawal_reason",
        "information_item.content",
        "event_subscription.secret",
        "ingest_dead_letter.raw",
        "ingest_dead_letter.reason",
        "information_item.title",
        "item_annotation.text",
        "person.ethnicity_text",
        "person_identifier.value",
        "public_interest_decision.information_scope",
        "public_interest_decision.reason_not_informed",
        "public_interest_decision.reasoning",
        "public_interest_decision.risk_described",
        "user_credential.totp_secret",
        "visit_plan.override_rationale",
    }


def test_an_identifier_moved_to_a_restricted_scheme_is_sealed_and_back_again(
    session: Session, org: DemoOrganisation
) -> None:
    person = register_person(
        session,
        org.actor("mosovo"),
        PersonInput(
            names=[NameInput(given="Ormand", family="Tilsby")],
            date_of_birth=date(1990, 4, 4),
            sex="MALE",
            identifiers=[("LOCAL", "9990006669")],
        ),
    ).person
    identifier = person.identifiers[0]
    assert _raw(session, "person_identifier", "value", identifier.id) == "9990006669"
    identifier.scheme = IdentifierScheme.NHS_NUMBER  # a correction by the source agency
    session.flush()
    stored = _raw(session, "person_identifier", "value", identifier.id)
    assert stored is not None
    assert stored.startswith(MARKER)
    assert identifier.value_digest is not None
    identifier.scheme = IdentifierScheme.LOCAL
    session.flush()
    assert _raw(session, "person_identifier", "value", identifier.id) == "9990006669"
    assert identifier.value_digest is None
    session.expire_all()
    assert session.get_one(PersonIdentifier, identifier.id).value == "9990006669"
