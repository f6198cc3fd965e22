"""Who-accessed reports over the audit log (DPA 2018 s.62): consultations and disclosures.

Two questions, both answered from the log alone:

* `accesses_to_subject`: who consulted, was given, was refused or broke glass to reach
  the record of a person or a case?
* `accesses_to_agency_items`: which *other* agencies consulted, or were given, the
  information items an agency owns (the data controller's question)?

Rows are selected through the indexed copies of ids on `audit_entry` and then read from
the canonical JSON, which is what the Merkle leaf hash covers: a report shows exactly
what the verifiable log says. Entries hold ids and field names only, so rows do too.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from hub.audit.sequencer import sequence
from hub.models.audit import AuditRecord
from hub.models.item import InformationItem
from hub.vocabulary import AuditOperation

# Every way a person's or a case's record can be reached, or refused, by a reader.
SUBJECT_ACCESS_OPERATIONS = frozenset(
    {
        AuditOperation.CONSULT,
        AuditOperation.DISCLOSE,
        AuditOperation.DENY,
        AuditOperation.BREAK_GLASS,
    }
)
# What an owning agency is asked about: its items actually seen by, or given to, others.
ITEM_ACCESS_OPERATIONS = frozenset({AuditOperation.CONSULT, AuditOperation.DISCLOSE})

ITEM_RECORD_TYPE = "information_item"

# Canonical JSON has sorted keys and no spaces, so this exact text is in every item
# entry; matching it in SQL spares parsing the JSON of every other entry. The JSON is
# still parsed and checked: this only narrows.
_IS_ITEM_ENTRY = AuditRecord.canonical.contains(
    f'"record_type":"{ITEM_RECORD_TYPE}"', autoescape=True
)

# Bound parameters per IN list: SQLite and psycopg both cap the parameters of one
# statement, and an agency may own items in thousands of cases.
_IN_CHUNK = 500


@dataclass(frozen=True, slots=True)
class AccessRow:
    """One consultation, disclosure, refusal or break-glass, as the log records it."""

    seq: int
    time: datetime
    operation: AuditOperation
    actor_user_id: uuid.UUID | None
    actor_agency_id: uuid.UUID
    actor_roles: tuple[str, ...]
    actor_client: str | None
    actor_on_behalf_of: str | None
    purpose: str | None
    justification: str | None
    subject_person_id: uuid.UUID | None
    case_id: uuid.UUID | None
    record_type: str
    record_ids: tuple[str, ...]
    fields_returned: tuple[str, ...]
    fields_withheld: tuple[str, ...]
    recipients: tuple[str, ...]
    outcome: str | None
    policy_decision: str | None
    correlation_id: str | None


@dataclass(frozen=True, slots=True)
class ItemAccessRow:
    """An access by another agency, with which of the owner's items it touched."""

    access: AccessRow
    owned_item_ids: tuple[uuid.UUID, ...]


def accesses_to_subject(
    session: Session,
    *,
    person_id: uuid.UUID | None = None,
    case_id: uuid.UUID | None = None,
    operations: Collection[AuditOperation] = SUBJECT_ACCESS_OPERATIONS,
) -> list[AccessRow]:
    """Every access about a person or a case, oldest first.

    Give `person_id`, `case_id` or both; with both, an entry must be about that person
    within that case. Write entries (COLLECT, ALTER, ...) are not accesses and are left
    out unless named in `operations`.
    """
    if person_id is None and case_id is None:
        raise ValueError("give a person_id or a case_id")
    sequence(session)  # accesses appended but not yet sequenced are accesses too
    conditions: list[ColumnElement[bool]] = [AuditRecord.operation.in_(list(operations))]
    if person_id is not None:
        conditions.append(AuditRecord.subject_person_id == str(person_id))
    if case_id is not None:
        conditions.append(AuditRecord.case_id == str(case_id))
    statement = (
        select(AuditRecord.seq, AuditRecord.canonical).where(*conditions).order_by(AuditRecord.seq)
    )
    return [_access(json.loads(canonical)) for _, canonical in session.execute(statement)]


def accesses_to_agency_items(
    session: Session,
    owning_agency_id: uuid.UUID,
    item_ids_owned: Collection[uuid.UUID] | None = None,
    *,
    operations: Collection[AuditOperation] = ITEM_ACCESS_OPERATIONS,
) -> list[ItemAccessRow]:
    """Every access by another agency to items `owning_agency_id` owns, oldest first.

    Items owned are those whose row names the agency as owner plus those the agency
    erased according to the log (so accesses to items since erased still show).
    `item_ids_owned` narrows the report to some of those items; ids the agency does not
    own are ignored, so the report never reveals accesses to another agency's items.

    Limits, so nobody relies on more:
    * Only entries with record_type "information_item" whose record_ids name an owned
      item count. A read that reached an item's content through another record type (a
      case summary, a meeting's minutes, an export) names that record, not the item, and
      is not reported here; `accesses_to_subject` covers the case as a whole.
    * Accesses by the owner's own staff are excluded by design; the hub acting for
      itself (the nil agency id) counts as another agency and is reported.
    * Candidates are narrowed in SQL by the indexed case id (an owned item's case, or
      none) and decided in Python from the canonical JSON. The cost grows with the
      accesses to the owner's cases plus the log's case-less entries (logins, set-up),
      which are read so that an entry missing its case id cannot hide an access.
    * Ownership is the item row's, or for an erased item the erasing (owning) agency's.
      An item deleted or re-homed by direct database work, outside the services, is
      reported by what the row says now.
    """
    owner = str(owning_agency_id)
    sequence(session)  # accesses (and erasures) appended but not yet sequenced count too
    owned = _owned_items(session, owning_agency_id)
    if item_ids_owned is not None:
        wanted = set(item_ids_owned)
        owned = {item: case for item, case in owned.items() if item in wanted}
    if not owned:
        return []
    owned_ids = {str(item) for item in owned}
    case_ids = sorted({str(case) for case in owned.values() if case is not None})
    # An access entry for an item should carry the item's case; those that do not are
    # still considered, so a caller that omitted the case cannot hide an access.
    candidates: dict[int, str] = {}
    for case_filter in _case_filters(case_ids):
        statement = select(AuditRecord.seq, AuditRecord.canonical).where(
            AuditRecord.operation.in_(list(operations)),
            AuditRecord.actor_agency_id != owner,
            case_filter,
            _IS_ITEM_ENTRY,
        )
        candidates.update(session.execute(statement).all())
    rows = []
    for seq in sorted(candidates):
        document = json.loads(candidates[seq])
        if document["record_type"] != ITEM_RECORD_TYPE or document["actor"]["agency"] == owner:
            continue
        touched = [item for item in document["record_ids"] if item in owned_ids]
        if touched:
            rows.append(ItemAccessRow(_access(document), tuple(uuid.UUID(i) for i in touched)))
    return rows


def _owned_items(session: Session, agency_id: uuid.UUID) -> dict[uuid.UUID, uuid.UUID | None]:
    """Item id -> case id for every item the agency owns now or erased in the past."""
    current = select(InformationItem.id, InformationItem.case_id).where(
        InformationItem.owning_agency_id == agency_id
    )
    owned: dict[uuid.UUID, uuid.UUID | None] = dict(session.execute(current).all())
    # An erased item's row is gone but the owner still has the right to know who saw it
    # while it existed. Only the owner erases and every erasure is audited, so the
    # owner's ERASE entries name them: few entries, found through the agency index.
    erased = select(AuditRecord.canonical).where(
        AuditRecord.actor_agency_id == str(agency_id),
        AuditRecord.operation == AuditOperation.ERASE,
        _IS_ITEM_ENTRY,
    )
    for canonical in session.scalars(erased):
        document = json.loads(canonical)
        if document["record_type"] != ITEM_RECORD_TYPE:
            continue
        case = _uuid(document["case"])
        for item in document["record_ids"]:
            owned.setdefault(uuid.UUID(item), case)
    return owned


def _case_filters(case_ids: list[str]) -> Iterator[ColumnElement[bool]]:
    if not case_ids:
        yield AuditRecord.case_id.is_(None)
        return
    for start in range(0, len(case_ids), _IN_CHUNK):
        chunk = AuditRecord.case_id.in_(case_ids[start : start + _IN_CHUNK])
        yield or_(chunk, AuditRecord.case_id.is_(None)) if start == 0 else chunk


def _access(document: Mapping[str, Any]) -> AccessRow:
    actor = document["actor"]
    return AccessRow(
        seq=document["seq"],
        time=datetime.fromisoformat(document["time"]),
        operation=AuditOperation(document["operation"]),
        actor_user_id=_uuid(actor["user"]),
        actor_agency_id=uuid.UUID(actor["agency"]),
        actor_roles=_strings(actor["roles"]),
        actor_client=actor["client"],
        actor_on_behalf_of=actor["on_behalf_of"],
        purpose=document["purpose"],
        justification=document["justification"],
        subject_person_id=_uuid(document["subject_person"]),
        case_id=_uuid(document["case"]),
        record_type=document["record_type"],
        record_ids=_strings(document["record_ids"]),
        fields_returned=_strings(document["fields_returned"]),
        fields_withheld=_strings(document["fields_withheld"]),
        recipients=_strings(document["recipients"]),
        outcome=document["outcome"],
        policy_decision=document["policy_decision"],
        correlation_id=document["correlation_id"],
    )


def _uuid(value: str | None) -> uuid.UUID | None:
    return None if value is None else uuid.UUID(value)


def _strings(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(values)
