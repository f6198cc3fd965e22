"""The risk levels the case-management rules read, fetched for a batch of people at once.

Visit frequency (R-46) follows the latest structured risk level of the person; reactive
management (R-45) follows the police's own assessments. Scores from actuarial tools are not
risk levels and are never read here (R-42: they are compared only within their version).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from hub.actor import Actor
from hub.casework.kinds import RoshGroup, RoshSetting
from hub.casework.models import RoshGroupLevel
from hub.errors import InvalidInput, NotFound
from hub.models import Agency, MappaCase, RiskAssessment
from hub.services.checks import parse_enum
from hub.services.recording import audit_write
from hub.vocabulary import AgencyType, AssessmentStatus, AuditOperation, RiskBand, RiskTool

RISK_LEVEL_TOOLS = (RiskTool.ARMS, RiskTool.OASYS_ROSH)
LEVELS = (RiskBand.LOW, RiskBand.MEDIUM, RiskBand.HIGH, RiskBand.VERY_HIGH)
History = list[tuple[date, RiskBand]]


def band_at_least(band: RiskBand | None, floor: RiskBand) -> bool:
    return band in LEVELS and LEVELS.index(band) >= LEVELS.index(floor)


def assessments_by_person(
    session: Session, cases: ColumnElement[bool]
) -> tuple[dict[uuid.UUID, History], dict[uuid.UUID, History]]:
    """The completed risk-level assessments of the people of `cases` (a WHERE clause over
    MappaCase), oldest first, in one query: everyone's, and the police's own."""
    every: dict[uuid.UUID, History] = {}
    police: dict[uuid.UUID, History] = {}
    query = (
        select(
            RiskAssessment.person_id,
            RiskAssessment.assessed_at,
            RiskAssessment.band,
            Agency.type == AgencyType.RA_POLICE,
        )
        .join(MappaCase, MappaCase.person_id == RiskAssessment.person_id)
        .join(Agency, Agency.id == RiskAssessment.owning_agency_id)
        .where(
            cases,
            RiskAssessment.tool.in_(RISK_LEVEL_TOOLS),
            RiskAssessment.status == AssessmentStatus.COMPLETE,
            RiskAssessment.band.in_(LEVELS),
        )
        .order_by(RiskAssessment.assessed_at)
    )
    for person_id, assessed_at, band, by_police in session.execute(query):
        every.setdefault(person_id, []).append((assessed_at.date(), band))
        if by_police:
            police.setdefault(person_id, []).append((assessed_at.date(), band))
    return every, police


def latest_band(history: History) -> RiskBand | None:
    return history[-1][1] if history else None


def record_rosh_levels(
    session: Session,
    actor: Actor,
    assessment_id: uuid.UUID,
    levels: Sequence[tuple[str, str, str]],
) -> list[RoshGroupLevel]:
    """ROSH by group for an OASys ROSH assessment: (setting, group, level) triples.

    Only the assessment's owner adds to it (R-14: owners alter, others annotate).
    """
    assessment = session.get(RiskAssessment, assessment_id)
    if assessment is None or assessment.owning_agency_id != actor.agency_id:
        raise NotFound("risk assessment")
    if assessment.tool is not RiskTool.OASYS_ROSH:
        raise InvalidInput("tool", "ROSH by group belongs to an OASYS_ROSH assessment")
    made = []
    for index, (setting, group, level) in enumerate(levels):
        band = parse_enum(RiskBand, level, f"levels[{index}].level")
        if band not in LEVELS:
            raise InvalidInput(f"levels[{index}].level", "must be LOW, MEDIUM, HIGH or VERY_HIGH")
        row = RoshGroupLevel(
            id=uuid.uuid4(),
            assessment_id=assessment.id,
            setting=parse_enum(RoshSetting, setting, f"levels[{index}].setting"),
            risk_group=parse_enum(RoshGroup, group, f"levels[{index}].group"),
            level=band,
        )
        session.add(row)
        made.append(row)
    session.flush()
    for row in made:
        audit_write(
            session,
            actor,
            AuditOperation.COLLECT,
            "rosh_group_level",
            row.id,
            person_id=assessment.person_id,
            case_id=assessment.case_id,
            fields=("setting", "risk_group", "level"),
        )
    return made
