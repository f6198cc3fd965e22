"""Benchmark of the consent and public-interest basis a case read computes (R-18, R-28).

Run: .venv/bin/python bench/consent.py
A synthetic case (SQLite, migrated, real services) with 40 items, 8 of them HEALTH on consent,
three consents (one withdrawn, one expired) and two public-interest decisions. Measured per
case read, p50 and p99:

* plain decision: the policy engine deciding the case's 42 requests (`decide_case`), as the
  gate does; the baseline;
* states: the basis of every item from an already-loaded book (what the gate adds in Python),
  from the plain rows the gate reads (hub.gate.records.ItemRecord), as the gate computes it;
* load: the one statement that reads the person's consents and decisions (SQLite, file).

bench/policy_engine.py reports the same states figures beside the plain decision (`measure`).

Target: states p50 <= 20 us on top of the plain decision. The load is reported separately: it
is database time, paid once per case read, never per item. Last line: JSON.
"""

from __future__ import annotations

import dataclasses
import gc
import json
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy.orm import Session  # noqa: E402

from hub import crypto, migrations  # noqa: E402
from hub.consent.basis import BasisBook  # noqa: E402
from hub.consent.public_interest import DecisionInput, record_decision  # noqa: E402
from hub.consent.records import ConsentInput, record_consent, withdraw_consent  # noqa: E402
from hub.crypto import Keyring  # noqa: E402
from hub.db import make_engine, utcnow  # noqa: E402
from hub.demo.agencies import create_organisation  # noqa: E402
from hub.gate import Reader  # noqa: E402
from hub.gate.records import ItemRecord, load_items  # noqa: E402
from hub.gate.resources import item_resource  # noqa: E402
from hub.policy import PolicySet  # noqa: E402
from hub.services.cases import CaseOpening, LevelDecision, add_member, open_case  # noqa: E402
from hub.services.items import ItemInput, record_item  # noqa: E402
from hub.services.people import NameInput, PersonInput, register_person  # noqa: E402
from hub.vocabulary import Category, LegalBasis  # noqa: E402

ROUNDS = 3000
CATEGORIES = ("RISK", "CONVICTION", "LOCATION", "OTHER")


def _samples(fn: Callable[[], object], rounds: int = ROUNDS) -> list[float]:
    for _ in range(50):
        fn()
    gc.disable()
    try:
        out = []
        for _ in range(rounds):
            start = time.perf_counter_ns()
            fn()
            out.append((time.perf_counter_ns() - start) / 1000)
        return out
    finally:
        gc.enable()


def _p(samples: list[float], q: int) -> float:
    return statistics.quantiles(samples, n=100)[q - 1]


def _build(session: Session) -> tuple[Reader, list[ItemRecord], uuid.UUID]:
    org = create_organisation(session, "Bench Area")
    today = utcnow().date()
    person = register_person(
        session,
        org.actor("mosovo"),
        PersonInput(
            names=[NameInput(given="Bench", family="Subject")],
            date_of_birth=today.replace(year=today.year - 40),
            sex="MALE",
            identifiers=[("PNC", "1900/0000001T")],
        ),
    ).person
    case = open_case(
        session,
        org.actor("coordinator"),
        CaseOpening(
            person_id=person.id,
            category=2,
            lead_agency_id=org.agencies["DEMO-PRB"].id,
            mappa_area="Bench Area",
            start_date=today,
            level=LevelDecision(level=1, reason="Screened at referral"),
        ),
    )
    add_member(
        session, org.actor("coordinator"), case.id, org.agencies["DEMO-NHS"].id, "AGENCY_CONTACT"
    )
    health = []
    for n in range(40):
        is_health = n % 5 == 0
        user = "health.rep" if is_health else "offender.manager"
        item = record_item(
            session,
            org.actor(user),
            ItemInput(
                case_id=case.id,
                category="HEALTH" if is_health else CATEGORIES[n % 4],
                legal_basis="CONSENT" if is_health else "CJA_S325",
                title=f"Item {n}",
                content="Synthetic",
            ),
        )
        if is_health:
            health.append(item)
    prb, pol = org.agencies["DEMO-PRB"].id, org.agencies["DEMO-POL"].id
    now = utcnow()
    consent = ConsentInput(
        subject_person_id=person.id,
        categories=["HEALTH"],
        recipient_agency_ids=[prb, pol],
        purposes=["RISK_MANAGEMENT", "MAPPA_MEETING"],
        method="WRITTEN",
        given_at=now - timedelta(days=100),
    )
    nhs = org.actor("health.rep")
    old = record_consent(session, nhs, consent)
    withdraw_consent(session, nhs, old.id, "Withdrew")
    record_consent(
        session,
        nhs,
        dataclasses.replace(consent, expires_at=now - timedelta(days=1)),
    )
    record_consent(session, nhs, dataclasses.replace(consent, recipient_agency_ids=[prb]))
    for items in (health[:2], health[2:4]):
        record_decision(
            session,
            org.actor("health.discloser"),
            DecisionInput(
                subject_person_id=person.id,
                item_ids=[i.id for i in items],
                recipient_agency_ids=[pol],
                risk_described="Risk of serious harm to a named adult",
                information_scope="Relapse indicators only",
                reasoning="The earliest warning of the risk to the named adult",
                review_by=now + timedelta(days=30),
                patient_informed=True,
            ),
        )
    actor = dataclasses.replace(org.actor("mosovo"), purpose="RISK_MANAGEMENT")
    items = [item for item, _named in load_items(session, case.id)]
    return Reader.of(session, actor), items, person.id


def measure() -> dict[str, object]:
    policy = PolicySet.load(ROOT / "policies")
    with tempfile.TemporaryDirectory() as scratch, crypto.using(Keyring.generate()):
        url = f"sqlite:///{Path(scratch) / 'bench.sqlite3'}"
        migrations.upgrade(url)
        engine = make_engine(url)
        with Session(engine, expire_on_commit=False) as session:
            reader, items, person_id = _build(session)
            session.commit()
            actor = reader.actor
            now = utcnow()
            relationships = frozenset({"CASE_AGENCY"})
            traced = [
                i
                for i in items
                if i.category is Category.HEALTH or i.legal_basis is LegalBasis.CONSENT
            ]
            book = BasisBook.load(session, person_id, items)
            requests = [
                {
                    **item_resource(
                        i,
                        actor,
                        relationships,
                        owning_agency_type="RA_PROBATION",
                        named_agencies=(),
                    ).attributes,
                    "action": "read",
                }
                for i in items
            ]
            common = reader.attributes()

            def states() -> None:
                # What the gate does per case read, once the book is loaded.
                bases = book.for_reader(actor.agency_id, actor.purpose, now)
                for i in traced:
                    bases.for_item(i)

            def load() -> None:
                BasisBook.load(session, person_id, items)

            plain = _samples(lambda: policy.decide_case(requests, common=common))
            computed = _samples(states)
            loaded = _samples(load, 1000)
            shown = {
                s.consent_state + "/" + s.public_interest_state
                for s in (book.for_item(i, actor.agency_id, actor.purpose, now) for i in traced)
            }
        engine.dispose()
    return {
        "items": len(items),
        "health_items": len(traced),
        "plain_decision_p50_us": round(_p(plain, 50), 2),
        "plain_decision_p99_us": round(_p(plain, 99), 2),
        "states_p50_us": round(_p(computed, 50), 2),
        "states_p99_us": round(_p(computed, 99), 2),
        "load_sqlite_p50_us": round(_p(loaded, 50), 1),
        "load_sqlite_p99_us": round(_p(loaded, 99), 1),
        "states_to_plain_ratio": round(_p(computed, 50) / _p(plain, 50), 3),
        "states_target_20us_met": _p(computed, 50) <= 20,
        "states_seen": sorted(shown),
    }


def main() -> None:
    figures = measure()
    print(
        f"case of {figures['items']} items, {figures['health_items']} on health consent; "
        f"states seen {figures['states_seen']}"
    )
    f = figures
    print(
        f"plain decision: p50 {f['plain_decision_p50_us']} us, p99 {f['plain_decision_p99_us']} us"
    )
    print(f"basis states: p50 {f['states_p50_us']} us, p99 {f['states_p99_us']} us (target <= 20)")
    print(f"load (SQLite): p50 {f['load_sqlite_p50_us']} us, p99 {f['load_sqlite_p99_us']} us")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
