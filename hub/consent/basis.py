"""The basis each item of a case would go out under, computed fresh for every read (R-18, R-28).

The gate loads a person's consents and public-interest decisions once per case read (one
statement for both, only when the case holds items that need them) and then answers per item
from memory, from plain values (the gate's item rows), never ORM attributes: that is what
keeps the states within bench/consent.py's budget. Nothing is cached between requests: a
withdrawal, an expiry or a lapse takes effect on the very next read (R-29 a).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple, Protocol

from sqlalchemy import String, bindparam, cast, literal, null, select, type_coerce, union_all
from sqlalchemy.orm import Session

from hub.db import UTCDateTime, core_rows
from hub.models import (
    Consent,
    ConsentRecipient,
    PublicInterestDecision,
    PublicInterestItem,
    PublicInterestRecipient,
)
from hub.vocabulary import Category, LegalBasis

# Bases that need no consent or decision record: the item's own legal basis is the answer.
_STANDING_BASES = frozenset({LegalBasis.STATUTE, LegalBasis.COURT_ORDER})


class ItemFacts(Protocol):
    """What the basis of an item depends on (hub.gate.records.ItemRecord has it)."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def owning_agency_id(self) -> uuid.UUID: ...
    @property
    def category(self) -> Category: ...
    @property
    def legal_basis(self) -> LegalBasis: ...


@dataclass(frozen=True, slots=True)
class ConsentScope:
    id: uuid.UUID
    controller: uuid.UUID
    categories: frozenset[str]
    purposes: frozenset[str]
    recipients: frozenset[uuid.UUID]
    given_at: datetime
    expires_at: datetime | None
    withdrawn_at: datetime | None

    def covers(self, category: str, agency: uuid.UUID, purpose: str | None) -> bool:
        return (
            category in self.categories and agency in self.recipients and (purpose in self.purposes)
        )

    def state_at(self, now: datetime) -> str:
        if self.withdrawn_at is not None and self.withdrawn_at <= now:
            return "WITHDRAWN"
        if self.expires_at is not None and self.expires_at <= now:
            return "EXPIRED"
        return "ACTIVE" if self.given_at <= now else "PENDING"


@dataclass(frozen=True, slots=True)
class DecisionScope:
    id: uuid.UUID
    controller: uuid.UUID
    items: frozenset[uuid.UUID]
    recipients: frozenset[uuid.UUID]
    decided_at: datetime
    review_by: datetime

    @property
    def label(self) -> str:
        return f"PUBLIC_INTEREST:{self.id}"


class ItemBasis(NamedTuple):
    """The policy attributes for one item and one reader, and the basis it would go out under.

    A named tuple: it is made for every traced item of every read, and a tuple is the
    cheapest immutable record Python builds."""

    consent_state: str  # a consent_state of policies/schema.yaml
    public_interest_state: str  # a public_interest_state of policies/schema.yaml
    basis: str  # e.g. CONSENT:<id>, PUBLIC_INTEREST:<id>, STATUTE, OWNER


@dataclass(frozen=True)
class BasisBook:
    """One person's consents (by controller) and public-interest decisions (by item)."""

    consents: dict[uuid.UUID, list[ConsentScope]]
    decisions: dict[uuid.UUID, list[DecisionScope]]

    @classmethod
    def load(cls, session: Session, person_id: uuid.UUID, items: Sequence[ItemFacts]) -> BasisBook:
        controllers = {i.owning_agency_id for i in items if i.legal_basis is LegalBasis.CONSENT}
        health = {i.id for i in items if i.category is Category.HEALTH}
        if not controllers and not health:
            return cls({}, {})
        return _load(session, person_id, controllers, health)

    def for_reader(self, agency: uuid.UUID, purpose: str | None, now: datetime) -> ReaderBases:
        """The bases as one reader, at one moment, sees them (one per gate call)."""
        # Keyed by the ids' integers: uuid.UUID hashes in Python, an int in C, and these are
        # looked up once per item of every read.
        active: dict[int, DecisionScope] = {}
        lapsed: set[int] = set()
        for item_id, decisions in self.decisions.items():
            for decision in decisions:  # newest first
                if agency not in decision.recipients:
                    continue
                if decision.decided_at <= now < decision.review_by:
                    active.setdefault(item_id.int, decision)
                elif decision.review_by <= now:
                    lapsed.add(item_id.int)
        return ReaderBases(self, agency, purpose, now, active, lapsed)

    def for_item(
        self, item: ItemFacts, agency: uuid.UUID, purpose: str | None, now: datetime
    ) -> ItemBasis:
        return self.for_reader(agency, purpose, now).for_item(item)

    def consent_state(
        self, owner: uuid.UUID, category: str, agency: uuid.UUID, purpose: str | None, now: datetime
    ) -> tuple[str, str | None]:
        """The consent state for a consent-based item, and the basis label if it covers."""
        held = self.consents.get(owner, ())
        if not held:
            return "NONE", None
        states: dict[str, ConsentScope] = {}
        for scope in held:  # newest first
            if scope.covers(category, agency, purpose):
                states.setdefault(scope.state_at(now), scope)
        active = states.get("ACTIVE")
        if active is not None:
            return "ACTIVE_COVERS", f"CONSENT:{active.id}"
        # Withdrawal is the stronger statement: it is the person's, an expiry only a date.
        for state in ("WITHDRAWN", "EXPIRED"):
            if state in states:
                return state, None
        return "NOT_COVERING", None


@dataclass
class ReaderBases:
    """A BasisBook for one reader at one moment. An item's basis depends only on its
    controller, category, legal basis and public-interest decision, so it is worked out once
    per such kind of item, not once per item."""

    book: BasisBook
    agency: uuid.UUID
    purpose: str | None
    now: datetime
    active: dict[int, DecisionScope]  # by item id (its integer)
    lapsed: set[int]
    _answers: dict[tuple[int, Category, LegalBasis, int, bool], ItemBasis] = field(
        default_factory=dict
    )

    def for_item(self, item: ItemFacts) -> ItemBasis:
        return self.basis(item.id, item.owning_agency_id, item.category, item.legal_basis)

    def basis(
        self, item_id: uuid.UUID, owner: uuid.UUID, category: Category, legal: LegalBasis
    ) -> ItemBasis:
        decision = self.active.get(item_id.int)
        # A decision binds only its controller's items; the service checks it too.
        if decision is not None and decision.controller.int != owner.int:
            decision = None
        lapsed = decision is None and item_id.int in self.lapsed
        # Items alike in these answer alike: most of a case's items share an owner and a
        # category, so the answer is worked out once per kind (bench/consent.py).
        key = (owner.int, category, legal, decision.id.int if decision else 0, lapsed)
        found = self._answers.get(key)
        if found is None:
            found = self._answers[key] = self._work_out(owner, category, legal, decision, lapsed)
        return found

    def _work_out(
        self,
        owner: uuid.UUID,
        category: Category,
        legal: LegalBasis,
        decision: DecisionScope | None,
        lapsed: bool,
    ) -> ItemBasis:
        consent_state, consent = "NOT_REQUIRED", None
        if legal is LegalBasis.CONSENT:
            consent_state, consent = self.book.consent_state(
                owner, category.value, self.agency, self.purpose, self.now
            )
        pi_state = "ACTIVE_COVERS" if decision is not None else "LAPSED" if lapsed else "NONE"
        if owner == self.agency:
            basis = "OWNER"  # the controller using its own record discloses nothing
        elif legal in _STANDING_BASES:
            basis = legal.value
        elif consent is not None:
            basis = consent
        elif decision is not None:
            basis = decision.label
        else:
            basis = legal.value
        return ItemBasis(consent_state, pi_state, basis)


def _query(consents: bool, decisions: bool) -> Any:
    """The consents of the `controllers` and the decisions about the `health` items, as one
    statement (a UNION ALL of the two when both are wanted); each row is one recipient of one
    consent, or one recipient and one item of one decision."""
    moment = UTCDateTime()
    parts: list[Any] = []
    if consents:
        parts.append(
            select(
                literal("C").label("kind"),
                Consent.id,
                Consent.controller_agency_id,
                type_coerce(Consent.categories_text, String()).label("categories"),
                type_coerce(Consent.purposes_text, String()).label("purposes"),
                type_coerce(Consent.given_at, moment).label("t1"),
                type_coerce(Consent.expires_at, moment).label("t2"),
                type_coerce(Consent.withdrawn_at, moment).label("t3"),
                cast(null(), ConsentRecipient.agency_id.type).label("item_id"),
                ConsentRecipient.agency_id,
            )
            .join(ConsentRecipient, ConsentRecipient.consent_id == Consent.id)
            .where(
                Consent.subject_person_id == bindparam("person_id"),
                Consent.controller_agency_id.in_(bindparam("controllers", expanding=True)),
            )
        )
    if decisions:
        decision = PublicInterestDecision
        parts.append(
            select(
                literal("D").label("kind"),
                decision.id,
                decision.controller_agency_id,
                cast(null(), String()).label("categories"),
                cast(null(), String()).label("purposes"),
                type_coerce(decision.decided_at, moment).label("t1"),
                type_coerce(decision.review_by, moment).label("t2"),
                cast(null(), moment).label("t3"),
                PublicInterestItem.item_id,
                PublicInterestRecipient.agency_id,
            )
            .join(PublicInterestItem, PublicInterestItem.decision_id == decision.id)
            .join(PublicInterestRecipient, PublicInterestRecipient.decision_id == decision.id)
            .where(decision.subject_person_id == bindparam("person_id"))
        )
    query: Any = union_all(*parts) if len(parts) > 1 else parts[0]
    columns: Any = query.selected_columns
    return query.order_by(columns.kind, columns.t1.desc(), columns.id)  # newest first


# Built once: composing the statement costs more than running it (bench/consent.py).
_QUERIES = {(c, d): _query(c, d) for c in (True, False) for d in (True, False) if c or d}


def _load(
    session: Session, person_id: uuid.UUID, controllers: set[uuid.UUID], health: set[uuid.UUID]
) -> BasisBook:
    query = _QUERIES[bool(controllers), bool(health)]
    parameters: dict[str, object] = {"person_id": person_id}
    if controllers:
        parameters["controllers"] = list(controllers)
    rows: Sequence[Any] = core_rows(session, query, parameters).all()
    consent_heads: dict[uuid.UUID, tuple[Any, ...]] = {}
    decision_heads: dict[uuid.UUID, tuple[uuid.UUID, datetime, datetime]] = {}
    recipients: dict[uuid.UUID, set[uuid.UUID]] = {}
    items: dict[uuid.UUID, set[uuid.UUID]] = {}
    for kind, row_id, controller, categories, purposes, t1, t2, t3, item_id, agency in rows:
        recipients.setdefault(row_id, set()).add(agency)
        if kind == "C":
            consent_heads.setdefault(row_id, (controller, categories, purposes, t1, t2, t3))
        else:
            items.setdefault(row_id, set()).add(item_id)
            decision_heads.setdefault(row_id, (controller, t1, t2))
    consents: dict[uuid.UUID, list[ConsentScope]] = {}
    for consent_id, (
        controller,
        categories,
        purposes,
        given,
        expires,
        withdrawn,
    ) in consent_heads.items():
        consents.setdefault(controller, []).append(
            ConsentScope(
                consent_id,
                controller,
                frozenset(categories.split()),
                frozenset(purposes.split()),
                frozenset(recipients[consent_id]),
                given,
                expires,
                withdrawn,
            )
        )
    decisions: dict[uuid.UUID, list[DecisionScope]] = {}
    for decision_id, (controller, decided_at, review_by) in decision_heads.items():
        scope = DecisionScope(
            decision_id,
            controller,
            frozenset(items[decision_id]),
            frozenset(recipients[decision_id]),
            decided_at,
            review_by,
        )
        for item_id in scope.items & health:
            decisions.setdefault(item_id, []).append(scope)
    return BasisBook(consents, decisions)
