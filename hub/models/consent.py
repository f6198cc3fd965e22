"""Consent and public-interest decisions: the bases health information is shared on (R-28..R-31).

Neither is ever deleted (the migration's triggers refuse it): a withdrawn consent or a lapsed
decision is exactly what a later question "why did probation see this in March?" needs.
Categories and purposes are closed vocabularies checked by the service, stored as one sorted,
space-separated string each, so the gate reads a person's consents in a single query; the
recipients are agencies, so they are rows that reference `agency` and cannot name an unknown one.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.crypto.fields import SealedField, SealedText
from hub.db import Base, Entity, enum_type, utcnow
from hub.vocabulary import Category, ConsentMethod, ConsentTaskKind, Purpose


def joined(values: list[str]) -> str:
    return " ".join(sorted(set(values)))


class Consent(Entity, Base):
    """A person's consent for a controller to share some categories with some agencies, for some
    purposes (domain.md §8). Changing the scope means a new consent, not an edit."""

    __tablename__ = "consent"
    __table_args__ = (
        Index("ix_consent_subject_controller", "subject_person_id", "controller_agency_id"),
    )

    subject_person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("person.id"))
    controller_agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agency.id"))
    categories_text: Mapped[str] = mapped_column("categories", String(200))
    purposes_text: Mapped[str] = mapped_column("purposes", String(200))
    given_at: Mapped[datetime]
    method: Mapped[ConsentMethod] = mapped_column(enum_type(ConsentMethod))
    # Sealed: a note on capacity is clinical information about the person.
    capacity_note_stored: Mapped[str | None] = mapped_column("capacity_note", SealedText())
    capacity_note = SealedField[str | None]("capacity_note_stored", max_length=2000)
    recorded_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("hub_user.id"))
    expires_at: Mapped[datetime | None]
    withdrawn_at: Mapped[datetime | None]
    withdrawn_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("hub_user.id"))
    withdrawal_reason_stored: Mapped[str | None] = mapped_column("withdrawal_reason", SealedText())
    withdrawal_reason = SealedField[str | None]("withdrawal_reason_stored", max_length=2000)

    recipients: Mapped[list[ConsentRecipient]] = relationship(
        cascade="all", lazy="selectin", order_by="ConsentRecipient.agency_id"
    )

    __mapper_args__ = {"version_id_col": Entity.version}

    @property
    def categories(self) -> list[Category]:
        return [Category(c) for c in self.categories_text.split()]

    @property
    def purposes(self) -> list[Purpose]:
        return [Purpose(p) for p in self.purposes_text.split()]

    @property
    def recipient_ids(self) -> list[uuid.UUID]:
        return [r.agency_id for r in self.recipients]

    def state_at(self, moment: datetime) -> str:
        """ACTIVE, WITHDRAWN, EXPIRED or PENDING (given later than `moment`)."""
        if self.withdrawn_at is not None and self.withdrawn_at <= moment:
            return "WITHDRAWN"
        if self.expires_at is not None and self.expires_at <= moment:
            return "EXPIRED"
        if self.given_at > moment:
            return "PENDING"
        return "ACTIVE"


class ConsentRecipient(Base):
    """An agency the consent lets the controller share with."""

    __tablename__ = "consent_recipient"

    consent_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("consent.id"), primary_key=True)
    agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agency.id"), primary_key=True)


class PublicInterestDecision(Entity, Base):
    """A controller's recorded decision to share health items without consent (R-30, R-31)."""

    __tablename__ = "public_interest_decision"
    __table_args__ = (
        Index("ix_public_interest_decision_subject", "subject_person_id", "controller_agency_id"),
    )

    subject_person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("person.id"))
    controller_agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agency.id"))
    decided_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("hub_user.id"))
    # Sealed: the risk and the reasoning are clinical judgements about the person.
    risk_described_stored: Mapped[str] = mapped_column("risk_described", SealedText())
    risk_described = SealedField[str]("risk_described_stored", max_length=4000)
    information_scope_stored: Mapped[str] = mapped_column("information_scope", SealedText())
    information_scope = SealedField[str]("information_scope_stored", max_length=4000)
    reasoning_stored: Mapped[str] = mapped_column("reasoning", SealedText())
    reasoning = SealedField[str]("reasoning_stored", max_length=10_000)
    patient_informed: Mapped[bool]
    reason_not_informed_stored: Mapped[str | None] = mapped_column(
        "reason_not_informed", SealedText()
    )
    reason_not_informed = SealedField[str | None]("reason_not_informed_stored", max_length=2000)
    decided_at: Mapped[datetime]
    review_by: Mapped[datetime]

    items: Mapped[list[PublicInterestItem]] = relationship(
        cascade="all", lazy="selectin", order_by="PublicInterestItem.item_id"
    )
    recipients: Mapped[list[PublicInterestRecipient]] = relationship(
        cascade="all", lazy="selectin", order_by="PublicInterestRecipient.agency_id"
    )

    __mapper_args__ = {"version_id_col": Entity.version}

    def active_at(self, moment: datetime) -> bool:
        return self.decided_at <= moment < self.review_by


class PublicInterestItem(Base):
    """An item the decision covers: only these reappear (domain.md §10 scenario 1)."""

    __tablename__ = "public_interest_item"

    decision_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("public_interest_decision.id"), primary_key=True
    )
    item_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("information_item.id"), primary_key=True)


class PublicInterestRecipient(Base):
    __tablename__ = "public_interest_recipient"

    decision_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("public_interest_decision.id"), primary_key=True
    )
    agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agency.id"), primary_key=True)


class ItemDisseminationFlag(Base):
    """R-29(b): an agency received this item on a consent since withdrawn; it may keep it
    (R-29 d) but must not pass it on."""

    __tablename__ = "item_dissemination_flag"
    __table_args__ = (UniqueConstraint("item_id", "agency_id", "consent_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    item_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("information_item.id"), index=True)
    agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agency.id"), index=True)
    consent_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("consent.id"))
    flag: Mapped[str] = mapped_column(String(80))
    flagged_at: Mapped[datetime] = mapped_column(default=utcnow)


class ConsentTask(Base):
    """What a withdrawal leaves an agency to do: a recipient's notice (R-29 b) or the
    controller's public-interest review (R-29 c). Done, never deleted."""

    __tablename__ = "consent_task"
    __table_args__ = (Index("ix_consent_task_open", "agency_id", "kind", "done_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    kind: Mapped[ConsentTaskKind] = mapped_column(enum_type(ConsentTaskKind))
    agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agency.id"))
    consent_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("consent.id"), index=True)
    subject_person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("person.id"))
    item_count: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    done_at: Mapped[datetime | None]
    done_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("hub_user.id"))
    # The decision that closed a PUBLIC_INTEREST_REVIEW, when one was recorded.
    decision_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("public_interest_decision.id"))
