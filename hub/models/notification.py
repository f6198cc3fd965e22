"""Sex offender notification requirements and the events that satisfy them (§4.1)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.db import Base, Entity, enum_type
from hub.vocabulary import NotificationEventStatus, NotificationEventType, NotificationRegime


class NotificationRequirement(Entity, Base):
    __tablename__ = "notification_requirement"

    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("person.id"), index=True)
    regime: Mapped[NotificationRegime] = mapped_column(enum_type(NotificationRegime))
    relevant_date: Mapped[date]
    indefinite: Mapped[bool] = mapped_column(default=False)
    period_years: Mapped[float | None]
    halved_for_youth: Mapped[bool] = mapped_column(default=False)
    end_date: Mapped[date | None]
    review_eligibility_date: Mapped[date | None]
    last_periodic_notification: Mapped[date | None]
    next_periodic_due: Mapped[date | None] = mapped_column(index=True)
    weekly_required: Mapped[bool] = mapped_column(default=False)
    prescribed_station: Mapped[str | None] = mapped_column(String(200))
    owning_agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agency.id"))
    created_by: Mapped[uuid.UUID | None]

    events: Mapped[list[NotificationEvent]] = relationship(
        cascade="all, delete-orphan", order_by="NotificationEvent.trigger_date"
    )

    __mapper_args__ = {"version_id_col": Entity.version}


class NotificationEvent(Base):
    __tablename__ = "notification_event"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    requirement_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("notification_requirement.id", ondelete="CASCADE"), index=True
    )
    type: Mapped[NotificationEventType] = mapped_column(enum_type(NotificationEventType))
    trigger_date: Mapped[date]
    due_by: Mapped[date]
    received_at: Mapped[datetime | None]
    station: Mapped[str | None] = mapped_column(String(200))
    in_advance_expected_date: Mapped[date | None]
    status: Mapped[NotificationEventStatus] = mapped_column(
        enum_type(NotificationEventStatus), default=NotificationEventStatus.DUE
    )
