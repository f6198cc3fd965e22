"""Writing signed checkpoints of the audit log, on demand and every N entries or T seconds.

A checkpoint is taken under the same lock as appends, so it signs exactly the entries that
precede it, and it hashes only the entries added since the previous checkpoint.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session, sessionmaker

from hub.audit import frontier
from hub.audit.checkpoint import key_id, public_key_base64, sign_checkpoint
from hub.audit.lock import NEWEST_SEQ, take_append_lock
from hub.audit.sequencer import sequence
from hub.db import utcnow
from hub.errors import HubError
from hub.models.audit import AuditCheckpoint, AuditRecord, AuditSigningKey

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class CheckpointPolicy:
    signer: Ed25519PrivateKey
    origin: str
    every_entries: int = 1000
    every_seconds: int = 300


def latest_checkpoint(session: Session) -> AuditCheckpoint | None:
    return session.scalar(
        select(AuditCheckpoint).order_by(AuditCheckpoint.tree_size.desc()).limit(1)
    )


def write_checkpoint(
    session: Session, signer: Ed25519PrivateKey, origin: str
) -> AuditCheckpoint | None:
    """Sign the log as it stands; None when nothing was appended since the last checkpoint."""
    sequence(session)  # a checkpoint signs every entry appended so far...
    take_append_lock(session)  # ...and nothing sequenced after it, until this commits
    last = latest_checkpoint(session)
    size = last.tree_size if last else 0
    edge = frontier.unpack(last.frontier, size) if last else []
    leaves = list(
        session.scalars(
            select(AuditRecord.leaf_hash).where(AuditRecord.seq >= size).order_by(AuditRecord.seq)
        )
    )
    if not leaves:
        return None
    newest = session.scalar(select(func.max(AuditRecord.seq)))
    if newest != size + len(leaves) - 1:
        # Signing a log with a hole would bless the damage; `hub audit verify` says more.
        raise HubError("audit log sequence has a gap; run `hub audit verify` before signing")
    edge = frontier.extend(edge, size, leaves)
    head = sign_checkpoint(signer, origin, size + len(leaves), frontier.root_of(edge))
    _register_key(session, signer)
    row = AuditCheckpoint(
        tree_size=head.tree_size,
        origin=head.origin,
        root_hash=head.root_hash,
        signed_at=head.timestamp,
        key_id=head.key_id,
        signature=head.signature,
        frontier=frontier.pack(edge),
    )
    session.add(row)
    session.flush()
    return row


def checkpoint_due(session: Session, policy: CheckpointPolicy) -> bool:
    # The sequence is gapless, so max(seq) + 1 is the entry count, read from the index.
    newest = session.scalar(select(func.max(AuditRecord.seq)))
    entries = 0 if newest is None else newest + 1
    last = session.execute(
        select(AuditCheckpoint.tree_size, AuditCheckpoint.signed_at)
        .order_by(AuditCheckpoint.tree_size.desc())
        .limit(1)
    ).first()
    signed_size, signed_at = (last[0], last[1]) if last else (0, _EPOCH)
    pending = entries - signed_size
    if pending <= 0:
        return False
    stale = utcnow() - signed_at >= timedelta(seconds=policy.every_seconds)
    return pending >= policy.every_entries or stale


def install(factory: sessionmaker[Session], policy: CheckpointPolicy) -> None:
    """Check, at every commit made through `factory` that appended entries, whether a
    checkpoint is due.

    The check itself costs two queries under the append lock, on every write and every read
    (reads append CONSULT entries). So each process remembers the newest checkpoint it has
    seen and asks the database only when, by that memory, one may be due. The memory can only
    be older than the truth (another process signs), which makes the check run early, never
    late.
    """
    seen: list[tuple[int, datetime]] = [(0, _EPOCH)]  # (size, signed at) of the newest seen

    def _before_commit(session: Session) -> None:
        newest = session.info.pop(NEWEST_SEQ, None)
        if newest is None:
            return  # nothing appended in this transaction: nothing new to sign
        size, signed_at = seen[0]
        fresh = utcnow() - signed_at < timedelta(seconds=policy.every_seconds)
        if newest + 1 - size < policy.every_entries and fresh:
            return
        if checkpoint_due(session, policy):
            write_checkpoint(session, policy.signer, policy.origin)
        head = session.execute(
            select(AuditCheckpoint.tree_size, AuditCheckpoint.signed_at)
            .order_by(AuditCheckpoint.tree_size.desc())
            .limit(1)
        ).first()
        if head is not None:
            seen[0] = (head[0], head[1])

    def _after_rollback(session: Session) -> None:
        session.info.pop(NEWEST_SEQ, None)

    event.listen(factory, "before_commit", _before_commit)
    event.listen(factory, "after_rollback", _after_rollback)


def _register_key(session: Session, signer: Ed25519PrivateKey) -> None:
    public = signer.public_key()
    kid = key_id(public)
    if session.get(AuditSigningKey, kid) is None:
        session.add(
            AuditSigningKey(
                key_id=kid, public_key=public_key_base64(public), first_used_at=utcnow()
            )
        )
        session.flush()
