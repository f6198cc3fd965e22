"""The COSA connector: circle reports and concerns from the COSA provider's system (R-52).

COSA providers are associate agencies (domain.md §1.4, §6): circle reports are shared with the
core member's consent, so their items carry legal basis CONSENT and the gate shares them only
within a recorded consent. Concerns carry PUBLIC_INTEREST: a volunteer can raise one even after
the core member withdraws consent (R-53).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import AwareDatetime, Field

from connectors.base import Connector, Message
from connectors.common import LongText, StrictMessage, Subject
from connectors.records import ItemRecord, Provenance, Record
from hub.vocabulary import AgencyType, SourceSystem

CircleReference = Annotated[str, Field(pattern=r"^[A-Z0-9][A-Z0-9-]{2,39}$")]


class CircleReport(StrictMessage):
    type: Literal["circle_report"]
    subject: Subject
    circle_reference: CircleReference
    period_from: date
    period_to: date
    meetings_held: Annotated[int, Field(ge=0, le=100)]
    summary: LongText
    goals_progress: Annotated[str, Field(max_length=10_000)] | None = None


class Concern(StrictMessage):
    type: Literal["concern"]
    subject: Subject
    circle_reference: CircleReference
    raised_at: AwareDatetime
    raised_by_role: Literal["VOLUNTEER", "COORDINATOR"]
    concern_category: Literal[
        "RISK_INDICATOR", "POSSIBLE_BREACH", "WELFARE", "VOLUNTEER_SAFETY", "OTHER"
    ]
    severity: Literal["ROUTINE", "SIGNIFICANT", "URGENT"]
    description: LongText


class CosaConnector(Connector):
    name = "cosa"
    title = "Circles of Support and Accountability provider"
    source_system = SourceSystem.COSA
    agency_types = frozenset({AgencyType.COSA_PROVIDER})
    message_types = {"circle_report": CircleReport, "concern": Concern}

    def map(self, message: Message, received_at: datetime) -> list[Record]:
        source = Provenance(self.source_system, message.source_reference, received_at)
        if isinstance(message, CircleReport):
            goals = f"\n\nGoals: {message.goals_progress}" if message.goals_progress else ""
            return [
                ItemRecord(
                    provenance=source,
                    subject=message.subject.ref(),
                    kind="circle_report",
                    category="OTHER",
                    legal_basis="CONSENT",
                    title=f"Circle report {message.circle_reference} "
                    f"({message.period_from.isoformat()} to {message.period_to.isoformat()})",
                    content=f"{message.meetings_held} circle meetings held.\n\n"
                    f"{message.summary}{goals}",
                )
            ]
        assert isinstance(message, Concern)
        return [
            ItemRecord(
                provenance=source,
                subject=message.subject.ref(),
                kind="concern",
                category="RISK",
                legal_basis="PUBLIC_INTEREST",
                title=f"COSA concern ({message.severity}): {message.concern_category}",
                content=f"Raised {message.raised_at.isoformat()} by a circle "
                f"{message.raised_by_role.lower()} in {message.circle_reference}; severity "
                f"{message.severity}.\n\n{message.description}",
            )
        ]
