"""Canonical records: what a connector's message means in the shared record's own words.

Connectors produce these and nothing else; `hub.ingest` writes them through the services.
Every record carries its provenance, so the hub can always say which agency system said what,
under which of its own references, and when the hub received it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from hub.vocabulary import SourceSystem


@dataclass(frozen=True)
class Provenance:
    source_system: SourceSystem
    source_reference: str
    received_at: datetime


@dataclass(frozen=True)
class SubjectRef:
    """Who a record is about, by the identifiers the sending system holds (R-56 matching)."""

    identifiers: tuple[tuple[str, str], ...]  # (scheme, value)


@dataclass(frozen=True)
class AddressRecord:
    type: str
    line1: str
    town: str
    valid_from: date
    line2: str | None = None
    postcode: str | None = None
    valid_to: date | None = None


@dataclass(frozen=True)
class NameRecord:
    type: str
    given: str
    family: str


@dataclass(frozen=True)
class PersonRecord:
    provenance: Provenance
    names: tuple[NameRecord, ...]
    date_of_birth: date
    sex: str
    identifiers: tuple[tuple[str, str], ...]
    addresses: tuple[AddressRecord, ...] = ()
    nationality: str | None = None

    @property
    def subject(self) -> SubjectRef:
        return SubjectRef(self.identifiers)


@dataclass(frozen=True)
class CaseRecord:
    """MAPPA category and level as the case management system holds them (R-01 to R-06)."""

    provenance: Provenance
    subject: SubjectRef
    category: int
    level: int
    level_reason: str
    mappa_area: str
    start_date: date
    level_two_basis: str | None = None
    rmp_gaps_at_level_two: str | None = None
    next_review_due: date | None = None


@dataclass(frozen=True)
class ItemRecord:
    """An information item; also the home of records that have no service of their own yet
    (intelligence, concerns, visits, breaches, licence conditions, contacts, clinical notes)."""

    provenance: Provenance
    subject: SubjectRef
    kind: str  # what the record was at source, e.g. "concern", "home_visit"
    category: str
    legal_basis: str
    title: str
    content: str
    classification: str = "OFFICIAL_SENSITIVE"
    originator_control: bool = False


@dataclass(frozen=True)
class AssessmentRecord:
    provenance: Provenance
    subject: SubjectRef
    tool: str
    algorithm_version: str
    band: str
    assessed_at: datetime
    score: Decimal | None = None
    assessor: str | None = None
    no_sexual_offence_history: bool = False


@dataclass(frozen=True)
class ProhibitionRecord:
    category: str
    text: str
    end_date: date | None = None
    until_further_order: bool = False


@dataclass(frozen=True)
class OrderRecord:
    provenance: Provenance
    subject: SubjectRef
    type: str
    court: str
    made_date: date
    prohibitions: tuple[ProhibitionRecord, ...] = ()
    end_date: date | None = None
    until_further_order: bool = False
    passport_surrendered: bool | None = None


@dataclass(frozen=True)
class RequirementRecord:
    regime: str
    relevant_date: date
    indefinite: bool = False
    period_years: float | None = None
    prescribed_station: str | None = None


@dataclass(frozen=True)
class NotificationEventRecord:
    """A notification made (or due) under SOA 2003 Part 2: the inputs of R-33 to R-36."""

    provenance: Provenance
    subject: SubjectRef
    requirement: RequirementRecord
    type: str
    trigger_date: date
    due_by: date
    notified_at: datetime | None = None
    station: str | None = None


Record = (
    PersonRecord
    | CaseRecord
    | ItemRecord
    | AssessmentRecord
    | OrderRecord
    | NotificationEventRecord
)
