"""The ingest pipeline on a real database: exactly once, matching (R-56), dead letters."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub.actor import Actor
from hub.demo.agencies import DemoOrganisation
from hub.ingest.dead_letters import listing, replay
from hub.ingest.models import IngestReceipt
from hub.ingest.pipeline import ingest
from hub.models import DuplicateReview, InformationItem, Person
from hub.vocabulary import PersonStatus
from tests.connectors import messages as msg
from tests.connectors.conftest import police_connector, probation_connector
from tests.helpers import audit_documents


def _people(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Person)) or 0


def test_the_same_message_twice_is_one_record(
    session: Session, org: DemoOrganisation, police: Actor
) -> None:
    before = _people(session)
    first = ingest(session, police, police_connector, msg.encode(msg.nominal()))
    again = ingest(session, police, police_connector, msg.encode(msg.nominal()))
    assert first.status == "ACCEPTED"
    assert again.status == "DUPLICATE"
    assert again.receipt_id == first.receipt_id
    assert _people(session) == before + 1
    # Accepted means stored with its COLLECT audit entries: the person, the address, the receipt.
    kinds = {
        d["record_type"]
        for d in audit_documents(session, operation="COLLECT")
        if d["actor"]["agency"] == str(police.agency_id)
    }
    assert {"person", "address", "ingest_receipt"} <= kinds


def test_the_same_idempotency_key_is_one_record(
    session: Session, org: DemoOrganisation, police: Actor
) -> None:
    first = ingest(
        session, police, police_connector, msg.encode(msg.nominal()), idempotency_key="k-1"
    )
    # A retry under the same key is a duplicate even before it is read.
    retry = ingest(session, police, police_connector, b"{not json", idempotency_key="k-1")
    assert (first.status, retry.status) == ("ACCEPTED", "DUPLICATE")


def test_r56_a_nominal_for_a_known_pnc_matches_the_person(
    session: Session, org: DemoOrganisation, police: Actor
) -> None:
    ingest(session, police, police_connector, msg.encode(msg.nominal("NOM-1")))
    before = _people(session)
    second = ingest(session, police, police_connector, msg.encode(msg.nominal("NOM-2")))
    assert second.status == "ACCEPTED"
    assert not second.held_for_review
    assert _people(session) == before


def test_r56_an_ambiguous_nominal_goes_to_the_duplicate_review_queue(
    session: Session, org: DemoOrganisation, police: Actor
) -> None:
    ingest(session, police, police_connector, msg.encode(msg.nominal("NOM-1")))
    # Same PNC, another date of birth: not safely the same person, so a coordinator decides.
    other = msg.nominal("NOM-2", date_of_birth="1981-07-02")
    outcome = ingest(session, police, police_connector, msg.encode(other))
    assert outcome.status == "ACCEPTED"
    assert outcome.held_for_review
    held = session.scalars(
        select(Person).where(Person.status == PersonStatus.HELD_AS_DUPLICATE)
    ).all()
    assert len(held) == 1
    assert session.scalar(
        select(DuplicateReview).where(DuplicateReview.held_person_id == held[0].id)
    )


def test_intelligence_for_a_case_is_an_intelligence_item_with_its_provenance(
    session: Session, org: DemoOrganisation, police: Actor, probation: Actor
) -> None:
    ingest(session, police, police_connector, msg.encode(msg.nominal()))
    assert (
        ingest(session, probation, probation_connector, msg.encode(msg.mappa_status())).status
        == "ACCEPTED"
    )
    outcome = ingest(session, police, police_connector, msg.encode(msg.intelligence()))
    assert outcome.status == "ACCEPTED", outcome.problems
    item = session.scalars(
        select(InformationItem).where(InformationItem.source_reference == "INT-1")
    ).one()
    assert item.category == "INTELLIGENCE"
    assert item.originator_control  # handling code C: R-15
    assert item.title.startswith("[2BC]")
    assert item.owning_agency_id == police.agency_id
    assert item.source_system == "PNC"


def test_an_unmappable_message_is_a_dead_letter_and_replays_once_mappable(
    session: Session, org: DemoOrganisation, police: Actor, probation: Actor
) -> None:
    early = ingest(session, police, police_connector, msg.encode(msg.intelligence()))
    assert early.status == "REJECTED"
    assert early.problems[0].field == "subject"
    assert early.dead_letter_id in {d.id for d in listing(session)}
    letter = next(d for d in listing(session) if d.id == early.dead_letter_id)
    assert letter.raw_stored.startswith("$hub$")  # sealed: it holds personal data
    assert letter.stage == "write"

    again = replay(session, police, police_connector, letter.id)
    assert again.status == "REJECTED"  # still no person: the same letter, a new attempt
    assert letter.attempts == 2

    ingest(session, police, police_connector, msg.encode(msg.nominal()))
    ingest(session, probation, probation_connector, msg.encode(msg.mappa_status()))
    accepted = replay(session, police, police_connector, letter.id)
    assert accepted.status == "ACCEPTED"
    assert letter.status == "REPLAYED"
    assert letter.replayed_receipt_id == accepted.receipt_id
    assert letter.id not in {d.id for d in listing(session)}


def test_a_malformed_message_is_a_dead_letter_naming_every_field(
    session: Session, org: DemoOrganisation, police: Actor
) -> None:
    bad = msg.nominal(date_of_birth="1979-02-30", sex="M")
    outcome = ingest(session, police, police_connector, msg.encode(bad))
    assert outcome.status == "REJECTED"
    assert {p.field for p in outcome.problems} == {"date_of_birth", "sex"}
    assert outcome.dead_letter_id is not None


def test_r13_secret_intelligence_is_refused(
    session: Session, org: DemoOrganisation, police: Actor
) -> None:
    secret = msg.intelligence() | {"classification": "SECRET"}
    outcome = ingest(session, police, police_connector, msg.encode(secret))
    assert outcome.status == "REJECTED"
    assert outcome.problems[0].field == "classification"
    assert "R-13" in outcome.problems[0].problem


def _stored(session: Session, receipt_id: object) -> dict[str, object]:
    """What a nominal's acceptance stored, without its ids, times and identifying values."""
    receipt = session.get_one(IngestReceipt, receipt_id)
    person = session.get_one(Person, receipt.subject_person_id)
    entries = [
        {k: v for k, v in d.items() if k not in ("seq", "time", "record_ids", "subject_person")}
        for d in audit_documents(session, operation="COLLECT")
        if any(r in receipt.records + str(receipt.id) for r in d["record_ids"])
    ]
    return {
        "receipt": (
            receipt.connector,
            receipt.message_type,
            receipt.idempotency_key is not None,
            [r.split(":")[0] for r in receipt.records.split()],
        ),
        "person": (
            person.status,
            person.date_of_birth,
            person.sex,
            person.nationality,
            person.owning_agency_id,
            person.classification,
            person.created_by,
            person.version,
        ),
        "names": sorted(
            (n.type, n.given, n.family, n.given_key, n.family_key) for n in person.names
        ),
        "identifiers": sorted(
            (i.scheme, i.claims, i.source_agency_id, i.value_digest is None)
            for i in person.identifiers
        ),
        "addresses": sorted(
            (a.type, a.line1, a.line2, a.town, a.postcode, a.valid_from, a.owning_agency_id)
            for a in person.addresses
        ),
        "audit": entries,
    }


def test_r56_a_new_person_pushed_is_stored_as_the_services_would_store_it(
    session: Session, org: DemoOrganisation, police: Actor
) -> None:
    """A nominal naming nobody is written by the newcomer writer (a handful of statements);
    what it stores is what the one-record path through the services stores."""
    fast = ingest(
        session,
        police,
        police_connector,
        msg.encode(msg.nominal("NOM-FAST", pnc="2010/0000001F")),
        idempotency_key="k-fast",
    )
    slow = ingest(
        session,
        police,
        police_connector,
        msg.encode(msg.nominal("NOM-SLOW", pnc="2010/0000002S")),
        idempotency_key="k-slow",
        newcomers=False,
    )
    assert (fast.status, slow.status) == ("ACCEPTED", "ACCEPTED")
    assert not fast.held_for_review
    assert [r.split(":")[0] for r in fast.records] == ["person", "address"]
    stored = _stored(session, fast.receipt_id)
    assert stored == _stored(session, slow.receipt_id)
    assert stored["receipt"] == ("police", "nominal", True, ["person", "address"])
    assert len(stored["audit"]) == 3  # type: ignore[arg-type]  # person, address, receipt
    assert session.get_one(IngestReceipt, fast.receipt_id).idempotency_key == "k-fast"
    # And the newcomer's receipt keeps its key: the same key again is a duplicate.
    again = ingest(
        session,
        police,
        police_connector,
        msg.encode(msg.nominal("NOM-FAST", pnc="2010/0000001F")),
        idempotency_key="k-fast",
    )
    assert (again.status, again.receipt_id) == ("DUPLICATE", fast.receipt_id)
