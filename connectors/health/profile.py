"""The hub's profile of a FHIR R4 Bundle from a health provider: what the hub accepts.

The profile is checked first (it names the entry whose resource type the hub does not take),
then the whole Bundle is validated as FHIR with `fhir.resources`. The profile is what the
published JSON Schema describes; FHIR itself is the rest of the contract.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

ACCEPTED = ("Patient", "Consent", "Observation", "Condition", "CarePlan")

NHS_NUMBER_SYSTEM = "https://fhir.nhs.uk/Id/nhs-number"
PNC_SYSTEM = "urn:mappa-hub:id:pnc"
CRN_SYSTEM = "urn:mappa-hub:id:crn"


class _Open(BaseModel):
    # FHIR resources carry far more than the profile names; FHIR validation covers the rest.
    model_config = ConfigDict(extra="allow")


class BundleIdentifier(_Open):
    system: Annotated[str, Field(min_length=1, max_length=200)]
    value: Annotated[
        str, Field(min_length=1, max_length=150, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:/-]*$")
    ] = Field(description="The health system's reference for this Bundle (its source reference).")


class ProfiledResource(_Open):
    resourceType: Literal["Patient", "Consent", "Observation", "Condition", "CarePlan"]  # noqa: N815


class Entry(_Open):
    fullUrl: str | None = None  # noqa: N815
    resource: ProfiledResource


class BundleProfile(_Open):
    """A FHIR R4 Bundle of type collection: one Patient, optional Consents, and the
    Observations, Conditions and CarePlans that bear on risk."""

    resourceType: Literal["Bundle"]  # noqa: N815
    type: Literal["collection"]
    identifier: BundleIdentifier
    entry: Annotated[list[Entry], Field(min_length=1, max_length=500)]
