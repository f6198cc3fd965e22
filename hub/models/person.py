"""The subject of a case ("nominal"): identifiers, names, addresses, duplicate reviews."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import ColumnElement, ForeignKey, Index, LargeBinary, String, and_, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.crypto.fields import SealedField, SealedText, blind_index, cleartext
from hub.db import Base, Entity, enum_type
from hub.vocabulary import (
    RESTRICTED_SCHEMES,
    AddressType,
    Classification,
    DuplicateMatch,
    DuplicateOutcome,
    IdentifierScheme,
    NameType,
    PersonStatus,
    Sex,
)


class Person(Entity, Base):
    __tablename__ = "person"

    status: Mapped[PersonStatus] = mapped_column(
        enum_type(PersonStatus), default=PersonStatus.ACTIVE
    )
    merged_into_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("person.id"))
    date_of_birth: Mapped[date]
    sex: Mapped[Sex] = mapped_column(enum_type(Sex))
    # Sealed: racial or ethnic origin is special-category data (UK GDPR Art. 9).
    ethnicity_text_stored: Mapped[str | None] = mapped_column("ethnicity_text", SealedText())
    ethnicity_text = SealedField[str | None]("ethnicity_text_stored", max_length=200)
    nationality: Mapped[str | None] = mapped_column(String(100))
    owning_agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agency.id"))
    classification: Mapped[Classification] = mapped_column(
        enum_type(Classification), default=Classification.OFFICIAL_SENSITIVE
    )
    created_by: Mapped[uuid.UUID | None]

    identifiers: Mapped[list[PersonIdentifier]] = relationship(
        back_populates="person", cascade="all, delete-orphan", lazy="selectin"
    )
    names: Mapped[list[PersonName]] = relationship(
        back_populates="person", cascade="all, delete-orphan", lazy="selectin"
    )
    addresses: Mapped[list[Address]] = relationship(
        back_populates="person", cascade="all, delete-orphan", order_by="Address.valid_from"
    )

    __mapper_args__ = {"version_id_col": Entity.version}

    @property
    def primary_name(self) -> PersonName | None:
        return next((n for n in self.names if n.type is NameType.PRIMARY), None)


class PersonIdentifier(Base):
    """An identifier from an agency system.

    `claims` marks the PNC and CRN of an active person: a partial unique index on claimed
    identifiers makes R-56 hold even when two connectors insert the same person at once.

    Values of restricted schemes (NHS number, NI number) are sealed, with a keyed blind index
    (`value_digest`) so that equality lookups still work; other schemes stay in clear, so the
    claims index keeps comparing real PNCs and CRNs. Look values up with `identifier_is`.
    """

    __tablename__ = "person_identifier"
    __table_args__ = (
        Index("ix_person_identifier_scheme_value", "scheme", "value"),
        Index("ix_person_identifier_scheme_digest", "scheme", "value_digest"),
        Index(
            "uq_person_identifier_claimed",
            "scheme",
            "value",
            unique=True,
            sqlite_where=text("claims"),
            postgresql_where=text("claims"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    person_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("person.id", ondelete="CASCADE"), index=True
    )
    scheme: Mapped[IdentifierScheme] = mapped_column(enum_type(IdentifierScheme))
    value_stored: Mapped[str] = mapped_column("value", SealedText())
    value_digest: Mapped[bytes | None] = mapped_column(LargeBinary(32))
    value = SealedField[str](
        "value_stored",
        max_length=64,
        only_if=("scheme", RESTRICTED_SCHEMES),
        blind_index=("value_digest", "scheme"),
    )
    source_agency_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("agency.id"))
    claims: Mapped[bool] = mapped_column(default=False)

    person: Mapped[Person] = relationship(back_populates="identifiers")


def identifier_is(scheme: IdentifierScheme, value: str) -> ColumnElement[bool]:
    """SQL: the identifier row holds `value` under `scheme` (sealed schemes by blind index)."""
    if scheme in RESTRICTED_SCHEMES:
        digest = blind_index(str(scheme), value)
        return and_(PersonIdentifier.scheme == scheme, PersonIdentifier.value_digest == digest)
    return and_(
        PersonIdentifier.scheme == scheme, PersonIdentifier.value_stored == cleartext(value)
    )


class PersonName(Base):
    __tablename__ = "person_name"
    __table_args__ = (Index("ix_person_name_match", "family_key", "given_key"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    person_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("person.id", ondelete="CASCADE"), index=True
    )
    type: Mapped[NameType] = mapped_column(enum_type(NameType))
    given: Mapped[str] = mapped_column(String(100))
    family: Mapped[str] = mapped_column(String(100))
    # Case- and space-folded copies, so matching and search use an index.
    given_key: Mapped[str] = mapped_column(String(100))
    family_key: Mapped[str] = mapped_column(String(100))
    valid_from: Mapped[date | None]
    valid_to: Mapped[date | None]

    person: Mapped[Person] = relationship(back_populates="names")


class Address(Entity, Base):
    __tablename__ = "address"

    person_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("person.id", ondelete="CASCADE"), index=True
    )
    type: Mapped[AddressType] = mapped_column(enum_type(AddressType))
    # Sealed, for every address, not only victims': an address row has no victim flag yet,
    # and a managed person's home address is itself a safety risk if a copy leaks.
    line1_stored: Mapped[str] = mapped_column("line1", SealedText())
    line2_stored: Mapped[str | None] = mapped_column("line2", SealedText())
    town_stored: Mapped[str] = mapped_column("town", SealedText())
    postcode_stored: Mapped[str | None] = mapped_column("postcode", SealedText())
    line1 = SealedField[str]("line1_stored", max_length=200)
    line2 = SealedField[str | None]("line2_stored", max_length=200)
    town = SealedField[str]("town_stored", max_length=100)
    postcode = SealedField[str | None]("postcode_stored", max_length=10)
    valid_from: Mapped[date]
    valid_to: Mapped[date | None]
    verified_at: Mapped[datetime | None]
    verified_by: Mapped[uuid.UUID | None]
    owning_agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agency.id"))
    classification: Mapped[Classification] = mapped_column(
        enum_type(Classification), default=Classification.OFFICIAL_SENSITIVE
    )

    person: Mapped[Person] = relationship(back_populates="addresses")

    __mapper_args__ = {"version_id_col": Entity.version}


class DuplicateReview(Base):
    """A new person held back because it matches an existing one (R-56)."""

    __tablename__ = "duplicate_review"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    held_person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("person.id"), index=True)
    existing_person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("person.id"))
    matched_on: Mapped[DuplicateMatch] = mapped_column(enum_type(DuplicateMatch))
    outcome: Mapped[DuplicateOutcome] = mapped_column(
        enum_type(DuplicateOutcome), default=DuplicateOutcome.OPEN
    )
    raised_at: Mapped[datetime]
    resolved_at: Mapped[datetime | None]
    resolved_by: Mapped[uuid.UUID | None]
    reason: Mapped[str | None] = mapped_column(String(1000))
