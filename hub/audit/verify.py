"""Offline verification of a whole audit log against its signed checkpoints.

`verify_log` takes the stored entries in the order they were read, the checkpoints and a
keyring, and returns one `Verdict`. Checks run in this order and stop at the first
failure, so a log with several kinds of damage reports the first kind in this list:

1. BAD_SIGNATURE: a checkpoint's key id is not in the keyring, its signature does not
   verify, or its origin differs from the log's (the `origin` argument, else the first
   checkpoint's). Everything below trusts the checkpoints, so they are checked first.
2. FORKED (signed heads alone): two checkpoints sign the same size with different roots.
3. Sequence numbers, which must read 0, 1, 2, ... in stored order:
   INSERTED: a seq stored more than once (or a negative seq); first bad = smallest such.
   DELETED: a seq missing below the largest seq present; first bad = smallest missing.
   REORDERED: every seq present exactly once but not in order; first bad = the seq held
   at the first stored position p whose seq is not p (the message names p too).
4. EDITED (exact): an entry whose recomputed leaf hash differs from its stored one;
   first bad = that entry's seq.
5. Roots: the RFC 9162 root of the first s recomputed leaf hashes is compared with
   every checkpoint of size s <= entry count. Let b be the smallest mismatching size.
   FORKED: some checkpoint larger than b matches. It commits to the stored leaves
   0..S-1, hence to leaves 0..b-1, so the head at b is a second, divergent history
   signed by a trusted key. (Also FORKED: a size-0 head not over the empty root.)
   EDITED (interval): no larger checkpoint matches. This is the signature of a tail
   rewrite whose stored hashes were recomputed: the checkpoint of size a (the largest
   matching size below b, else 0) still matches, so the entries covered by a are intact
   and the edit lies within seqs a..b-1. first bad = a, `bad_range` = (a, b - 1).
   The exact entry cannot be named from signed roots alone: a root commits to its
   leaves but does not locate a difference among them. Locating needs the original
   leaf hashes of that interval, e.g. an inclusion proof handed out when an entry was
   written (check it with `verify_inclusion_for_entry`), or denser checkpoints.
6. TRUNCATED: the largest checkpoint size exceeds the entry count;
   first bad = the first missing seq, which is the entry count.

Limits, stated so nobody relies on more:
* Entries after the newest checkpoint are covered only by checks 3 and 4: deleting the
  last entries, appending new ones, or rewriting them with recomputed hashes is not
  detectable until a checkpoint covers them.
* A delete or insert that renumbers later seqs and recomputes their hashes leaves no
  seq gap or duplicate; it shows as EDITED (interval) at the first checkpoint after it.
* A lone mismatching newest checkpoint is reported as EDITED, not FORKED: offline data
  cannot tell an edited tail from a head signed over a different history, and editing
  the database is the likelier attack than misusing the signing key.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Protocol

from hub.audit.checkpoint import Checkpoint, Keyring, verify_checkpoint
from hub.audit.merkle import EMPTY_ROOT, MerkleTree, leaf_hash, leaf_hashes, verify_consistency
from hub.audit.merkle import verify_inclusion as _verify_inclusion


class FailureClass(Enum):
    EDITED = "edited"
    DELETED = "deleted"
    INSERTED = "inserted"
    REORDERED = "reordered"
    TRUNCATED = "truncated"
    FORKED = "forked"
    BAD_SIGNATURE = "bad_signature"


class StoredEntry(Protocol):
    """What the verifier needs from a stored audit entry."""

    @property
    def seq(self) -> int: ...

    @property
    def canonical(self) -> bytes: ...

    @property
    def leaf_hash(self) -> bytes: ...


@dataclass(frozen=True, slots=True)
class Entry:
    """A plain stored entry, for callers without their own row type."""

    seq: int
    canonical: bytes
    leaf_hash: bytes

    @classmethod
    def from_canonical(cls, seq: int, canonical: bytes) -> Entry:
        return cls(seq, canonical, leaf_hash(canonical))


@dataclass(frozen=True, slots=True)
class Verdict:
    ok: bool
    entries_checked: int
    checkpoints_checked: int
    failure: FailureClass | None
    first_bad_seq: int | None
    message: str
    # Inclusive seq interval that holds an edit located only by checkpoints.
    bad_range: tuple[int, int] | None = None
    # Position, in the checkpoints given, of the checkpoint at fault (signature, fork).
    bad_checkpoint: int | None = None


@dataclass(frozen=True, slots=True)
class _Fault:
    failure: FailureClass
    first_bad_seq: int | None
    message: str
    bad_range: tuple[int, int] | None = None
    bad_checkpoint: int | None = None


def verify_log(
    entries: Sequence[StoredEntry],
    checkpoints: Sequence[Checkpoint],
    keyring: Keyring,
    *,
    origin: str | None = None,
) -> Verdict:
    """Verify every entry and checkpoint; see the module docstring for the rules."""
    count = len(entries)
    heads = list(checkpoints)
    if not count and not heads:
        return Verdict(True, 0, 0, None, None, "empty log: nothing to verify, valid.")

    fault = _signature_fault(heads, keyring, origin) or _same_size_fork(heads)
    if fault is None:
        seqs = [entry.seq for entry in entries]
        if seqs != list(range(count)):
            fault = _sequence_fault(seqs)
    if fault is None:
        computed = leaf_hashes([entry.canonical for entry in entries])
        fault = _hash_fault(computed, [entry.leaf_hash for entry in entries])
        fault = fault or _root_fault(MerkleTree(computed), heads) or _truncation(count, heads)
    if fault is not None:
        return Verdict(
            ok=False,
            entries_checked=count,
            checkpoints_checked=len(heads),
            failure=fault.failure,
            first_bad_seq=fault.first_bad_seq,
            message=f"{fault.failure.name}: {fault.message}",
            bad_range=fault.bad_range,
            bad_checkpoint=fault.bad_checkpoint,
        )

    unsigned = count - max((head.tree_size for head in heads), default=0)
    tail = f"; the last {unsigned} entries are not yet covered by a checkpoint" if unsigned else ""
    return Verdict(
        ok=True,
        entries_checked=count,
        checkpoints_checked=len(heads),
        failure=None,
        first_bad_seq=None,
        message=f"valid: {count} entries and {len(heads)} checkpoints verified{tail}.",
    )


def _signature_fault(
    heads: list[Checkpoint], keyring: Keyring, origin: str | None
) -> _Fault | None:
    log_origin = origin if origin is not None else heads[0].origin if heads else None
    for position, head in enumerate(heads):
        if head.origin != log_origin:
            return _Fault(
                FailureClass.BAD_SIGNATURE,
                None,
                f"checkpoint #{position} (size {head.tree_size}) is signed for log "
                f"{head.origin!r}, not {log_origin!r}.",
                bad_checkpoint=position,
            )
        if not verify_checkpoint(head, keyring):
            return _Fault(
                FailureClass.BAD_SIGNATURE,
                None,
                f"checkpoint #{position} (size {head.tree_size}, key {head.key_id}) "
                "has an unknown key or a signature that does not verify.",
                bad_checkpoint=position,
            )
    return None


def _first_at_size(heads: list[Checkpoint]) -> dict[int, int]:
    """Position of the first checkpoint given for each tree size."""
    first: dict[int, int] = {}
    for position, head in enumerate(heads):
        first.setdefault(head.tree_size, position)
    return first


def _same_size_fork(heads: list[Checkpoint]) -> _Fault | None:
    first = _first_at_size(heads)
    for position, head in enumerate(heads):
        earlier = first[head.tree_size]
        if heads[earlier].root_hash != head.root_hash:
            return _Fault(
                FailureClass.FORKED,
                None,
                f"checkpoints #{earlier} and #{position} both sign size {head.tree_size} "
                "with different roots.",
                bad_checkpoint=position,
            )
    return None


def _sequence_fault(seqs: list[int]) -> _Fault:
    """Classify a seq column that is not exactly 0, 1, 2, ..."""
    counts = Counter(seqs)
    extra = [seq for seq, times in counts.items() if times > 1 or seq < 0]
    if extra:
        seq = min(extra)
        if seq < 0:
            return _Fault(FailureClass.INSERTED, seq, f"seq {seq} cannot exist in a log from 0.")
        return _Fault(
            FailureClass.INSERTED,
            seq,
            f"seq {seq} is stored {counts[seq]} times; only one copy belongs to the log.",
        )
    present = sorted(counts)
    missing = next((index for index, seq in enumerate(present) if seq != index), None)
    if missing is not None:
        return _Fault(
            FailureClass.DELETED, missing, f"seq {missing} is missing (seq {present[-1]} exists)."
        )
    position = next(index for index, seq in enumerate(seqs) if seq != index)
    seq = seqs[position]
    return _Fault(
        FailureClass.REORDERED,
        seq,
        f"stored position {position} holds seq {seq} instead of seq {position}.",
    )


def _hash_fault(computed: list[bytes], stored: list[bytes]) -> _Fault | None:
    # Whole-list equality runs in C; only a failure pays for the Python-level search.
    if computed == stored:
        return None
    seq = next(
        s for s, (mine, theirs) in enumerate(zip(computed, stored, strict=True)) if mine != theirs
    )
    return _Fault(FailureClass.EDITED, seq, f"entry seq {seq} does not match its stored leaf hash.")


def _root_fault(tree: MerkleTree, heads: list[Checkpoint]) -> _Fault | None:
    first = _first_at_size(heads)
    sizes = sorted(size for size in first if size <= tree.size)
    matches = {size: tree.root(size) == heads[first[size]].root_hash for size in sizes}
    bad = next((size for size in sizes if not matches[size]), None)
    if bad is None:
        return None
    later_good = next((size for size in sizes if size > bad and matches[size]), None)
    if later_good is not None or bad == 0:
        witness = (
            f"checkpoint #{first[later_good]} (size {later_good}), which matches the entries"
            if later_good is not None
            else f"the empty-tree root {EMPTY_ROOT.hex()[:16]}..."
        )
        return _Fault(
            FailureClass.FORKED,
            None,
            f"checkpoint #{first[bad]} (size {bad}) signs a history that contradicts {witness}.",
            bad_checkpoint=first[bad],
        )
    good = max((size for size in sizes if size < bad), default=0)
    return _Fault(
        FailureClass.EDITED,
        good,
        f"the entries no longer match checkpoint #{first[bad]} (size {bad}) but match every "
        f"checkpoint up to size {good}, so an entry within seqs {good}..{bad - 1} was changed; "
        f"first possibly bad entry is seq {good}.",
        bad_range=(good, bad - 1),
        bad_checkpoint=first[bad],
    )


def _truncation(count: int, heads: list[Checkpoint]) -> _Fault | None:
    newest = max((head.tree_size for head in heads), default=0)
    if newest <= count:
        return None
    return _Fault(
        FailureClass.TRUNCATED,
        count,
        f"a checkpoint of size {newest} was signed but only {count} entries remain; "
        f"first missing entry is seq {count}.",
    )


def verify_inclusion_for_entry(
    entry: StoredEntry, proof: Sequence[bytes], checkpoint: Checkpoint, keyring: Keyring
) -> bool:
    """Is this entry, exactly as stored, in the tree a validly signed checkpoint covers?

    The leaf hash is recomputed from the canonical bytes, so a proof for the original
    entry fails against an edited copy even if its stored hash was rewritten too.
    """
    recomputed = leaf_hash(entry.canonical)
    return (
        recomputed == entry.leaf_hash
        and verify_checkpoint(checkpoint, keyring)
        and _verify_inclusion(
            recomputed, entry.seq, checkpoint.tree_size, proof, checkpoint.root_hash
        )
    )


def verify_checkpoint_consistency(
    old: Checkpoint, new: Checkpoint, proof: Sequence[bytes], keyring: Keyring
) -> bool:
    """Are two validly signed heads of the same log one history (new extends old)?

    This is how a party that kept an earlier checkpoint detects a fork without
    reading the log: ask for a consistency proof to the current head.
    """
    return (
        old.origin == new.origin
        and verify_checkpoint(old, keyring)
        and verify_checkpoint(new, keyring)
        and verify_consistency(old.tree_size, new.tree_size, old.root_hash, new.root_hash, proof)
    )
