"""RFC 9162 (Certificate Transparency v2) Merkle tree hashing, proofs and proof checks.

The audit log's entries are the leaves of a Merkle tree built exactly as RFC 9162 §2.1
defines it, so any third party with an RFC 9162 verifier can check our proofs:

* leaf hash  = SHA-256(0x00 || leaf bytes)
* node hash  = SHA-256(0x01 || left || right)
* the root of the empty tree is SHA-256("")
* a tree of n > 1 leaves splits at k, the largest power of two smaller than n.

`MerkleTree` keeps, for every level h, the hashes of the complete (2**h-leaf) subtrees
seen so far, packed into one bytearray per level: about 64 bytes per leaf in total, and
no per-hash Python objects. Every RFC subtree is either such a complete subtree or a
right-edge subtree, which folds from O(log n) complete ones, so roots and proofs for any
earlier tree size cost O(log n) or O(log² n) hashes without rehashing leaves.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from hashlib import sha256

HASH_SIZE = 32
EMPTY_ROOT = sha256(b"").digest()

_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"


def leaf_hash(data: bytes) -> bytes:
    """Hash one leaf's bytes (RFC 9162 §2.1.1)."""
    return sha256(_LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Hash an interior node from its two children (RFC 9162 §2.1.1)."""
    return sha256(_NODE_PREFIX + left + right).digest()


def leaf_hashes(leaves: Iterable[bytes]) -> list[bytes]:
    """Hash many leaves; a list comprehension keeps the loop out of Python bytecode calls."""
    prefix = _LEAF_PREFIX
    return [sha256(prefix + data).digest() for data in leaves]


def _pair_up(level: Sequence[bytes]) -> list[bytes]:
    """Hash adjacent pairs (0,1), (2,3), ...; an odd last element is left out."""
    prefix = _NODE_PREFIX
    return [sha256(prefix + a + b).digest() for a, b in zip(level[0::2], level[1::2], strict=False)]


def root(hashes: Sequence[bytes]) -> bytes:
    """Merkle tree hash (MTH) of already-hashed leaves.

    Reduces level by level instead of recursing on the split point: carrying an unpaired
    last node up unchanged produces exactly the RFC tree, and the per-level list
    comprehension is several times faster than recursion over a million leaves.
    """
    level = list(hashes)
    if not level:
        return EMPTY_ROOT
    while len(level) > 1:
        carried = level[-1] if len(level) % 2 else None
        level = _pair_up(level)
        if carried is not None:
            level.append(carried)
    return level[0]


def _largest_power_of_two_below(n: int) -> int:
    """k such that k < n <= 2k (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


class MerkleTree:
    """An append-only RFC 9162 tree over leaf hashes that can answer for any past size."""

    __slots__ = ("_levels", "_size")

    def __init__(self, hashes: Iterable[bytes] = ()) -> None:
        # _levels[h] holds the complete subtrees of 2**h leaves, HASH_SIZE bytes each.
        self._levels: list[bytearray] = [bytearray()]
        self._size = 0
        self.extend(hashes)

    def __len__(self) -> int:
        return self._size

    @property
    def size(self) -> int:
        return self._size

    def storage_bytes(self) -> int:
        """Bytes of hashes held: about 64 per leaf."""
        return sum(len(level) for level in self._levels)

    def append(self, hash_: bytes) -> None:
        """Add one leaf hash; amortised one node hash, O(log n) at worst."""
        self.extend((hash_,))

    def extend(self, hashes: Iterable[bytes]) -> None:
        """Add many leaf hashes, building each level with one bulk pass."""
        new = list(hashes)
        if not new:
            return
        if set(map(len, new)) != {HASH_SIZE}:
            raise ValueError(f"every leaf hash must be {HASH_SIZE} bytes")
        added = len(new)
        height = 0
        while new:
            if height == len(self._levels):
                self._levels.append(bytearray())
            stored = self._levels[height]
            count = len(stored) // HASH_SIZE
            if count:
                stored += b"".join(new)
            else:
                # Joining straight into a bytearray saves copying a 32 MB level twice.
                stored = self._levels[height] = bytearray().join(new)
            # An odd count means the level's last node was waiting for a right sibling.
            if count % 2:
                new.insert(0, bytes(stored[(count - 1) * HASH_SIZE : count * HASH_SIZE]))
            new = _pair_up(new)
            height += 1
        self._size += added

    def leaf(self, index: int) -> bytes:
        """The stored hash of leaf `index`."""
        if not 0 <= index < self._size:
            raise IndexError(f"leaf index {index} outside tree of size {self._size}")
        return self._node(0, index)

    def _node(self, height: int, index: int) -> bytes:
        start = index * HASH_SIZE
        return bytes(self._levels[height][start : start + HASH_SIZE])

    def _range_hash(self, start: int, end: int) -> bytes:
        """MTH of leaves [start, end), where start is a multiple of the range's split size.

        That alignment holds for every subtree met while walking down from a root, so
        the range splits into complete stored subtrees, largest first; the RFC tree over
        them is their right-to-left fold.
        """
        parts: list[bytes] = []
        position = start
        remaining = end - start
        while remaining:
            height = remaining.bit_length() - 1
            parts.append(self._node(height, position >> height))
            position += 1 << height
            remaining -= 1 << height
        if not parts:
            return EMPTY_ROOT
        result = parts.pop()
        while parts:
            result = node_hash(parts.pop(), result)
        return result

    def _check_size(self, size: int | None) -> int:
        if size is None:
            return self._size
        if not 0 <= size <= self._size:
            raise ValueError(f"tree size {size} outside 0..{self._size}")
        return size

    def root(self, size: int | None = None) -> bytes:
        """Root hash of the tree as it was at `size` leaves (default: now)."""
        return self._range_hash(0, self._check_size(size))

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """Audit path for leaf `index` in the tree of `size` leaves (RFC 9162 §2.1.3.1)."""
        size = self._check_size(size)
        if not 0 <= index < size:
            raise ValueError(f"leaf index {index} outside tree of size {size}")
        # The RFC lists siblings bottom-up; walking top-down collects them in reverse.
        siblings: list[bytes] = []
        start, end = 0, size
        while end - start > 1:
            middle = start + _largest_power_of_two_below(end - start)
            if index < middle:
                siblings.append(self._range_hash(middle, end))
                end = middle
            else:
                siblings.append(self._range_hash(start, middle))
                start = middle
        siblings.reverse()
        return siblings

    def consistency_proof(self, old_size: int, new_size: int | None = None) -> list[bytes]:
        """Proof that the tree at `old_size` is a prefix of the tree at `new_size`.

        RFC 9162 §2.1.4.1 SUBPROOF, walked top-down; empty when old_size is 0 or equal
        to new_size, since those need no proof.
        """
        new_size = self._check_size(new_size)
        if not 0 <= old_size <= new_size:
            raise ValueError(f"old size {old_size} outside 0..{new_size}")
        if old_size in (0, new_size):
            return []
        proof: list[bytes] = []
        start, end = 0, new_size
        old_tree_is_whole_subtree = True
        while old_size != end:
            middle = start + _largest_power_of_two_below(end - start)
            if old_size <= middle:
                proof.append(self._range_hash(middle, end))
                end = middle
            else:
                proof.append(self._range_hash(start, middle))
                start = middle
                old_tree_is_whole_subtree = False
        if not old_tree_is_whole_subtree:
            # The verifier cannot rebuild this subtree from the old root alone.
            proof.append(self._range_hash(start, end))
        proof.reverse()
        return proof


def verify_inclusion(
    hash_: bytes, index: int, tree_size: int, proof: Sequence[bytes], root_hash: bytes
) -> bool:
    """Check an audit path (RFC 9162 §2.1.3.2): is leaf `hash_` at `index` under `root_hash`?"""
    if not 0 <= index < tree_size:
        return False
    if any(len(p) != HASH_SIZE for p in proof):
        return False
    fn, sn = index, tree_size - 1
    result = hash_
    for sibling in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            result = node_hash(sibling, result)
            if not fn & 1:
                # Skip levels where this node has no right sibling (right edge of tree).
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            result = node_hash(result, sibling)
        fn >>= 1
        sn >>= 1
    return sn == 0 and result == root_hash


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """Check a consistency proof (RFC 9162 §2.1.4.2) between two tree heads.

    Trivial cases the RFC leaves to the caller: equal sizes need equal roots and an
    empty proof; size 0 needs an empty proof and the empty-tree root.
    """
    if not 0 <= old_size <= new_size:
        return False
    if old_size == new_size:
        return not proof and old_root == new_root
    if old_size == 0:
        return not proof and old_root == EMPTY_ROOT
    if not proof or any(len(p) != HASH_SIZE for p in proof):
        return False
    path = list(proof)
    if old_size & (old_size - 1) == 0:
        # The old tree is a complete subtree: its root is the proof's implicit first node.
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    old_result = new_result = path[0]
    for node in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            old_result = node_hash(node, old_result)
            new_result = node_hash(node, new_result)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            new_result = node_hash(new_result, node)
        fn >>= 1
        sn >>= 1
    return sn == 0 and old_result == old_root and new_result == new_root
