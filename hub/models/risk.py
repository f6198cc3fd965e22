"""Risk assessments, imported from their source systems or entered by hand."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from hub.db import Base, Entity, enum_type
from hub.vocabulary import AssessmentStatus, RiskBand, RiskTool, SourceSystem


class RiskAssessment(Entity, Base):
    __tablename__ = "risk_assessment"
    __table_args__ = (Index("ix_risk_assessment_person_tool", "person_id", "tool", "assessed_at"),)

    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("person.id"))
    case_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("mappa_case.id"), index=True)
    tool: Mapped[RiskTool] = mapped_column(enum_type(RiskTool))
    # scores are only comparable within one algorithm version.
    algorithm_version: Mapped[str] = mapped_column(String(40))
    score: Mapped[Decimal | None] = mapped_column(Numeric(8, 3))
    band: Mapped[RiskBand] = mapped_column(enum_type(RiskBand))
    not_applicable_reason: Mapped[str | None] = mapped_column(String(300))
    assessed_at: Mapped[datetime]
    assessor: Mapped[str | None] = mapped_column(String(200))
    owning_agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agency.id"))
    source_system: Mapped[SourceSystem] = mapped_column(enum_type(SourceSystem))
    source_reference: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[AssessmentStatus] = mapped_column(
        enum_type(AssessmentStatus), default=AssessmentStatus.COMPLETE
    )
    next_review_due: Mapped[date | None]
    created_by: Mapped[uuid.UUID | None]

    __mapper_args__ = {"version_id_col": Entity.version}
