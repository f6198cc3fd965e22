"""Information items: the unit the policy engine decides on (domain.md §8)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.crypto.fields import SealedField, SealedText
from hub.db import Base, Entity, enum_type
from hub.vocabulary import Category, Classification, LegalBasis, SourceSystem


class InformationItem(Entity, Base):
    __tablename__ = "information_item"
    __table_args__ = (
        Index("ix_information_item_case_category", "case_id", "category"),
        # An agency's message delivered twice must not make two items (idempotent ingest).
        Index(
            "uq_information_item_provenance",
            "owning_agency_id",
            "source_system",
            "source_reference",
            unique=True,
            sqlite_where=text("source_reference IS NOT NULL"),
            postgresql_where=text("source_reference IS NOT NULL"),
        ),
    )

    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("mappa_case.id"), index=True)
    owning_agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agency.id"), index=True)
    category: Mapped[Category] = mapped_column(enum_type(Category))
    classification: Mapped[Classification] = mapped_column(
        enum_type(Classification), default=Classification.OFFICIAL_SENSITIVE
    )
    legal_basis: Mapped[LegalBasis] = mapped_column(enum_type(LegalBasis))
    # Sealed (docs/keys.md): every category's title and content, not only HEALTH,
    # VICTIM, CHILD, INTELLIGENCE and FINANCIAL. A conviction summary can name a victim and a
    # location note can reveal a refuge; sealing all costs microseconds and leaves no rule
    # about which category may hold what for the database to get wrong.
    title_stored: Mapped[str] = mapped_column("title", SealedText())
    content_stored: Mapped[str] = mapped_column("content", SealedText())
    title = SealedField[str]("title_stored", max_length=200)
    content = SealedField[str]("content_stored", max_length=100_000)
    originator_control: Mapped[bool] = mapped_column(default=False)
    source_system: Mapped[SourceSystem] = mapped_column(enum_type(SourceSystem))
    source_reference: Mapped[str | None] = mapped_column(String(200))
    received_at: Mapped[datetime]
    review_by: Mapped[date | None]
    superseded_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("information_item.id"))
    created_by: Mapped[uuid.UUID | None]

    annotations: Mapped[list[ItemAnnotation]] = relationship(
        cascade="all, delete-orphan", order_by="ItemAnnotation.created_at"
    )
    named_agencies: Mapped[list[ItemNamedAgency]] = relationship(cascade="all, delete-orphan")

    __mapper_args__ = {"version_id_col": Entity.version}


class ItemAnnotation(Base):
    """A note another agency adds to an item it does not own (R-14: annotate, not alter)."""

    __tablename__ = "item_annotation"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    item_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("information_item.id", ondelete="CASCADE"), index=True
    )
    agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agency.id"))
    author_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("hub_user.id"))
    # Sealed: a note on a HEALTH or VICTIM item is as sensitive as the item.
    text_stored: Mapped[str] = mapped_column("text", SealedText())
    text = SealedField[str]("text_stored", max_length=10_000)
    created_at: Mapped[datetime]


class ItemNamedAgency(Base):
    """An agency the owner named as a recipient of the item (R-17, R-15)."""

    __tablename__ = "item_named_agency"

    item_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("information_item.id", ondelete="CASCADE"), primary_key=True
    )
    agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agency.id"), primary_key=True)
