"""R-56: the same person is never recorded twice, and nothing sent is lost."""

from datetime import date

import pytest
from sqlalchemy.orm import Session

from hub.demo.agencies import DemoOrganisation
from hub.errors import InvalidInput, RuleViolation
from hub.models import DuplicateReview, Person
from hub.services.people import NameInput, PersonInput, register_person, resolve_duplicate
from hub.vocabulary import DuplicateMatch, PersonStatus
from tests.helpers import audit_documents, new_case, new_person


def _register(
    session: Session,
    org: DemoOrganisation,
    ids: list[tuple[str, str]],
    *,
    given: str = "Tavrin",
    family: str = "Olskeby",
    dob: date = date(1980, 5, 17),
):
    return register_person(
        session,
        org.actor("offender.manager"),
        PersonInput(
            names=[NameInput(given=given, family=family)],
            date_of_birth=dob,
            sex="MALE",
            identifiers=ids,
        ),
    )


@pytest.mark.parametrize(
    ("scheme", "match"), [("PNC", DuplicateMatch.PNC), ("CRN", DuplicateMatch.CRN)]
)
def test_r56_same_pnc_or_crn_is_held_as_duplicate(
    session: Session, org: DemoOrganisation, scheme: str, match: DuplicateMatch
) -> None:
    existing = new_person(session, org, identifiers=[(scheme, "1900/0000001A")])
    second = _register(session, org, [(scheme, "1900/0000001a")], given="Other", family="Name")
    assert second.held
    assert second.person.status is PersonStatus.HELD_AS_DUPLICATE
    assert [(r.existing_person_id, r.matched_on) for r in second.reviews] == [(existing.id, match)]
    documents = audit_documents(session, record_type="person")
    assert documents[-1]["outcome"] == "R-56 held as possible duplicate"


def test_r56_name_dob_and_another_identifier_is_held(
    session: Session, org: DemoOrganisation
) -> None:
    new_person(session, org, identifiers=[("NOMIS", "A1234BC")])
    again = _register(session, org, [("NOMIS", "A1234BC")], given=" tavrin ", family="OLSKEBY")
    assert again.held
    assert again.reviews[0].matched_on is DuplicateMatch.NAME_DOB_IDENTIFIER


def test_r56_same_name_and_dob_alone_is_not_a_duplicate(
    session: Session, org: DemoOrganisation
) -> None:
    new_person(session, org, identifiers=[("NOMIS", "A1234BC")])
    other = _register(session, org, [("NOMIS", "Z9999ZZ")])
    assert not other.held


def test_r56_a_held_person_cannot_have_a_case(session: Session, org: DemoOrganisation) -> None:
    new_person(session, org, identifiers=[("PNC", "1900/0000002B")])
    held = _register(session, org, [("PNC", "1900/0000002B")]).person
    with pytest.raises(RuleViolation) as caught:
        new_case(session, org, person=held)
    assert caught.value.rule == "R-56"
    assert caught.value.field == "person_id"


def test_r56_same_person_merges_identifiers_and_names(
    session: Session, org: DemoOrganisation
) -> None:
    existing = new_person(session, org, identifiers=[("PNC", "1900/0000003C")])
    held = register_person(
        session,
        org.actor("offender.manager"),
        PersonInput(
            names=[NameInput(given="Vaelor", family="Quinth")],
            date_of_birth=date(1980, 5, 17),
            sex="MALE",
            identifiers=[("PNC", "1900/0000003C"), ("CRN", "Z100001")],
        ),
    )
    merged = resolve_duplicate(
        session,
        org.actor("coordinator"),
        held.reviews[0].id,
        "SAME_PERSON",
        "Same PNC; confirmed with the police",
    )
    assert merged.status is PersonStatus.MERGED
    assert merged.merged_into_id == existing.id
    session.refresh(existing)
    assert ("CRN", "Z100001") in {(i.scheme.value, i.value) for i in existing.identifiers}
    assert ("ALIAS", "Vaelor") in {(n.type.value, n.given) for n in existing.names}
    assert audit_documents(session, operation="COMBINE")


def test_r56_different_people_cannot_share_a_pnc(session: Session, org: DemoOrganisation) -> None:
    new_person(session, org, identifiers=[("PNC", "1900/0000004D")])
    held = _register(session, org, [("PNC", "1900/0000004D")])
    with pytest.raises(RuleViolation, match="cannot share a PNC"):
        resolve_duplicate(
            session,
            org.actor("coordinator"),
            held.reviews[0].id,
            "DIFFERENT_PEOPLE",
            "Checked fingerprints; not the same man",
        )


def test_r56_different_people_releases_a_name_match(
    session: Session, org: DemoOrganisation
) -> None:
    new_person(session, org, identifiers=[("NOMIS", "A5555AA")])
    held = _register(session, org, [("NOMIS", "A5555AA"), ("PNC", "1900/0000005E")])
    person = resolve_duplicate(
        session,
        org.actor("mosovo"),
        held.reviews[0].id,
        "DIFFERENT_PEOPLE",
        "Different fathers' names; twins",
    )
    assert person.status is PersonStatus.ACTIVE
    assert new_case(session, org, person=person).person_id == person.id


def test_r56_only_a_coordinator_or_mosovo_resolves(session: Session, org: DemoOrganisation) -> None:
    new_person(session, org, identifiers=[("PNC", "1900/0000006F")])
    held = _register(session, org, [("PNC", "1900/0000006F")])
    with pytest.raises(RuleViolation) as caught:
        resolve_duplicate(
            session,
            org.actor("housing.rep"),
            held.reviews[0].id,
            "SAME_PERSON",
            "Looks like the same man to me",
        )
    assert (caught.value.rule, caught.value.field) == ("R-56", "actor.roles")
    assert session.get_one(DuplicateReview, held.reviews[0].id).outcome.value == "OPEN"


@pytest.mark.parametrize(
    ("details", "field"),
    [
        (PersonInput(names=[], date_of_birth=date(1980, 1, 1), sex="MALE"), "names"),
        (
            PersonInput(
                names=[NameInput(given="", family="X")], date_of_birth=date(1980, 1, 1), sex="MALE"
            ),
            "names[0].given",
        ),
        (
            PersonInput(
                names=[NameInput(given="A", family="B", type="ALIAS")],
                date_of_birth=date(1980, 1, 1),
                sex="MALE",
            ),
            "names",
        ),
        (
            PersonInput(
                names=[NameInput(given="A", family="B")], date_of_birth=date(2999, 1, 1), sex="MALE"
            ),
            "date_of_birth",
        ),
        (
            PersonInput(
                names=[NameInput(given="A", family="B")], date_of_birth=date(1980, 1, 1), sex="BOTH"
            ),
            "sex",
        ),
        (
            PersonInput(
                names=[NameInput(given="A", family="B")],
                date_of_birth=date(1980, 1, 1),
                sex="MALE",
                identifiers=[("PASSPORT", "1")],
            ),
            "identifiers[0].scheme",
        ),
        (
            PersonInput(
                names=[NameInput(given="A", family="B")],
                date_of_birth=date(1980, 1, 1),
                sex="MALE",
                identifiers=[("PNC", "1"), ("PNC", "2")],
            ),
            "identifiers[1].scheme",
        ),
    ],
)
def test_bad_person_input_names_the_field_and_writes_nothing(
    session: Session, org: DemoOrganisation, details: PersonInput, field: str
) -> None:
    before = session.query(Person).count()
    audits = len(audit_documents(session))
    with pytest.raises(InvalidInput) as caught:
        register_person(session, org.actor("mosovo"), details)
    assert caught.value.field == field
    assert session.query(Person).count() == before
    assert len(audit_documents(session)) == audits
