"""The probation connector: OASys/ARNS scores, licence conditions, contacts, MAPPA status."""

from __future__ import annotations

from datetime import datetime

from connectors.base import Connector, Message
from connectors.probation import messages as m
from connectors.records import (
    AssessmentRecord,
    CaseRecord,
    ItemRecord,
    Provenance,
    Record,
)
from hub.vocabulary import AgencyType, SourceSystem

LEGAL_BASIS = "DPA_PART3"
_ORDER = ("LOW", "MEDIUM", "HIGH", "VERY_HIGH")


class ProbationConnector(Connector):
    name = "probation"
    title = "Probation case management (nDelius), OASys and ARNS"
    source_system = SourceSystem.NDELIUS
    agency_types = frozenset({AgencyType.RA_PROBATION})
    message_types = m.MESSAGE_TYPES

    def map(self, message: Message, received_at: datetime) -> list[Record]:
        reference = message.source_reference
        source = Provenance(self.source_system, reference, received_at)
        if isinstance(message, m.RiskScores):
            return self._scores(message, received_at)
        if isinstance(message, m.LicenceConditions):
            lines = "\n".join(f"- {c.type}: {c.text}" for c in message.conditions)
            return [
                ItemRecord(
                    provenance=source,
                    subject=message.subject.ref(),
                    kind="licence_conditions",
                    category="OTHER",
                    legal_basis=LEGAL_BASIS,
                    title=f"Licence conditions ({len(message.conditions)})",
                    content=f"Released {message.release_date.isoformat()}; licence expires "
                    f"{message.licence_expiry_date.isoformat()}.\n\n{lines}",
                )
            ]
        if isinstance(message, m.SupervisionContact):
            return [
                ItemRecord(
                    provenance=source,
                    subject=message.subject.ref(),
                    kind="supervision_contact",
                    category="OTHER",
                    legal_basis=LEGAL_BASIS,
                    title=f"Supervision contact ({message.contact_type}): {message.outcome}",
                    content=f"{message.contact_type} contact {message.contact_at.isoformat()}, "
                    f"{message.outcome}.\n\n{message.notes}",
                )
            ]
        assert isinstance(message, m.MappaStatus)
        return [
            CaseRecord(
                provenance=source,
                subject=message.subject.ref(),
                category=message.category,
                level=message.level,
                level_reason=message.level_reason,
                mappa_area=message.mappa_area,
                start_date=message.start_date,
                level_two_basis=message.level_two_basis,
                rmp_gaps_at_level_two=message.rmp_gaps_at_level_two,
                next_review_due=message.next_review_due,
            )
        ]

    def _scores(self, message: m.RiskScores, received_at: datetime) -> list[Record]:
        system = SourceSystem(message.source_system)
        subject = message.subject.ref()
        records: list[Record] = [
            AssessmentRecord(
                provenance=Provenance(system, f"{message.source_reference}/{s.tool}", received_at),
                subject=subject,
                tool=s.tool,
                algorithm_version=s.algorithm_version,
                band=s.band,
                score=s.score,
                assessed_at=message.assessed_at,
                assessor=message.assessor,
                no_sexual_offence_history=message.no_sexual_offence_history,
            )
            for s in message.scores
        ]
        if message.rosh:
            assert message.rosh_algorithm_version is not None
            community = [r for r in message.rosh if r.setting == "COMMUNITY"] or message.rosh
            overall = max((r.level for r in community), key=_ORDER.index)
            reference = f"{message.source_reference}/ROSH"
            records.append(
                AssessmentRecord(
                    provenance=Provenance(system, reference, received_at),
                    subject=subject,
                    tool="OASYS_ROSH",
                    algorithm_version=message.rosh_algorithm_version,
                    band=overall,
                    assessed_at=message.assessed_at,
                    assessor=message.assessor,
                )
            )
            levels = "\n".join(f"- {r.setting} / {r.group}: {r.level}" for r in message.rosh)
            records.append(
                ItemRecord(
                    provenance=Provenance(system, reference, received_at),
                    subject=subject,
                    kind="rosh_summary",
                    category="RISK",
                    legal_basis=LEGAL_BASIS,
                    title=f"ROSH by group (overall {overall})",
                    content=f"Risk of serious harm by group, assessed "
                    f"{message.assessed_at.isoformat()} ({message.rosh_algorithm_version}):\n"
                    f"{levels}",
                )
            )
        return records
