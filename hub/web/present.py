"""Gated views put into words a chair reads: labels, agency names, dates, overdue reviews.

Only what the gate returned is shown; a withheld field is shown as withheld with the reason
the gate gave. Agency names come from the agency register, which is reference data about
organisations, not case data about a person.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.gate import View
from hub.models import Agency

# The order and wording of each record's fields on the page. A field the gate returns that
# is not named here is still shown, under its own name, after these.
CASE_FIELDS = {
    "category": "MAPPA category",
    "current_level": "Management level",
    "status": "Status",
    "lead_agency": "Lead agency",
    "next_review_due": "Next review due",
    "location_status": "Where the person is",
    "mappa_area": "MAPPA area",
    "start_date": "Under MAPPA since",
}
PERSON_FIELDS = {
    "names": "Names",
    "date_of_birth": "Date of birth",
    "sex_gender": "Sex or gender",
    "ethnicity_text": "Ethnicity",
    "identifiers": "Identifiers",
    "identity_documents": "Identity documents",
    "address": "Current address",
}
ITEM_FIELDS = {
    "summary": "Summary",
    "content": "Details",
    "owning_agency": "Owning agency",
    "legal_basis": "Legal basis",
    "classification": "Marking",
    "handling": "Handling",
    "reference": "Source reference",
    "received_at": "Received",
}
AGENCY_FIELDS = ("lead_agency", "owning_agency")
LEGAL_BASES = {
    "CJA_S325": "Criminal Justice Act 2003, section 325 (duty to co-operate)",
    "DPA_PART3": "Data Protection Act 2018, Part 3 (law enforcement)",
    "UKGDPR_PUBLIC_TASK": "UK GDPR article 6(1)(e): public task",
    "CONSENT": "The person's consent",
    "PUBLIC_INTEREST": "A recorded public-interest decision",
    "STATUTE": "Another statutory gateway",
    "COURT_ORDER": "A court order",
}


@dataclass(frozen=True)
class Row:
    """One line of a summary list: a value, or the reason it is withheld."""

    key: str
    label: str
    value: str | None
    withheld: str | None = None


def rows(view: View, labels: dict[str, str], agencies: dict[str, str]) -> list[Row]:
    names = list(labels) + [f for f in (*view.fields, *view.withheld) if f not in labels]
    found = []
    for name in dict.fromkeys(names):
        label = labels.get(name, name.replace("_", " ").capitalize())
        if name in view.withheld:
            found.append(Row(name, label, None, view.withheld[name] or "withheld by policy"))
        elif name in view.fields:
            found.append(Row(name, label, words(name, view.fields[name], agencies)))
    return found


def words(name: str, value: object, agencies: dict[str, str]) -> str:
    if value is None or value == []:
        return "None recorded"
    if name in AGENCY_FIELDS:
        return agencies.get(str(value), "An agency not registered with the hub")
    if name == "legal_basis":
        return LEGAL_BASES.get(str(value), str(value))
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    if name in ("next_review_due", "start_date", "date_of_birth", "received_at"):
        return long_date(str(value))
    if name == "current_level":
        return f"Level {value}"
    if name == "category" and isinstance(value, int):
        return f"Category {value}"  # a MAPPA category; an item's category is a word
    return str(value).replace("_", " ").capitalize() if str(value).isupper() else str(value)


def long_date(iso: str) -> str:
    """'2026-11-22' (or a timestamp) as '22 November 2026', the GOV.UK style."""
    try:
        day = datetime.fromisoformat(iso).date() if "T" in iso else date.fromisoformat(iso)
    except ValueError:
        return iso
    return f"{day.day} {day:%B %Y}"


def review_overdue(view: View, today: date) -> bool:
    """R-06: a review date in the past is overdue (meetings are not yet recorded here)."""
    due = view.fields.get("next_review_due")
    return isinstance(due, str) and date.fromisoformat(due) < today


def agency_names(session: Session, views: Iterable[View]) -> dict[str, str]:
    wanted = set()
    for view in views:
        for name in AGENCY_FIELDS:
            value = view.fields.get(name)
            if isinstance(value, str):
                wanted.add(uuid.UUID(value))
    if not wanted:
        return {}
    found = session.execute(select(Agency.id, Agency.name).where(Agency.id.in_(wanted)))
    return {str(agency_id): name for agency_id, name in found}


# The case page's sections, one per item category, in the order a chair reads a case.
SECTION_HEADINGS = {
    "CONVICTION": "Convictions and offences",
    "RISK": "Risk",
    "LOCATION": "Location and addresses",
    "INTELLIGENCE": "Intelligence",
    "HEALTH": "Health",
    "VICTIM": "Victims",
    "CHILD": "Children",
    "FINANCIAL": "Financial",
    "OTHER": "Other information",
}


@dataclass(frozen=True)
class Section:
    category: str
    heading: str
    items: list[View]


def sections(items: Iterable[View]) -> list[Section]:
    """The items grouped by category, known categories in reading order, others after."""
    grouped: dict[str, list[View]] = {}
    for item in items:
        grouped.setdefault(item.category or "OTHER", []).append(item)
    order = [c for c in SECTION_HEADINGS if c in grouped] + sorted(
        c for c in grouped if c not in SECTION_HEADINGS
    )
    return [
        Section(c, SECTION_HEADINGS.get(c, c.replace("_", " ").capitalize()), grouped[c])
        for c in order
    ]


def reference(case_id: uuid.UUID) -> str:
    """How people name a case: the first eight hex digits of its id (searchable on /cases)."""
    return f"Case {case_id.hex[:8].upper()}"


# The audit trail's operations as the "who accessed this case" tab says them.
ACCESS_WORDS = {
    "CONSULT": "Consulted",
    "DISCLOSE": "Disclosed",
    "DENY": "Refused",
    "BREAK_GLASS": "Emergency access",
}


# Roles as the "view as" page names them.
ROLE_WORDS = {
    "MAPPA_CHAIR_L2": "MAPPA chair (level 2)",
    "MAPPA_CHAIR_L3": "MAPPA chair (level 3)",
    "MAPPA_COORDINATOR": "MAPPA coordinator",
    "OFFENDER_MANAGER": "Offender manager",
    "MOSOVO_OFFICER": "MOSOVO officer",
    "DTC_REP": "Duty-to-co-operate representative",
    "HEALTH_DISCLOSER": "Health discloser (clinician or Caldicott delegate)",
    "COSA_COORDINATOR": "COSA circle coordinator",
    "COSA_VOLUNTEER": "COSA volunteer",
}
