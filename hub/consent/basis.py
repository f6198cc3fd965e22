"""The basis each item of a case would go out under, computed fresh for every read (R-18, R-28).

The gate loads a person's consents and public-interest decisions once per case read (one
query each, only when the case holds items that need them) and then answers per item from
memory. Nothing is cached between requests: a withdrawal, an expiry or a lapse takes effect
on the very next read (R-29 a).
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.models import (
    Consent,
    ConsentRecipient,
    InformationItem,
    PublicInterestDecision,
    PublicInterestItem,
    PublicInterestRecipient,
)
from hub.vocabulary import Category, LegalBasis

# Bases that need no consent or decision record: the item's own legal basis is the answer.
_STANDING_BASES = frozenset({LegalBasis.STATUTE, LegalBasis.COURT_ORDER})


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


@dataclass(frozen=True, slots=True)
class ItemBasis:
    """The policy attributes for one item and one reader, and the basis it would go out under."""

    consent_state: str  # a consent_state of policies/schema.yaml
    public_interest_state: str  # a public_interest_state of policies/schema.yaml
    basis: str  # e.g. CONSENT:<id>, PUBLIC_INTEREST:<id>, STATUTE, OWNER


@dataclass(frozen=True)
class BasisBook:
    """One person's consents (by controller) and public-interest decisions (by item)."""

    consents: dict[uuid.UUID, list[ConsentScope]]
    decisions: dict[uuid.UUID, list[DecisionScope]]

    @classmethod
    def load(
        cls, session: Session, person_id: uuid.UUID, items: Sequence[InformationItem]
    ) -> BasisBook:
        controllers = {i.owning_agency_id for i in items if i.legal_basis is LegalBasis.CONSENT}
        health = {i.id for i in items if i.category is Category.HEALTH}
        return cls(
            _consents(session, person_id, controllers) if controllers else {},
            _decisions(session, person_id, health) if health else {},
        )

    def for_reader(self, agency: uuid.UUID, purpose: str | None, now: datetime) -> ReaderBases:
        """The bases as one reader, at one moment, sees them (one per gate call)."""
        active: dict[uuid.UUID, DecisionScope] = {}
        lapsed: set[uuid.UUID] = set()
        for item_id, decisions in self.decisions.items():
            for decision in decisions:  # newest first
                if agency not in decision.recipients:
                    continue
                if decision.decided_at <= now < decision.review_by:
                    active.setdefault(item_id, decision)
                elif decision.review_by <= now:
                    lapsed.add(item_id)
        return ReaderBases(self, agency, purpose, now, active, lapsed)

    def for_item(
        self, item: InformationItem, agency: uuid.UUID, purpose: str | None, now: datetime
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
    """A BasisBook for one reader at one moment. The consent state depends only on the
    item's controller and category, so it is worked out once per pair, not once per item."""

    book: BasisBook
    agency: uuid.UUID
    purpose: str | None
    now: datetime
    active: dict[uuid.UUID, DecisionScope]
    lapsed: set[uuid.UUID]
    _consents: dict[tuple[uuid.UUID, Category], tuple[str, str | None]] = field(
        default_factory=dict
    )

    def for_item(self, item: InformationItem) -> ItemBasis:
        owner = item.owning_agency_id
        legal = item.legal_basis
        consent_state, consent = "NOT_REQUIRED", None
        if legal is LegalBasis.CONSENT:
            key = (owner, item.category)
            found = self._consents.get(key)
            if found is None:
                found = self.book.consent_state(
                    owner, item.category.value, self.agency, self.purpose, self.now
                )
                self._consents[key] = found
            consent_state, consent = found
        decision = self.active.get(item.id)
        # A decision binds only its controller's items; the service checks it too.
        if decision is not None and decision.controller == owner:
            pi_state = "ACTIVE_COVERS"
        else:
            decision = None
            pi_state = "LAPSED" if item.id in self.lapsed else "NONE"
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


def _consents(
    session: Session, person_id: uuid.UUID, controllers: set[uuid.UUID]
) -> dict[uuid.UUID, list[ConsentScope]]:
    rows = session.execute(
        select(
            Consent.id,
            Consent.controller_agency_id,
            Consent.categories_text,
            Consent.purposes_text,
            Consent.given_at,
            Consent.expires_at,
            Consent.withdrawn_at,
            ConsentRecipient.agency_id,
        )
        .join(ConsentRecipient, ConsentRecipient.consent_id == Consent.id)
        .where(
            Consent.subject_person_id == person_id,
            Consent.controller_agency_id.in_(controllers),
        )
        .order_by(Consent.given_at.desc(), Consent.id)
    ).all()
    recipients: dict[uuid.UUID, set[uuid.UUID]] = {}
    heads: dict[uuid.UUID, ConsentScope] = {}
    for consent_id, controller, categories, purposes, given, expires, withdrawn, agency in rows:
        recipients.setdefault(consent_id, set()).add(agency)
        if consent_id not in heads:
            heads[consent_id] = ConsentScope(
                consent_id,
                controller,
                frozenset(categories.split()),
                frozenset(purposes.split()),
                frozenset(),
                given,
                expires,
                withdrawn,
            )
    found: dict[uuid.UUID, list[ConsentScope]] = {}
    for consent_id, head in heads.items():
        scope = dataclasses.replace(head, recipients=frozenset(recipients[consent_id]))
        found.setdefault(scope.controller, []).append(scope)
    return found


def _decisions(
    session: Session, person_id: uuid.UUID, item_ids: set[uuid.UUID]
) -> dict[uuid.UUID, list[DecisionScope]]:
    rows = session.execute(
        select(
            PublicInterestDecision.id,
            PublicInterestDecision.controller_agency_id,
            PublicInterestDecision.decided_at,
            PublicInterestDecision.review_by,
            PublicInterestItem.item_id,
            PublicInterestRecipient.agency_id,
        )
        .join(PublicInterestItem, PublicInterestItem.decision_id == PublicInterestDecision.id)
        .join(
            PublicInterestRecipient,
            PublicInterestRecipient.decision_id == PublicInterestDecision.id,
        )
        .where(PublicInterestDecision.subject_person_id == person_id)
        .order_by(PublicInterestDecision.decided_at.desc(), PublicInterestDecision.id)
    ).all()
    items: dict[uuid.UUID, set[uuid.UUID]] = {}
    recipients: dict[uuid.UUID, set[uuid.UUID]] = {}
    heads: dict[uuid.UUID, tuple[uuid.UUID, datetime, datetime]] = {}
    for decision_id, controller, decided_at, review_by, item_id, agency_id in rows:
        items.setdefault(decision_id, set()).add(item_id)
        recipients.setdefault(decision_id, set()).add(agency_id)
        heads.setdefault(decision_id, (controller, decided_at, review_by))
    found: dict[uuid.UUID, list[DecisionScope]] = {}
    for decision_id, (controller, decided_at, review_by) in heads.items():
        scope = DecisionScope(
            decision_id,
            controller,
            frozenset(items[decision_id]),
            frozenset(recipients[decision_id]),
            decided_at,
            review_by,
        )
        for item_id in scope.items & item_ids:
            found.setdefault(item_id, []).append(scope)
    return found
