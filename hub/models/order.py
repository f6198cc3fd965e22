"""Civil orders (SHPO, SRO, ...) and their prohibitions (domain.md §4.2)."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.db import Base, Entity, enum_type
from hub.vocabulary import OrderType, ProhibitionCategory


class CivilOrder(Entity, Base):
    __tablename__ = "civil_order"

    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("person.id"), index=True)
    type: Mapped[OrderType] = mapped_column(enum_type(OrderType))
    court: Mapped[str] = mapped_column(String(200))
    made_date: Mapped[date]
    end_date: Mapped[date | None]
    until_further_order: Mapped[bool] = mapped_column(default=False)
    passport_surrendered: Mapped[bool | None]
    owning_agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agency.id"))
    created_by: Mapped[uuid.UUID | None]

    prohibitions: Mapped[list[OrderProhibition]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )

    __mapper_args__ = {"version_id_col": Entity.version}


class OrderProhibition(Base):
    __tablename__ = "order_prohibition"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    order_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("civil_order.id", ondelete="CASCADE"), index=True
    )
    category: Mapped[ProhibitionCategory] = mapped_column(enum_type(ProhibitionCategory))
    text: Mapped[str] = mapped_column(Text)
    end_date: Mapped[date | None]
    until_further_order: Mapped[bool] = mapped_column(default=False)
