"""The probation case management system's messages (a synthetic format modelled on nDelius
and on the scores OASys and ARNS publish).

Every score names its algorithm version (R-42): OSP/DC and DC-SRP, or OSP/IIC and IIC-SRP,
band the same person differently, and the hub never compares across versions.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, Field, model_validator

from connectors.common import LongText, Part, StrictMessage, Subject, Text

Band = Literal["LOW", "MEDIUM", "HIGH", "VERY_HIGH", "NOT_APPLICABLE"]


class Score(Part):
    tool: Literal["OSP_DC", "OSP_IIC", "DC_SRP", "IIC_SRP", "RSR", "CSRP", "OGRS3", "ARP"]
    algorithm_version: Annotated[str, Field(min_length=1, max_length=40)]
    score: Annotated[Decimal, Field(ge=0, le=99999, decimal_places=3)] | None = None
    band: Band


class RoshLevel(Part):
    setting: Literal["COMMUNITY", "CUSTODY"] = "COMMUNITY"
    group: Literal["CHILDREN", "PUBLIC", "KNOWN_ADULT", "STAFF", "PRISONERS"]
    level: Literal["LOW", "MEDIUM", "HIGH", "VERY_HIGH"]


class RiskScores(StrictMessage):
    """Scores from one OASys assessment or one ARNS calculation."""

    type: Literal["risk_scores"]
    subject: Subject
    source_system: Literal["OASYS", "ARNS"]
    assessed_at: AwareDatetime
    assessor: Annotated[str, Field(max_length=200)] | None = None
    no_sexual_offence_history: bool = False
    scores: Annotated[list[Score], Field(max_length=20)] = []
    rosh_algorithm_version: Annotated[str, Field(min_length=1, max_length=40)] | None = None
    rosh: Annotated[list[RoshLevel], Field(max_length=10)] = []

    @model_validator(mode="after")
    def _something_to_hold(self) -> RiskScores:
        if not self.scores and not self.rosh:
            raise ValueError("give scores, rosh, or both")
        if self.rosh and self.rosh_algorithm_version is None:
            raise ValueError("rosh_algorithm_version is required with rosh (R-42)")
        tools = [s.tool for s in self.scores]
        if len(tools) != len(set(tools)):
            raise ValueError("each tool appears once per message")
        return self


class Condition(Part):
    type: Literal[
        "EXCLUSION_ZONE",
        "NO_CONTACT",
        "APPROVED_PREMISES",
        "CURFEW",
        "ELECTRONIC_MONITORING",
        "POLYGRAPH",
        "DISCLOSE_RELATIONSHIPS",
        "OTHER",
    ]
    text: Annotated[str, Field(min_length=1, max_length=5000)]


class LicenceConditions(StrictMessage):
    type: Literal["licence_conditions"]
    subject: Subject
    release_date: date
    licence_expiry_date: date
    conditions: Annotated[list[Condition], Field(min_length=1, max_length=60)]

    @model_validator(mode="after")
    def _expiry_after_release(self) -> LicenceConditions:
        if self.licence_expiry_date <= self.release_date:
            raise ValueError("licence_expiry_date must be after release_date")
        return self


class SupervisionContact(StrictMessage):
    type: Literal["supervision_contact"]
    subject: Subject
    contact_at: AwareDatetime
    contact_type: Literal["OFFICE", "HOME_VISIT", "PHONE", "VIRTUAL"]
    outcome: Literal["ATTENDED", "FAILED_TO_ATTEND", "ACCEPTABLE_ABSENCE", "RESCHEDULED"]
    notes: LongText


class MappaStatus(StrictMessage):
    """MAPPA category and level as the case management system holds them."""

    type: Literal["mappa_status"]
    subject: Subject
    mappa_area: Text
    category: Literal[1, 2, 3, 4]
    level: Literal[1, 2, 3]
    level_reason: Annotated[str, Field(min_length=1, max_length=2000)]
    level_two_basis: (
        Literal["ROSH_HIGH_OR_VERY_HIGH", "EXCEPTIONAL_COORDINATION", "STEP_DOWN_FROM_LEVEL_3"]
        | None
    ) = None
    rmp_gaps_at_level_two: Annotated[str, Field(max_length=2000)] | None = None
    next_review_due: date | None = None
    start_date: date


MESSAGE_TYPES: dict[str, type[BaseModel]] = {
    "risk_scores": RiskScores,
    "licence_conditions": LicenceConditions,
    "supervision_contact": SupervisionContact,
    "mappa_status": MappaStatus,
}
