"""Who received which item under which basis, read from the audit log alone (R-28, R-29 b).

The gate writes the basis of every health item it returns into the CONSULT entry
(`extra.basis`), so the tamper-evident log, not a side table that could drift from it, says
what went where. Rows are found through the indexed `subject_person_id` copy and read from the
canonical JSON the Merkle leaf hash covers.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.audit.sequencer import sequence
from hub.models import AuditRecord
from hub.vocabulary import AuditOperation

ITEM_RECORD_TYPE = "information_item"
_GIVEN = (AuditOperation.CONSULT, AuditOperation.DISCLOSE)


@dataclass(frozen=True, slots=True)
class Disclosure:
    seq: int
    at: datetime
    item_id: uuid.UUID
    agency_id: uuid.UUID
    basis: str
    purpose: str | None


def disclosures(
    session: Session, person_id: uuid.UUID, *, basis: str | None = None
) -> list[Disclosure]:
    """Every item of the person given to another agency under a recorded basis (or `basis`)."""
    # Disclosures appended but not yet sequenced (this transaction's, or a process's that
    # stopped before sequencing) count too: a withdrawal must reach every recipient.
    sequence(session)
    query = select(AuditRecord.seq, AuditRecord.canonical).where(
        AuditRecord.subject_person_id == str(person_id),
        AuditRecord.operation.in_(_GIVEN),
        # Canonical JSON has sorted keys and no spaces: this text narrows, the parse decides.
        AuditRecord.canonical.contains(
            f'"basis":"{basis}"' if basis else '"basis":"', autoescape=True
        ),
    )
    found = []
    for seq, canonical in session.execute(query.order_by(AuditRecord.seq)):
        document = json.loads(canonical)
        given = document.get("extra", {}).get("basis")
        if document.get("record_type") != ITEM_RECORD_TYPE or given is None or given == "OWNER":
            continue
        if basis is not None and given != basis:
            continue
        for record_id in document["record_ids"]:
            found.append(
                Disclosure(
                    seq,
                    datetime.fromisoformat(document["time"]),
                    uuid.UUID(record_id),
                    uuid.UUID(document["actor"]["agency"]),
                    given,
                    document.get("purpose"),
                )
            )
    return found


def recipients_of(
    session: Session, person_id: uuid.UUID, basis: str
) -> dict[uuid.UUID, set[uuid.UUID]]:
    """Agency -> the items it received under `basis`."""
    received: dict[uuid.UUID, set[uuid.UUID]] = {}
    for d in disclosures(session, person_id, basis=basis):
        received.setdefault(d.agency_id, set()).add(d.item_id)
    return received
