"""Agencies (data controllers) and the people who work for them."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.db import Base, Entity, enum_type
from hub.vocabulary import AgencyType, Role


class Agency(Entity, Base):
    """A police force, probation region, NHS trust, council service, COSA provider, ..."""

    __tablename__ = "agency"

    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[AgencyType] = mapped_column(enum_type(AgencyType))
    mappa_area: Mapped[str] = mapped_column(String(100))

    __mapper_args__ = {"version_id_col": Entity.version}


class User(Entity, Base):
    """A person working for an agency. Login arrives with the identity issue."""

    __tablename__ = "hub_user"

    agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agency.id"), index=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    vetting_level: Mapped[str] = mapped_column(String(20), default="NPPV2")
    vetting_expires: Mapped[date | None]
    active: Mapped[bool] = mapped_column(default=True)

    agency: Mapped[Agency] = relationship(lazy="joined")
    role_grants: Mapped[list[UserRole]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )

    __mapper_args__ = {"version_id_col": Entity.version}

    @property
    def roles(self) -> frozenset[Role]:
        return frozenset(grant.role for grant in self.role_grants)


class UserRole(Base):
    __tablename__ = "user_role"
    __table_args__ = (UniqueConstraint("user_id", "role"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("hub_user.id", ondelete="CASCADE"))
    role: Mapped[Role] = mapped_column(enum_type(Role))
