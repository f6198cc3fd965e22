"""Inclusion and consistency proofs served from a per-process copy of the tree.

The tree is kept in memory (about 64 bytes a leaf: 64 MB at a million entries) and extended
from the log as it grows, so a proof costs O(log n) hashes instead of reading the whole log.
Before answering, the copy's root at the checkpoint's size is compared with the signed root: if
the stored leaf hashes no longer produce what was signed, the log has been tampered with and
no proof is given (fail closed; `hub audit verify` then names the entry).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.audit.checkpoint import Checkpoint
from hub.audit.checkpoints import latest_checkpoint
from hub.audit.merkle import MerkleTree
from hub.errors import HubError, InvalidInput, NotFound
from hub.models import AuditCheckpoint, AuditRecord

_BATCH = 50_000


class LogTampered(HubError):
    """The stored leaves no longer hash to a signed root."""


@dataclass(frozen=True)
class InclusionProof:
    seq: int
    leaf_hash: bytes
    path: list[bytes]
    checkpoint: Checkpoint


@dataclass(frozen=True)
class ConsistencyProof:
    old: Checkpoint
    new: Checkpoint
    path: list[bytes]


class ProofSource:
    def __init__(self) -> None:
        self._tree = MerkleTree()
        self._lock = threading.Lock()

    def inclusion(self, session: Session, seq: int) -> InclusionProof:
        head = latest_checkpoint(session)
        if head is None or seq >= head.tree_size:
            # Not yet under a signed checkpoint: there is nothing to prove it against.
            raise NotFound("checkpointed entry")
        checkpoint = as_checkpoint(head)
        tree = self._tree_at(session, checkpoint)
        path = tree.inclusion_proof(seq, checkpoint.tree_size)
        return InclusionProof(seq, tree.leaf(seq), path, checkpoint)

    def consistency(self, session: Session, old_size: int, new_size: int) -> ConsistencyProof:
        if old_size > new_size:
            raise InvalidInput("old", "must not be larger than new")
        old, new = (
            _checkpoint_at(session, old_size, "old"),
            _checkpoint_at(session, new_size, "new"),
        )
        tree = self._tree_at(session, new)
        if tree.root(old.tree_size) != old.root_hash:
            raise LogTampered("the log no longer hashes to the older signed root")
        return ConsistencyProof(old, new, tree.consistency_proof(old.tree_size, new.tree_size))

    def _tree_at(self, session: Session, checkpoint: Checkpoint) -> MerkleTree:
        with self._lock:
            tree = self._extended(session, self._tree, checkpoint.tree_size)
            if tree.root(checkpoint.tree_size) != checkpoint.root_hash:
                # This copy may be of another database's log (a restore, a test's rolled-back
                # transaction): build it afresh once before calling the log tampered with.
                tree = self._extended(session, MerkleTree(), checkpoint.tree_size)
            self._tree = tree
            if tree.root(checkpoint.tree_size) != checkpoint.root_hash:
                raise LogTampered("the log no longer hashes to the signed root")
            return tree

    @staticmethod
    def _extended(session: Session, tree: MerkleTree, size: int) -> MerkleTree:
        while len(tree) < size:
            hashes = session.scalars(
                select(AuditRecord.leaf_hash)
                .where(AuditRecord.seq >= len(tree))
                .order_by(AuditRecord.seq)
                .limit(min(_BATCH, size - len(tree)))
            ).all()
            if not hashes:
                raise LogTampered("entries under a signed checkpoint are missing")
            tree.extend(bytes(h) for h in hashes)
        return tree


def _checkpoint_at(session: Session, size: int, field: str) -> Checkpoint:
    row = session.get(AuditCheckpoint, size)
    if row is None:
        raise InvalidInput(field, f"no signed checkpoint at tree size {size}")
    return as_checkpoint(row)


def as_checkpoint(row: AuditCheckpoint) -> Checkpoint:
    return Checkpoint(
        origin=row.origin,
        tree_size=row.tree_size,
        root_hash=bytes(row.root_hash),
        timestamp=row.signed_at,
        key_id=row.key_id,
        signature=bytes(row.signature),
    )


PROOFS = ProofSource()  # one per process: workers each keep their own copy of the tree
