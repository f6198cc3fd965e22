"""Circles, their volunteers, outer circle, shared profile, meetings, concerns and notices.

A circle hangs off a MAPPA case (the core member's), but no COSA reader ever reads the case:
the portal reads the circle's own rows and, of the core member, only the shared profile
through the policy (R-51). Free text written about or by the circle is sealed (docs/keys.md).

The portal's sessions live here too, in a table of their own: a portal session is a row the
workspace never looks at, and a workspace session is one the portal never looks at.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hub.cosa.vocabulary import (
    CircleStatus,
    CircleType,
    ConcernCategory,
    NoticeKind,
    OuterRole,
    Severity,
)
from hub.crypto.fields import SealedField, SealedText
from hub.db import Base, Entity, enum_type, utcnow


class Circle(Entity, Base):
    __tablename__ = "circle"

    reference: Mapped[str] = mapped_column(String(40), unique=True)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("mappa_case.id"), index=True)
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("person.id"))  # the core member
    provider_agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agency.id"))
    coordinator_user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("hub_user.id"), index=True)
    manager_user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("hub_user.id"))
    type: Mapped[CircleType] = mapped_column(enum_type(CircleType))
    status: Mapped[CircleStatus] = mapped_column(
        enum_type(CircleStatus), default=CircleStatus.PROPOSED
    )
    consent_signed_at: Mapped[datetime | None]
    consent_withdrawn_at: Mapped[datetime | None]
    contract_signed_at: Mapped[datetime | None]
    started_at: Mapped[datetime | None]
    planned_end: Mapped[date | None]
    ended_at: Mapped[datetime | None]
    created_by: Mapped[uuid.UUID | None]

    __mapper_args__ = {"version_id_col": Entity.version}


class CircleOuterMember(Base):
    """A professional of the outer circle: told of concerns, suspensions and minutes."""

    __tablename__ = "circle_outer_member"
    __table_args__ = (UniqueConstraint("circle_id", "user_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    circle_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("circle.id"), index=True)
    agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agency.id"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("hub_user.id"))
    role: Mapped[OuterRole] = mapped_column(enum_type(OuterRole))


class CircleVolunteer(Base):
    __tablename__ = "circle_volunteer"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    circle_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("circle.id"), index=True)
    # Sealed: volunteers who sit with sex offenders have their own safety to think of.
    name_stored: Mapped[str] = mapped_column("name", SealedText())
    name = SealedField[str]("name_stored", max_length=200)
    dbs_check_date: Mapped[date | None]  # the enhanced DBS check
    trained_on: Mapped[date | None]
    vetted: Mapped[bool] = mapped_column(default=False)
    joined_on: Mapped[date]
    left_on: Mapped[date | None]
    added_by: Mapped[uuid.UUID | None]


class CircleProfileEntry(Base):
    """One field of the core member's shared profile, as the outer circle briefed it (R-51)."""

    __tablename__ = "circle_profile_entry"
    __table_args__ = (UniqueConstraint("circle_id", "field"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    circle_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("circle.id"), index=True)
    field: Mapped[str] = mapped_column(String(40))
    text_stored: Mapped[str] = mapped_column("text", SealedText())
    text = SealedField[str]("text_stored", max_length=4000)
    set_by: Mapped[uuid.UUID | None]
    set_at: Mapped[datetime] = mapped_column(default=utcnow)


class CircleMeeting(Base):
    __tablename__ = "circle_meeting"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    circle_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("circle.id"), index=True)
    held_on: Mapped[date]
    attendees: Mapped[int]
    summary_stored: Mapped[str] = mapped_column("summary", SealedText())
    summary = SealedField[str]("summary_stored", max_length=5000)
    goals_progress_stored: Mapped[str | None] = mapped_column("goals_progress", SealedText())
    goals_progress = SealedField[str | None]("goals_progress_stored", max_length=5000)
    recorded_by: Mapped[uuid.UUID]
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    minutes_due_at: Mapped[datetime]  # the outer circle has the minutes by then
    minutes_sent_at: Mapped[datetime | None]
    minutes_sent_by: Mapped[uuid.UUID | None]


class Concern(Base):
    __tablename__ = "concern"
    __table_args__ = (Index("ix_concern_open", "case_id", "acknowledged_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    circle_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("circle.id"), index=True)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("mappa_case.id"))
    raised_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("hub_user.id"))
    reported_by_volunteer_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("circle_volunteer.id")
    )
    raised_at: Mapped[datetime]
    category: Mapped[ConcernCategory] = mapped_column(enum_type(ConcernCategory))
    severity: Mapped[Severity] = mapped_column(enum_type(Severity))
    description_stored: Mapped[str] = mapped_column("description", SealedText())
    description = SealedField[str]("description_stored", max_length=5000)
    acknowledge_by: Mapped[datetime | None]  # SIGNIFICANT only
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by: Mapped[uuid.UUID | None]
    escalated_at: Mapped[datetime | None]
    escalated_to: Mapped[uuid.UUID | None]
    # What the outer circle tells the coordinator; never the intelligence behind it.
    outcome_stored: Mapped[str | None] = mapped_column("outcome", SealedText())
    outcome = SealedField[str | None]("outcome_stored", max_length=2000)
    outcome_at: Mapped[datetime | None]
    outcome_by: Mapped[uuid.UUID | None]


class CosaNotice(Base):
    """An in-app notice to one person: ids and a kind, never the concern's text."""

    __tablename__ = "cosa_notice"
    __table_args__ = (Index("ix_cosa_notice_user", "user_id", "read_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("hub_user.id"))
    circle_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("circle.id"))
    concern_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("concern.id"))
    kind: Mapped[NoticeKind] = mapped_column(enum_type(NoticeKind))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]


class PortalSession(Base):
    """A signed-in portal browser: the same shape as `user_session`, another realm."""

    __tablename__ = "portal_session"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("hub_user.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    mfa_passed_at: Mapped[datetime | None]
