"""The police case system's messages (a synthetic format modelled on PNC and ViSOR data).

3x5x2 grading (the national intelligence model): source evaluation 1-3, intelligence
assessment A-E, handling code P (lawful sharing permitted) or C (conditions apply, so the
originator controls onward sharing: R-15).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, Field, model_validator

from connectors.common import (
    Address,
    Classification,
    Crn,
    LongText,
    Names,
    Part,
    Pnc,
    StrictMessage,
    Subject,
    Text,
)


class Nominal(StrictMessage):
    """A nominal record: the person as the police national computer knows them."""

    type: Literal["nominal"]
    pnc_id: Pnc
    crn: Crn | None = None
    names: Names
    date_of_birth: date
    sex: Literal["MALE", "FEMALE", "OTHER", "NOT_KNOWN"]
    nationality: Annotated[str, Field(max_length=100)] | None = None
    addresses: Annotated[list[Address], Field(max_length=50)] = []

    @model_validator(mode="after")
    def _born_in_the_past(self) -> Nominal:
        if self.date_of_birth > date.today():  # noqa: DTZ011  (a calendar date, no zone)
            raise ValueError("date_of_birth cannot be in the future")
        return self


class Grading(Part):
    source_evaluation: Literal["1", "2", "3"]
    intelligence_assessment: Literal["A", "B", "C", "D", "E"]
    handling_code: Literal["P", "C"]
    handling_conditions: Annotated[str, Field(max_length=1000)] | None = None

    @model_validator(mode="after")
    def _conditions_for_c(self) -> Grading:
        if self.handling_code == "C" and not self.handling_conditions:
            raise ValueError("handling code C needs handling_conditions")
        return self

    def code(self) -> str:
        return f"{self.source_evaluation}{self.intelligence_assessment}{self.handling_code}"


class Intelligence(StrictMessage):
    type: Literal["intelligence"]
    subject: Subject
    reported_at: AwareDatetime
    title: Text
    summary: LongText
    grading: Grading
    classification: Classification = "OFFICIAL_SENSITIVE"


class Requirement(Part):
    regime: Literal["SOA_PART2", "CTA_2008_PART4"] = "SOA_PART2"
    relevant_date: date
    indefinite: bool = False
    period_years: Annotated[float, Field(gt=0, le=30)] | None = None
    prescribed_station: Annotated[str, Field(max_length=200)] | None = None

    @model_validator(mode="after")
    def _one_period(self) -> Requirement:
        if self.indefinite == (self.period_years is not None):
            raise ValueError("give period_years or indefinite, not both")
        return self


class Notification(StrictMessage):
    """A notification under SOA 2003 Part 2 (the inputs of R-33 to R-36)."""

    type: Literal["notification"]
    subject: Subject
    requirement: Requirement
    event_type: Literal[
        "INITIAL",
        "CHANGE_NAME",
        "CHANGE_ADDRESS",
        "QUALIFYING_STAY",
        "RELEASE",
        "PERIODIC",
        "WEEKLY_NFA",
        "CHILD_HOUSEHOLD",
        "BANK_CARD",
        "IDENTITY_DOC",
        "TRAVEL",
    ]
    trigger_date: date
    due_by: date
    notified_at: AwareDatetime | None = None
    station: Annotated[str, Field(max_length=200)] | None = None

    @model_validator(mode="after")
    def _due_after_trigger(self) -> Notification:
        if self.due_by < self.trigger_date:
            raise ValueError("due_by cannot be before trigger_date")
        return self


class HomeVisit(StrictMessage):
    type: Literal["home_visit"]
    subject: Subject
    visited_at: AwareDatetime
    announced: bool
    outcome: Literal["SEEN", "NO_ACCESS", "NOT_RESIDENT"]
    observations: LongText
    follow_up: Annotated[str, Field(max_length=2000)] | None = None


class Breach(StrictMessage):
    type: Literal["breach"]
    subject: Subject
    breach_type: Literal["NOTIFICATION", "SHPO", "SRO", "LICENCE", "OTHER_ORDER", "NEW_OFFENCE"]
    detected_at: AwareDatetime
    action: Literal[
        "WARNING", "ARREST", "RECALL_STANDARD", "RECALL_FIXED", "RECALL_EMERGENCY", "CHARGE", "NFA"
    ]
    summary: LongText
    outcome: Annotated[str, Field(max_length=2000)] | None = None


MESSAGE_TYPES: dict[str, type[BaseModel]] = {
    "nominal": Nominal,
    "intelligence": Intelligence,
    "notification": Notification,
    "home_visit": HomeVisit,
    "breach": Breach,
}
