"""The audit log's append lock, shared by appends and checkpoints.

On PostgreSQL a transaction-scoped advisory lock serialises appenders across processes (it
is re-entrant, so a transaction that appended may also checkpoint). SQLite has one writer
at a time already, because every hub transaction begins IMMEDIATE.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

APPEND_LOCK_KEY = 0x4D41505041  # "MAPPA": any fixed 64-bit number naming this lock


def take_append_lock(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": APPEND_LOCK_KEY})
