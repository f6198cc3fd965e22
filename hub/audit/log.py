"""Appending to the audit log inside the caller's transaction.

`record` never commits: the business change and its entry commit together or not at all.
Sequence numbers are gapless because the next number is taken under a transaction-scoped
lock (PostgreSQL advisory lock; SQLite's single writer), and a rolled-back transaction
gives its number back.
"""

from __future__ import annotations

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from hub.audit.entry import AuditEntry, canonical_bytes
from hub.audit.merkle import leaf_hash
from hub.db import utcnow
from hub.models.audit import AuditRecord

# Any fixed 64-bit number; it names "the audit log's append lock" to PostgreSQL.
_APPEND_LOCK_KEY = 0x4D41505041  # "MAPPA"


def record(session: Session, entry: AuditEntry) -> AuditRecord:
    """Append one entry to the log within the session's current transaction."""
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _APPEND_LOCK_KEY})
    last = session.scalar(select(func.max(AuditRecord.seq)))
    seq = 0 if last is None else last + 1
    recorded_at = utcnow()
    data = canonical_bytes(entry.to_document(seq, recorded_at))
    row = AuditRecord(
        seq=seq,
        recorded_at=recorded_at,
        operation=entry.operation,
        canonical=data.decode(),
        leaf_hash=leaf_hash(data),
        subject_person_id=_str(entry.subject_person_id),
        case_id=_str(entry.case_id),
        actor_agency_id=str(entry.actor.agency_id),
    )
    session.add(row)
    session.flush()
    return row


def _str(value: object | None) -> str | None:
    return None if value is None else str(value)
