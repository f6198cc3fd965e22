"""The meeting aggregate: referrals, meetings, attendance, minutes, disclosure and actions.

Free text about people (referral and minutes sections, contributions, disclosure details and
action descriptions) is sealed (docs/keys.md). Each sealed field holds one JSON document of
the record's sections, so the sections can grow without a migration and the rules (R-09,
R-10) read them in Python, where they are checked anyway.
"""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.crypto.fields import SealedField, SealedText
from hub.db import Base, Entity, enum_type, utcnow
from hub.vocabulary import Classification


class ReferralStatus(StrEnum):
    DRAFT = "DRAFT"
    SUBMITTED = "SUBMITTED"
    RETURNED_INCOMPLETE = "RETURNED_INCOMPLETE"  # with the coordinator's reason
    ACCEPTED = "ACCEPTED"
    DECLINED = "DECLINED"
    WITHDRAWN = "WITHDRAWN"


class MeetingType(StrEnum):
    INITIAL = "INITIAL"
    REVIEW = "REVIEW"
    EMERGENCY = "EMERGENCY"


class MeetingStatus(StrEnum):
    SCHEDULED = "SCHEDULED"
    HELD = "HELD"


class AttendanceStatus(StrEnum):
    INVITED = "INVITED"
    PRESENT = "PRESENT"
    APOLOGIES_REPORT_SENT = "APOLOGIES_REPORT_SENT"
    APOLOGIES_NO_REPORT = "APOLOGIES_NO_REPORT"
    ABSENT = "ABSENT"


class AgendaReason(StrEnum):
    REVIEW_DUE = "REVIEW_DUE"
    REVIEW_OVERDUE = "REVIEW_OVERDUE"
    REFERRAL = "REFERRAL"  # an accepted referral's initial meeting
    RATIFICATION = "RATIFICATION"  # an urgent disclosure made outside a meeting


class MinutesStatus(StrEnum):
    DRAFT = "DRAFT"
    CHAIR_APPROVED = "CHAIR_APPROVED"


class DisclosureChoice(StrEnum):
    DISCLOSE = "DISCLOSE"
    DO_NOT_DISCLOSE = "DO_NOT_DISCLOSE"
    DEFER = "DEFER"


class DisclosureRoute(StrEnum):
    MAPPA_RMP = "MAPPA_RMP"
    CJA_327A = "CJA_327A"
    CSODS = "CSODS"
    DVDS = "DVDS"


class NotInformedReason(StrEnum):
    """R-26: why the offender was not told of a disclosure."""

    WOULD_INCREASE_RISK = "WOULD_INCREASE_RISK"
    WOULD_OBSTRUCT_INVESTIGATION = "WOULD_OBSTRUCT_INVESTIGATION"
    OTHER = "OTHER"


class ActionStatus(StrEnum):
    OPEN = "OPEN"
    DONE = "DONE"
    CANCELLED = "CANCELLED"


class RmpPillar(StrEnum):
    SUPERVISION = "SUPERVISION"
    MONITORING_AND_CONTROL = "MONITORING_AND_CONTROL"
    INTERVENTIONS_AND_TREATMENT = "INTERVENTIONS_AND_TREATMENT"
    VICTIM_SAFETY_PLANNING = "VICTIM_SAFETY_PLANNING"
    CONTINGENCY = "CONTINGENCY"


class ChildContactContext(StrEnum):
    HOUSEHOLD = "HOUSEHOLD"
    REGULAR_CONTACT = "REGULAR_CONTACT"
    PARTNER_CHILD = "PARTNER_CHILD"
    OTHER = "OTHER"


def _document(text: str | None) -> dict[str, Any]:
    if not text:
        return {}
    loaded = json.loads(text)
    return loaded if isinstance(loaded, dict) else {}


class _Sectioned:
    """A record whose sections live in one sealed JSON document."""

    sections_sealed: Any  # the SealedField of the subclass

    @property
    def sections(self) -> dict[str, Any]:
        return _document(self.sections_sealed)

    @sections.setter
    def sections(self, value: dict[str, Any]) -> None:
        self.sections_sealed = json.dumps(value, sort_keys=True)


class Referral(_Sectioned, Entity, Base):
    """MAPPA A: a request that a case be managed at level 2 or 3 (R-10, R-08)."""

    __tablename__ = "referral"
    __table_args__ = (
        CheckConstraint("level_requested IN (2, 3)", name="level_2_or_3"),
        Index("ix_referral_case_status", "case_id", "status"),
    )

    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("mappa_case.id"))
    referrer_agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agency.id"))
    referrer_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("hub_user.id"))
    level_requested: Mapped[int]
    status: Mapped[ReferralStatus] = mapped_column(
        enum_type(ReferralStatus), default=ReferralStatus.DRAFT
    )
    sections_stored: Mapped[str | None] = mapped_column("sections", SealedText())
    sections_sealed = SealedField[str | None]("sections_stored", max_length=60_000)
    screened_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("hub_user.id"))
    decision_at: Mapped[datetime | None]
    decision_reason: Mapped[str | None] = mapped_column(String(2000))
    accepted_on: Mapped[date | None]
    target_meeting_by: Mapped[date | None]  # R-08, from the working-day deadline
    owning_agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agency.id"))
    classification: Mapped[Classification] = mapped_column(
        enum_type(Classification), default=Classification.OFFICIAL_SENSITIVE
    )

    __mapper_args__ = {"version_id_col": Entity.version}


class Meeting(Entity, Base):
    """A level 2 or 3 MAPPA meeting; its agenda is its case items."""

    __tablename__ = "mappa_meeting"
    __table_args__ = (
        CheckConstraint("level IN (2, 3)", name="level_2_or_3"),
        Index("ix_mappa_meeting_area_date", "mappa_area", "scheduled_for"),
    )

    mappa_area: Mapped[str] = mapped_column(String(100))
    level: Mapped[int]
    type: Mapped[MeetingType] = mapped_column(enum_type(MeetingType))
    status: Mapped[MeetingStatus] = mapped_column(
        enum_type(MeetingStatus), default=MeetingStatus.SCHEDULED
    )
    scheduled_for: Mapped[date]
    held_at: Mapped[datetime | None]
    chair_user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("hub_user.id"))
    owning_agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agency.id"))
    statement_read_at: Mapped[datetime | None]  # MAPPA D read at the start
    created_by: Mapped[uuid.UUID | None]
    classification: Mapped[Classification] = mapped_column(
        enum_type(Classification), default=Classification.OFFICIAL_SENSITIVE
    )

    attendees: Mapped[list[Attendee]] = relationship(
        cascade="all, delete-orphan", order_by="Attendee.created_at", lazy="selectin"
    )
    items: Mapped[list[MeetingCaseItem]] = relationship(
        cascade="all, delete-orphan", order_by="MeetingCaseItem.position"
    )

    __mapper_args__ = {"version_id_col": Entity.version}


class Attendee(Base):
    """One invited agency (and, where known, its person) and whether they came (R-11)."""

    __tablename__ = "meeting_attendee"
    __table_args__ = (UniqueConstraint("meeting_id", "agency_id", "user_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    meeting_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("mappa_meeting.id", ondelete="CASCADE"), index=True
    )
    agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agency.id"))
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("hub_user.id"))
    status: Mapped[AttendanceStatus] = mapped_column(
        enum_type(AttendanceStatus), default=AttendanceStatus.INVITED
    )
    acknowledged_at: Mapped[datetime | None]  # MAPPA D, by this attendee
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Contribution(Base):
    """What an agency sends in before the meeting about one case on the agenda."""

    __tablename__ = "meeting_contribution"
    __table_args__ = (UniqueConstraint("item_id", "agency_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    item_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("meeting_case_item.id", ondelete="CASCADE"), index=True
    )
    agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agency.id"))
    submitted_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("hub_user.id"))
    submitted_at: Mapped[datetime]
    summary_stored: Mapped[str] = mapped_column("summary", SealedText())
    summary = SealedField[str]("summary_stored", max_length=10_000)


class MeetingCaseItem(_Sectioned, Entity, Base):
    """MAPPA B: one case discussed at one meeting, and its minutes (R-09)."""

    __tablename__ = "meeting_case_item"
    __table_args__ = (
        UniqueConstraint("meeting_id", "case_id"),
        CheckConstraint("level_decided IS NULL OR level_decided BETWEEN 1 AND 3", name="level"),
        CheckConstraint("category IS NULL OR category BETWEEN 1 AND 4", name="category"),
    )

    meeting_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("mappa_meeting.id", ondelete="CASCADE"), index=True
    )
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("mappa_case.id"), index=True)
    position: Mapped[int]
    reason: Mapped[AgendaReason] = mapped_column(enum_type(AgendaReason))
    referral_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("referral.id"))
    status: Mapped[MinutesStatus] = mapped_column(
        enum_type(MinutesStatus), default=MinutesStatus.DRAFT
    )
    category: Mapped[int | None]
    level_before: Mapped[int]
    level_decided: Mapped[int | None]
    lead_agency_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("agency.id"))
    next_review_date: Mapped[date | None]
    review_override_reason: Mapped[str | None] = mapped_column(String(2000))
    child_check_override_reason: Mapped[str | None] = mapped_column(String(2000))
    no_actions: Mapped[bool] = mapped_column(default=False)
    sections_stored: Mapped[str | None] = mapped_column("sections", SealedText())
    sections_sealed = SealedField[str | None]("sections_stored", max_length=100_000)
    approved_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("hub_user.id"))
    approved_at: Mapped[datetime | None]
    owning_agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agency.id"))
    classification: Mapped[Classification] = mapped_column(
        enum_type(Classification), default=Classification.OFFICIAL_SENSITIVE
    )

    contributions: Mapped[list[Contribution]] = relationship(
        cascade="all, delete-orphan", order_by="Contribution.submitted_at", lazy="selectin"
    )
    actions: Mapped[list[MeetingAction]] = relationship(
        cascade="all, delete-orphan", order_by="MeetingAction.due_date", lazy="selectin"
    )

    __mapper_args__ = {"version_id_col": Entity.version}


class DisclosureDecision(_Sectioned, Entity, Base):
    """A third-party disclosure decision (R-24 to R-27): at a meeting, or urgently outside one.

    The sealed sections hold the reason, the recipient, the discloser, the method and the
    offender-informed answer; the columns hold what the rules and lists need to filter on.
    """

    __tablename__ = "disclosure_decision"
    __table_args__ = (Index("ix_disclosure_decision_case", "case_id", "ratified_item_id"),)

    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("mappa_case.id"))
    item_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("meeting_case_item.id", ondelete="CASCADE"), index=True
    )
    route: Mapped[DisclosureRoute] = mapped_column(enum_type(DisclosureRoute))
    decision: Mapped[DisclosureChoice] = mapped_column(enum_type(DisclosureChoice))
    urgent: Mapped[bool] = mapped_column(default=False)  # outside a meeting
    disclosed_on: Mapped[date | None]
    undertaking_signed_on: Mapped[date | None]
    offender_informed: Mapped[bool | None]
    not_informed_reason: Mapped[NotInformedReason | None] = mapped_column(
        enum_type(NotInformedReason)
    )
    completed_at: Mapped[datetime | None]
    ratified_item_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("meeting_case_item.id", ondelete="SET NULL")
    )
    decided_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("hub_user.id"))
    owning_agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agency.id"))
    sections_stored: Mapped[str | None] = mapped_column("sections", SealedText())
    sections_sealed = SealedField[str | None]("sections_stored", max_length=20_000)

    __mapper_args__ = {"version_id_col": Entity.version}


class MeetingAction(Entity, Base):
    """An action agreed in the minutes: what, who (agency and person), by when."""

    __tablename__ = "meeting_action"
    __table_args__ = (Index("ix_meeting_action_open_due", "status", "due_date"),)

    item_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("meeting_case_item.id", ondelete="CASCADE"), index=True
    )
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("mappa_case.id"), index=True)
    rmp_pillar: Mapped[RmpPillar | None] = mapped_column(enum_type(RmpPillar))
    description_stored: Mapped[str] = mapped_column("description", SealedText())
    description = SealedField[str]("description_stored", max_length=2000)
    owner_agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agency.id"))
    owner_name: Mapped[str] = mapped_column(String(200))  # the person who will do it
    due_date: Mapped[date]
    status: Mapped[ActionStatus] = mapped_column(enum_type(ActionStatus), default=ActionStatus.OPEN)
    completed_at: Mapped[datetime | None]

    __mapper_args__ = {"version_id_col": Entity.version}

    def overdue(self, today: date) -> bool:
        return self.status is ActionStatus.OPEN and self.due_date < today


class ChildContact(Entity, Base):
    """A child the managed person has contact with: only what R-47 needs.

    The domain's ChildContact (§8) is not otherwise modelled yet; this keeps the pseudonymous
    reference, the context and the children's services check. The reference is sealed.
    """

    __tablename__ = "child_contact"

    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("mappa_case.id"), index=True)
    child_ref_stored: Mapped[str] = mapped_column("child_ref", SealedText())
    child_ref = SealedField[str]("child_ref_stored", max_length=200)
    context: Mapped[ChildContactContext] = mapped_column(enum_type(ChildContactContext))
    check_requested_at: Mapped[datetime | None]
    check_result: Mapped[str | None] = mapped_column(String(500))
    checked_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("hub_user.id"))
    owning_agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agency.id"))

    __mapper_args__ = {"version_id_col": Entity.version}
