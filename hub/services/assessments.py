"""Recording risk assessments as their source systems produced them (R-42, R-43)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from hub.actor import Actor
from hub.errors import InvalidInput, NotFound
from hub.models import Person, RiskAssessment
from hub.services.checks import optional_text, parse_enum, required_text
from hub.services.recording import audit_write
from hub.vocabulary import SEXUAL_PREDICTORS, AuditOperation, RiskBand, RiskTool, Sex, SourceSystem


@dataclass(frozen=True)
class AssessmentInput:
    person_id: uuid.UUID
    tool: str
    algorithm_version: str
    band: str
    assessed_at: datetime
    source_system: str
    score: Decimal | None = None
    case_id: uuid.UUID | None = None
    source_reference: str | None = None
    assessor: str | None = None
    no_sexual_offence_history: bool = False


def record_assessment(session: Session, actor: Actor, details: AssessmentInput) -> RiskAssessment:
    person = session.get(Person, details.person_id)
    if person is None:
        raise NotFound("person")
    tool = parse_enum(RiskTool, details.tool, "tool")
    band = parse_enum(RiskBand, details.band, "band")
    if details.assessed_at.tzinfo is None:
        raise InvalidInput("assessed_at", "must include a time zone")
    reason = None
    if tool in SEXUAL_PREDICTORS and (
        person.sex is Sex.FEMALE or details.no_sexual_offence_history
    ):
        # the predictor was never validated for this person; LOW would mislead.
        band = RiskBand.NOT_APPLICABLE
        reason = (
            "predictor not validated for women"
            if person.sex is Sex.FEMALE
            else "no sexual offence history"
        ) + "; use another structured assessment"
    assessment = RiskAssessment(
        person_id=person.id,
        case_id=details.case_id,
        tool=tool,
        # without the version a score cannot be compared with anything.
        algorithm_version=required_text(
            details.algorithm_version, "algorithm_version", max_length=40
        ),
        score=None if band is RiskBand.NOT_APPLICABLE else details.score,
        band=band,
        not_applicable_reason=reason,
        assessed_at=details.assessed_at,
        assessor=optional_text(details.assessor, "assessor", max_length=200),
        owning_agency_id=actor.agency_id,
        source_system=parse_enum(SourceSystem, details.source_system, "source_system"),
        source_reference=optional_text(
            details.source_reference, "source_reference", max_length=200
        ),
        created_by=actor.user_id,
    )
    session.add(assessment)
    session.flush()
    audit_write(
        session,
        actor,
        AuditOperation.COLLECT,
        "risk_assessment",
        assessment.id,
        person_id=person.id,
        case_id=details.case_id,
        fields=("tool", "algorithm_version", "score", "band", "assessed_at", "source_system"),
    )
    return assessment
