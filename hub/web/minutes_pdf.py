"""Minutes on paper (R-11): approved minutes, for someone on the meeting's list, with a
justification, watermarked with their name and audited as DISCLOSE naming them.

The policy's `export` action on the minutes record decides (R-11-case-leads-export-records
asks for a justification); a refusal leaves its DENY entry. The text comes from the minutes
the gate has just let this reader read (hub/meetings/reading.py).
"""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.audit import AuditEntry, record
from hub.errors import HubError, InvalidInput
from hub.gate import Gate, Reader
from hub.meetings.minutes import RMP, SECTIONS
from hub.meetings.models import DisclosureDecision, MinutesStatus
from hub.meetings.reading import MinutesAccess, decide
from hub.models import Agency, User
from hub.packs.pdf import PackSection, render_pdf
from hub.vocabulary import AuditOperation

MIN_JUSTIFICATION = 20


class CopyRefused(HubError):
    """The policy does not let this reader take a copy of these minutes."""


def minutes_document(
    gate: Gate,
    session: Session,
    reader: Reader,
    access: MinutesAccess,
    user: User | None,
    justification: str,
) -> bytes:
    item, meeting, case = access.item, access.meeting, access.case
    if not access.acknowledged:
        raise InvalidInput("justification", "acknowledge the confidentiality statement first")
    if item.status is not MinutesStatus.CHAIR_APPROVED:
        raise InvalidInput("justification", "only minutes the chair has approved can be copied")
    why = justification.strip()
    if len(why) < MIN_JUSTIFICATION:
        raise InvalidInput(
            "justification", f"say why you need a copy (at least {MIN_JUSTIFICATION} characters)"
        )
    exporting = Reader(replace(reader.actor, justification=why), reader.agency_type)
    decision = decide(gate, session, exporting, item, case, "export")
    if not decision.permitted:
        summary = decision.explanation.summary
        raise CopyRefused(f"you may not take a copy of these minutes: {summary}")
    agency = session.get_one(Agency, reader.actor.agency_id)
    recipient = f"{user.display_name if user else 'Unknown'}, {agency.name}"
    s = item.sections
    agencies = {a.id: a.name for a in session.scalars(select(Agency))}
    lead = agencies.get(item.lead_agency_id, "not recorded") if item.lead_agency_id else "-"
    sections = [
        PackSection(
            "Meeting",
            [
                f"Level {meeting.level} {meeting.type.value.lower()} meeting, "
                f"{meeting.scheduled_for:%d %B %Y}, {meeting.mappa_area}.",
                f"Case {case.id.hex[:8].upper()}. Category {item.category}; level before "
                f"{item.level_before}, level decided {item.level_decided}.",
                f"Lead agency: {lead}.",
                f"Next review by {item.next_review_date:%d %B %Y}."
                if item.next_review_date
                else "",
            ],
        )
    ]
    for name, label in SECTIONS.items():
        if name in RMP and s.get("rmp_no_change"):
            continue
        if s.get(name):
            sections.append(PackSection(label, [str(s[name])]))
    decisions = session.scalars(
        select(DisclosureDecision).where(DisclosureDecision.item_id == item.id)
    ).all()
    sections.append(
        PackSection(
            "Disclosure decisions",
            [f"{d.decision.value.replace('_', ' ').title()} ({d.route.value})" for d in decisions]
            or ["None recorded."],
        )
    )
    sections.append(
        PackSection(
            "Actions",
            [
                f"{a.description} - {a.owner_name}, {agencies.get(a.owner_agency_id, '')}, "
                f"by {a.due_date:%d %B %Y} ({a.status.value.lower()})"
                for a in item.actions
            ]
            or ["No actions."],
        )
    )
    pdf = render_pdf(
        title=f"MAPPA minutes (MAPPA B): case {case.id.hex[:8].upper()}",
        recipient=recipient,
        sections=sections,
    )
    record(
        session,
        AuditEntry(
            operation=AuditOperation.DISCLOSE,
            actor=exporting.actor,
            record_type="meeting_case_item",
            record_ids=(str(item.id),),
            subject_person_id=case.person_id,
            case_id=case.id,
            fields_returned=tuple(s for s in SECTIONS if item.sections.get(s)),
            recipients=(str(reader.actor.agency_id), str(reader.actor.user_id)),
            policy_decision_id=decision.decision_id,
            policy_bundle_hash=decision.bundle_hash,
            outcome="R-11",
            extra={"action": "export", "format": "pdf"},
        ),
    )
    return pdf
