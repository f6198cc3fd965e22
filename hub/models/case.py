"""The MAPPA case: one management episode of one person, its history and its team."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.db import Base, Entity, enum_type
from hub.models.person import Person
from hub.vocabulary import (
    CaseChangeKind,
    CaseStatus,
    Classification,
    LevelTwoBasis,
    LocationStatus,
    MembershipRole,
)


class MappaCase(Entity, Base):
    __tablename__ = "mappa_case"
    __table_args__ = (
        CheckConstraint("category BETWEEN 1 AND 4", name="category_1_to_4"),
        CheckConstraint("current_level BETWEEN 1 AND 3", name="level_1_to_3"),
        # the database itself refuses a category 3 case managed at level 1.
        CheckConstraint("NOT (category = 3 AND current_level = 1)", name="cat3_not_level1"),
        # an active level 2/3 case always has a next review date.
        CheckConstraint(
            "current_level = 1 OR status <> 'ACTIVE' OR next_review_due IS NOT NULL",
            name="level23_has_review",
        ),
        Index("ix_mappa_case_list", "mappa_area", "status", "current_level"),
        # The order of every case list (soonest review first, then id): walked, not sorted.
        Index("ix_mappa_case_review_order", "next_review_due", "id"),
        # One category at a time means one open case per person.
        Index(
            "uq_mappa_case_open_per_person",
            "person_id",
            unique=True,
            sqlite_where=text("status <> 'CLOSED'"),
            postgresql_where=text("status <> 'CLOSED'"),
        ),
    )

    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("person.id"))
    mappa_area: Mapped[str] = mapped_column(String(100))
    category: Mapped[int]
    current_level: Mapped[int]
    status: Mapped[CaseStatus] = mapped_column(enum_type(CaseStatus), default=CaseStatus.ACTIVE)
    lead_agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agency.id"), index=True)
    location_status: Mapped[LocationStatus] = mapped_column(
        enum_type(LocationStatus), default=LocationStatus.COMMUNITY
    )
    start_date: Mapped[date]
    end_date: Mapped[date | None]
    end_reason: Mapped[str | None] = mapped_column(String(500))
    next_review_due: Mapped[date | None]
    cppc_flag: Mapped[bool] = mapped_column(default=False)
    owning_agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agency.id"))
    classification: Mapped[Classification] = mapped_column(
        enum_type(Classification), default=Classification.OFFICIAL_SENSITIVE
    )
    created_by: Mapped[uuid.UUID | None]

    person: Mapped[Person] = relationship(lazy="joined")
    history: Mapped[list[CaseChange]] = relationship(
        cascade="all, delete-orphan", order_by="CaseChange.changed_at"
    )
    members: Mapped[list[CaseMembership]] = relationship(cascade="all, delete-orphan")

    __mapper_args__ = {"version_id_col": Entity.version}


class CaseChange(Base):
    """One recorded change of category, level, status or lead agency, with its reason."""

    __tablename__ = "case_change"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    case_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("mappa_case.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[CaseChangeKind] = mapped_column(enum_type(CaseChangeKind))
    old_value: Mapped[str | None] = mapped_column(String(64))
    new_value: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(2000))
    level_two_basis: Mapped[LevelTwoBasis | None] = mapped_column(enum_type(LevelTwoBasis))
    changed_at: Mapped[datetime]
    changed_by: Mapped[uuid.UUID | None]
    meeting_id: Mapped[uuid.UUID | None]


class CaseMembership(Base):
    """Which agency (and, where known, which user) works the case, and in what role."""

    __tablename__ = "case_membership"
    __table_args__ = (
        UniqueConstraint("case_id", "agency_id", "user_id", "role"),
        # The list filter asks "does this agency have a current membership of this case?"
        # once per listed case: with what it tests included, PostgreSQL answers from the
        # index alone (bench/case_list.py: a capped count of 100,000 cases, 43 ms -> 3 ms).
        Index(
            "ix_case_membership_agency_case",
            "agency_id",
            "case_id",
            postgresql_include=["until", "role", "user_id"],
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    case_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("mappa_case.id", ondelete="CASCADE"), index=True
    )
    agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agency.id"))
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("hub_user.id"), index=True)
    role: Mapped[MembershipRole] = mapped_column(enum_type(MembershipRole))
    since: Mapped[date]
    until: Mapped[date | None]
