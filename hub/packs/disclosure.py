"""Disclosure packs: one case on paper for one recipient, redacted through the gate.

Three gate questions make a partner agency's pack, and a record or field goes in only if
all three say yes:

1. may the person preparing it read it? (`Gate.read_case`: their CONSULT entries);
2. may they export the case at all? (the policy's `export` action on the case record: R-11,
   the lead agency, the chair or the coordinator, with a justification);
3. would the recipient agency, reading the case itself for the same purpose, see it?
   (`Gate.explain_case` for a reader of that agency in its usual role: a health trust gets a
   health view, a COSA provider the COSA-safe view, which is no case data at all).

The executive summary for outside requests (R-12) carries only the case's headline fields
and the owning agencies to whom further requests go, and needs the `disclose` action on the
case record (R-26: a disclosure decision, with a justification).

Items flagged "consent withdrawn: no onward dissemination" (R-29 b) do not go into a pack:
each is replaced by a placeholder (domain.md §10 scenario 1), until a public-interest decision
of the owning health agency covers the item for this recipient (R-30, R-31); then that item,
and only that one, goes in again, if the three questions above still say yes.

Generating a pack writes one DISCLOSE entry naming its recipient, the records and the fields,
in the caller's transaction; the caller commits it before handing the PDF over.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from hub.actor import Actor
from hub.audit import AuditEntry, record
from hub.db import utcnow
from hub.errors import HubError
from hub.gate import CaseView, Gate, Reader, View
from hub.gate.gate import RecordExplanation
from hub.models import (
    Agency,
    InformationItem,
    ItemDisseminationFlag,
    MappaCase,
    PublicInterestDecision,
    PublicInterestItem,
    PublicInterestRecipient,
)
from hub.packs.pdf import PackSection, render_pdf
from hub.vocabulary import AgencyType, AuditOperation, Role
from hub.web import present

PLACEHOLDER = "Consent withdrawn; public-interest decision pending."
HANDLING = (
    "OFFICIAL-SENSITIVE. Shared under MAPPA because the risk outweighs confidentiality. Do not "
    "copy or pass on any part of this pack without the MAPPA chair's agreement (MAPPA D). Keep "
    "it in the restricted part of your agency's files."
)
# The role a recipient agency's reader has when the pack asks what it would see: the one
# its staff hold for MAPPA work (hub/vocabulary.py ROLE_AGENCY_TYPES).
RECIPIENT_ROLES = {
    AgencyType.RA_POLICE: Role.MOSOVO_OFFICER,
    AgencyType.RA_PROBATION: Role.OFFENDER_MANAGER,
    AgencyType.RA_PRISON: Role.OFFENDER_MANAGER,
    AgencyType.COSA_PROVIDER: Role.COSA_COORDINATOR,
}


class PackRefused(HubError):
    """The person may not make this pack (the policy's export or disclose action says no)."""


@dataclass(frozen=True)
class Pack:
    title: str
    recipient: str
    pdf: bytes
    records: tuple[str, ...]  # ids of the records the pack carries (for the audit entry)


def recipient_reader(agency: Agency, purpose: str | None, role: Role | None = None) -> Reader:
    """A reader standing for `agency`: no particular person, its usual MAPPA role."""
    chosen = role or RECIPIENT_ROLES.get(agency.type, Role.DTC_REP)
    actor = Actor(agency_id=agency.id, roles=frozenset({chosen}), client_id="hub-pack")
    return Reader(replace(actor, purpose=purpose), agency.type)


def partner_pack(
    session: Session, gate: Gate, reader: Reader, case_id: uuid.UUID, recipient: Agency
) -> Pack:
    """The pack for a partner agency: what both the preparer and the recipient may see."""
    view = gate.read_case(session, reader, case_id)  # NotFound: the same as a missing case
    exporting = _by_id(gate.explain_case(session, reader, case_id, action="export"))
    case_export = exporting.get(case_id)
    if case_export is None or not case_export.decision.permitted:
        raise PackRefused("you may not export this case (R-11)")
    theirs = _by_id(
        gate.explain_case(session, recipient_reader(recipient, reader.actor.purpose), case_id)
    )
    agencies = present.agency_names(session, [view.case, *view.items])
    flagged = _flagged(session, case_id, reader, [item.id for item in view.items])
    for item_id in _cleared(session, [i.id for i in view.items if i.id in flagged], recipient):
        del flagged[item_id]  # scenario 1: covered by a public-interest decision, it reappears
    owners = {owner for _, owner in flagged.values()}
    if owners:
        named = session.execute(select(Agency.id, Agency.name).where(Agency.id.in_(owners)))
        agencies.update({str(agency_id): name for agency_id, name in named})
    sections = [_about(reader, recipient.name)]
    carried: list[str] = []
    fields: set[str] = set()

    def shared(record: View) -> list[str]:
        seen = theirs.get(record.id)
        if seen is None or not seen.decision.permitted:
            return []
        names = [n for n in record.fields if n in seen.returned]
        carried.append(str(record.id))
        fields.update(names)
        return names

    case_fields = shared(view.case)
    if not case_fields:
        sections.append(
            PackSection("The case", [f"Nothing on this case may be shared with {recipient.name}."])
        )
    else:
        sections.append(
            _record_section("The case", view.case, case_fields, present.CASE_FIELDS, agencies)
        )
        if view.person is not None and (person_fields := shared(view.person)):
            sections.append(
                _record_section(
                    "The person", view.person, person_fields, present.PERSON_FIELDS, agencies
                )
            )
        by_category: dict[str, list[str]] = {}
        for item in view.items:
            if item.id in flagged:
                continue  # its placeholder follows
            names = shared(item)
            if names:
                by_category.setdefault(item.category or "OTHER", []).extend(
                    _item_paragraphs(item, names, agencies)
                )
        for category, owner in flagged.values():
            by_category.setdefault(category, []).append(
                f"An item owned by {agencies.get(str(owner), 'another agency')}: {PLACEHOLDER}"
            )
        order = [c for c in present.SECTION_HEADINGS if c in by_category]
        order += sorted(c for c in by_category if c not in present.SECTION_HEADINGS)
        for category in order:
            heading = present.SECTION_HEADINGS.get(category, category.capitalize())
            sections.append(PackSection(heading, by_category[category]))
    title = f"Disclosure pack: {present.reference(case_id)}"
    _audit(
        session,
        reader,
        view,
        recipients=(str(recipient.id),),
        records=carried,
        fields=fields,
        decision=case_export,
        kind="partner",
    )
    pdf = render_pdf(title=title, recipient=recipient.name, sections=sections)
    return Pack(title, recipient.name, pdf, tuple(carried))


def executive_summary(
    session: Session, gate: Gate, reader: Reader, case_id: uuid.UUID, requester: str
) -> Pack:
    """R-12: what an outside requester gets: headline facts, and where to ask for more."""
    view = gate.read_case(session, reader, case_id)
    # Giving it out is a disclosure decision, judged (and recorded) as one, whatever the
    # purpose the case was read for.
    discloser = Reader(replace(reader.actor, purpose="DISCLOSURE_DECISION"), reader.agency_type)
    disclosing = _by_id(gate.explain_case(session, discloser, case_id, action="disclose"))
    decision = disclosing.get(case_id)
    if decision is None or not decision.decision.permitted:
        raise PackRefused(
            "you may not disclose from this case: only its lead agency's case managers and "
            "its chair may, with a justification of 20 characters or more (R-26)"
        )
    agencies = present.agency_names(session, [view.case, *view.items])
    headline = [
        n
        for n in ("category", "current_level", "lead_agency", "next_review_due")
        if n in view.case.fields and n in decision.returned
    ]
    owners = sorted({_owner(item, agencies) for item in view.items})
    sections = [
        _about(reader, requester),
        _record_section("Summary", view.case, headline, present.CASE_FIELDS, agencies),
        PackSection(
            "Further information",
            [
                "This is the executive summary given to requests from outside the MAPPA "
                "agencies (R-12). Each agency remains responsible for the information it "
                "supplied; requests for more detail are passed to it.",
                "Agencies holding information on this case: "
                + ("; ".join(owners) if owners else "none recorded")
                + ".",
            ],
        ),
    ]
    title = f"Executive summary: {present.reference(case_id)}"
    _audit(
        session,
        discloser,
        view,
        recipients=(f"outside:{requester}",),
        records=[str(case_id)],
        fields=set(headline),
        decision=decision,
        kind="executive_summary",
    )
    pdf = render_pdf(title=title, recipient=requester, sections=sections)
    return Pack(title, requester, pdf, (str(case_id),))


def _by_id(explained: list[RecordExplanation]) -> dict[uuid.UUID, RecordExplanation]:
    return {record.id: record for record in explained}


def _flagged(
    session: Session, case_id: uuid.UUID, reader: Reader, seen: list[uuid.UUID]
) -> dict[uuid.UUID, tuple[str, uuid.UUID]]:
    """R-29 b: the case's items under "no onward dissemination" that the preparer knows of
    (those it can see, and those its agency received before consent was withdrawn, which
    it may no longer read): item id -> (category, owning agency)."""
    item, flag = InformationItem, ItemDisseminationFlag
    found = session.execute(
        select(item.id, item.category, item.owning_agency_id)
        .join(flag, flag.item_id == item.id)
        .where(
            item.case_id == case_id,
            or_(flag.agency_id == reader.actor.agency_id, item.id.in_(seen)),
        )
        .order_by(item.received_at, item.id)
    )
    return {i: (str(category.value), owner) for i, category, owner in found}


def _cleared(session: Session, item_ids: list[uuid.UUID], recipient: Agency) -> set[uuid.UUID]:
    """Of `item_ids`, those a public-interest decision in force now covers for `recipient`."""
    if not item_ids:
        return set()
    now = utcnow()
    decision, covered, named = PublicInterestDecision, PublicInterestItem, PublicInterestRecipient
    found = session.scalars(
        select(covered.item_id)
        .join(decision, decision.id == covered.decision_id)
        .join(named, named.decision_id == decision.id)
        .where(
            covered.item_id.in_(item_ids),
            named.agency_id == recipient.id,
            decision.decided_at <= now,
            decision.review_by > now,
        )
    )
    return set(found)


def _about(reader: Reader, recipient: str) -> PackSection:
    return PackSection(
        "About this pack",
        [
            f"Prepared for {recipient} on {present.long_date(utcnow().date().isoformat())}.",
            f"Purpose: {(reader.actor.purpose or '').replace('_', ' ').lower()}.",
            HANDLING,
        ],
    )


def _record_section(
    heading: str,
    record: View,
    names: Sequence[str],
    labels: dict[str, str],
    agencies: dict[str, str],
) -> PackSection:
    order = [n for n in labels if n in names] + [n for n in names if n not in labels]
    return PackSection(
        heading,
        [
            f"{labels.get(n, n.replace('_', ' ').capitalize())}: "
            f"{present.words(n, record.fields[n], agencies)}"
            for n in order
        ],
    )


def _item_paragraphs(item: View, names: list[str], agencies: dict[str, str]) -> list[str]:
    lines = [
        f"{present.ITEM_FIELDS.get(n, n.replace('_', ' ').capitalize())}: "
        f"{present.words(n, item.fields[n], agencies)}"
        for n in names
    ]
    return ["\n".join(lines)]


def _owner(item: View, agencies: dict[str, str]) -> str:
    owner = item.fields.get("owning_agency")
    return agencies.get(str(owner), "another agency") if owner else "another agency"


def _audit(
    session: Session,
    reader: Reader,
    view: CaseView,
    *,
    recipients: tuple[str, ...],
    records: list[str],
    fields: set[str],
    decision: RecordExplanation,
    kind: str,
) -> None:
    case = session.get(MappaCase, view.case.id)
    person = case.person_id if case is not None else None
    record(
        session,
        AuditEntry(
            operation=AuditOperation.DISCLOSE,
            actor=reader.actor,
            record_type="mappa_case",
            record_ids=tuple(records),
            subject_person_id=person,
            case_id=view.case.id,
            fields_returned=tuple(sorted(fields)),
            recipients=recipients,
            policy_decision_id=decision.decision.decision_id,
            policy_bundle_hash=decision.decision.bundle_hash,
            outcome=",".join(decision.decision.permitted_by) or None,
            extra={"pack": kind},
        ),
    )
