"""The audit log's head: where the sequencer takes sequence numbers, and checkpoints their lock.

The sequencer (`hub.audit.sequencer`) takes numbers with one ``UPDATE audit_log_head ...
RETURNING``. The row lock serialises sequencing across processes and workers until it commits
or rolls back, and a rollback gives the numbers back, so the sequence stays gapless and
fork-free. Appenders never take it: they queue. A checkpoint
takes the same row lock (``SELECT ... FOR UPDATE``), so it signs exactly the entries that
were committed before it. On SQLite every hub transaction begins IMMEDIATE and so already has
the single write lock; the same statements keep the code identical on both databases.
"""

from __future__ import annotations

from typing import cast

from sqlalchemy import Table, select, update
from sqlalchemy.orm import Session

from hub.errors import HubError
from hub.models.audit import AuditLogHead

_HEAD = cast("Table", AuditLogHead.__table__)
NEWEST_SEQ = "hub.audit.newest_seq"


def take_seqs(session: Session, count: int = 1) -> int:
    """Reserve `count` consecutive sequence numbers for this transaction; return the first."""
    statement = (
        update(_HEAD)
        .where(_HEAD.c.id == 1)
        .values(next_seq=_HEAD.c.next_seq + count)
        .returning(_HEAD.c.next_seq)
    )
    after = session.execute(statement).scalar_one_or_none()
    if after is None:
        # Fail closed: without its head the log cannot number an entry without risking a fork.
        raise HubError("the audit log head row is missing; run `hub db upgrade`")
    # The commit hook (checkpoints.install) reads this: a transaction that appended nothing
    # needs no checkpoint check, and one that did knows the log's size without asking.
    session.info[NEWEST_SEQ] = int(after) - 1
    return int(after) - count


def take_append_lock(session: Session) -> int:
    """Hold the append lock until the transaction ends; return the next sequence number."""
    statement = select(_HEAD.c.next_seq).where(_HEAD.c.id == 1).with_for_update()
    head = session.execute(statement).scalar_one_or_none()
    if head is None:
        raise HubError("the audit log head row is missing; run `hub db upgrade`")
    return int(head)
