"""Message parts several connectors share: subjects, names, addresses, classifications."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from connectors.base import Message
from connectors.records import AddressRecord, NameRecord, SubjectRef

PNC_PATTERN = r"^[0-9]{2,4}/[0-9]{1,7}[A-Z]$"
CRN_PATTERN = r"^[A-Z][0-9]{5,6}$"

Text = Annotated[str, Field(min_length=1, max_length=200)]
LongText = Annotated[str, Field(min_length=1, max_length=20_000)]


class Part(BaseModel):
    # Unknown fields are refused, not ignored: a sender who misspells a field must hear of
    # it, or the hub would silently hold less than the sender believes it sent.
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)


class StrictMessage(Message):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)


def _not_above_official(value: object) -> object:
    """R-13: nothing above OFFICIAL(-SENSITIVE) may enter the hub."""
    if isinstance(value, str) and value.strip().upper().replace("-", "_").replace(" ", "_") in (
        "SECRET",
        "TOP_SECRET",
    ):
        raise ValueError(
            "R-13: SECRET material must not enter the hub; send a pointer (for example "
            "'further information held by CTP') at OFFICIAL-SENSITIVE"
        )
    if isinstance(value, str):
        return value.strip().upper().replace("-", "_")
    return value


Classification = Annotated[
    Literal["OFFICIAL", "OFFICIAL_SENSITIVE"], BeforeValidator(_not_above_official)
]


def _upper(value: str) -> str:
    return value.upper()


Pnc = Annotated[str, Field(pattern=PNC_PATTERN, description="PNC ID, e.g. 2004/0123456X")]
Crn = Annotated[str, AfterValidator(_upper), Field(pattern=r"^[A-Za-z][0-9]{5,6}$")]


class Subject(Part):
    """Who the message is about: the sending agency's identifiers for the person."""

    pnc_id: Pnc | None = None
    crn: Crn | None = None

    @model_validator(mode="after")
    def _one_identifier(self) -> Subject:
        if self.pnc_id is None and self.crn is None:
            raise ValueError("give pnc_id or crn")
        return self

    def ref(self) -> SubjectRef:
        ids = []
        if self.pnc_id:
            ids.append(("PNC", self.pnc_id))
        if self.crn:
            ids.append(("CRN", self.crn))
        return SubjectRef(tuple(ids))


class Name(Part):
    type: Literal["PRIMARY", "ALIAS", "NICKNAME", "PREVIOUS"] = "PRIMARY"
    given: Annotated[str, Field(min_length=1, max_length=100)]
    family: Annotated[str, Field(min_length=1, max_length=100)]

    def record(self) -> NameRecord:
        return NameRecord(self.type, self.given, self.family)


class Address(Part):
    type: Literal[
        "HOME", "TEMPORARY_STAY", "NFA_REGULAR_PLACE", "APPROVED_PREMISES", "HOSPITAL", "CUSTODY"
    ] = "HOME"
    line1: Annotated[str, Field(min_length=1, max_length=200)]
    line2: Annotated[str, Field(max_length=200)] | None = None
    town: Annotated[str, Field(min_length=1, max_length=100)]
    postcode: Annotated[str, Field(max_length=10)] | None = None
    valid_from: date
    valid_to: date | None = None

    @model_validator(mode="after")
    def _in_order(self) -> Address:
        if self.valid_to is not None and self.valid_to < self.valid_from:
            raise ValueError("valid_to cannot be before valid_from")
        return self

    def record(self) -> AddressRecord:
        return AddressRecord(
            type=self.type,
            line1=self.line1,
            line2=self.line2 or None,
            town=self.town,
            postcode=self.postcode or None,
            valid_from=self.valid_from,
            valid_to=self.valid_to,
        )


def names_valid(names: list[Name]) -> list[Name]:
    if sum(1 for n in names if n.type == "PRIMARY") != 1:
        raise ValueError("exactly one PRIMARY name is required")
    return names


Names = Annotated[list[Name], Field(min_length=1, max_length=50), AfterValidator(names_valid)]
