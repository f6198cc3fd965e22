"""The police connector: nominal records, graded intelligence, notifications, visits, breaches."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime

from connectors.base import Connector, Message, RawRecord
from connectors.police import messages as m
from connectors.police.csv_nominals import split_csv
from connectors.records import (
    ItemRecord,
    NotificationEventRecord,
    PersonRecord,
    Provenance,
    Record,
    RequirementRecord,
)
from hub.vocabulary import AgencyType, SourceSystem

# Police processing for MAPPA is law enforcement processing (DPA 2018 Part 3).
LEGAL_BASIS = "DPA_PART3"


class PoliceConnector(Connector):
    name = "police"
    title = "Police case system (PNC nominals, ViSOR notifications, intelligence)"
    source_system = SourceSystem.PNC
    agency_types = frozenset({AgencyType.RA_POLICE})
    message_types = m.MESSAGE_TYPES
    bulk_formats = ("jsonl", "json", "csv")

    def split(self, lines: Iterable[bytes], file_format: str) -> Iterator[RawRecord]:
        if file_format == "csv":
            return split_csv(lines)
        return super().split(lines, file_format)

    def map(self, message: Message, received_at: datetime) -> list[Record]:
        source = Provenance(self.source_system, message.source_reference, received_at)
        if isinstance(message, m.Nominal):
            ids = [("PNC", message.pnc_id)] + ([("CRN", message.crn)] if message.crn else [])
            return [
                PersonRecord(
                    provenance=source,
                    names=tuple(n.record() for n in message.names),
                    date_of_birth=message.date_of_birth,
                    sex=message.sex,
                    identifiers=tuple(ids),
                    addresses=tuple(a.record() for a in message.addresses),
                    nationality=message.nationality,
                )
            ]
        if isinstance(message, m.Intelligence):
            grading = message.grading
            conditions = (
                f"\n\nHandling conditions: {grading.handling_conditions}"
                if grading.handling_conditions
                else ""
            )
            return [
                ItemRecord(
                    provenance=source,
                    subject=message.subject.ref(),
                    kind="intelligence",
                    category="INTELLIGENCE",
                    legal_basis=LEGAL_BASIS,
                    title=f"[{grading.code()}] {message.title}"[:200],
                    content=f"Graded {grading.code()} (3x5x2), reported "
                    f"{message.reported_at.isoformat()}.\n\n{message.summary}{conditions}",
                    classification=message.classification,
                    # handling code C means the originator controls onward sharing.
                    originator_control=grading.handling_code == "C",
                )
            ]
        if isinstance(message, m.Notification):
            r = message.requirement
            return [
                NotificationEventRecord(
                    provenance=source,
                    subject=message.subject.ref(),
                    requirement=RequirementRecord(
                        regime=r.regime,
                        relevant_date=r.relevant_date,
                        indefinite=r.indefinite,
                        period_years=r.period_years,
                        prescribed_station=r.prescribed_station,
                    ),
                    type=message.event_type,
                    trigger_date=message.trigger_date,
                    due_by=message.due_by,
                    notified_at=message.notified_at,
                    station=message.station,
                )
            ]
        if isinstance(message, m.HomeVisit):
            announced = "announced" if message.announced else "unannounced"
            follow_up = f"\n\nFollow-up: {message.follow_up}" if message.follow_up else ""
            return [
                ItemRecord(
                    provenance=source,
                    subject=message.subject.ref(),
                    kind="home_visit",
                    category="LOCATION",
                    legal_basis=LEGAL_BASIS,
                    title=f"Home visit ({announced}): {message.outcome}",
                    content=f"Visited {message.visited_at.isoformat()}, {announced}; outcome "
                    f"{message.outcome}.\n\n{message.observations}{follow_up}",
                )
            ]
        assert isinstance(message, m.Breach)
        outcome = f"\n\nOutcome: {message.outcome}" if message.outcome else ""
        return [
            ItemRecord(
                provenance=source,
                subject=message.subject.ref(),
                kind="breach",
                category="OTHER",
                legal_basis=LEGAL_BASIS,
                title=f"Breach ({message.breach_type}): {message.action}",
                content=f"{message.breach_type} breach detected {message.detected_at.isoformat()}; "
                f"action {message.action}.\n\n{message.summary}{outcome}",
            )
        ]
