"""The compact range of a Merkle tree: the roots of the perfect subtrees that cover it.

A tree of n leaves is, left to right, one perfect subtree per set bit of n (largest
first); RFC 9162's root is those subtree roots folded from the right. Keeping them lets a
checkpoint extend the previous one by hashing only the new leaves.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from hub.audit.merkle import EMPTY_ROOT, HASH_SIZE, node_hash


def extend(frontier: Sequence[bytes], size: int, leaf_hashes: Iterable[bytes]) -> list[bytes]:
    """The frontier after appending `leaf_hashes` to a tree of `size` leaves."""
    stack = list(frontier)
    for leaf in leaf_hashes:
        stack.append(leaf)
        size += 1
        # Each trailing zero bit of the new size is a pair of equal subtrees to merge.
        bits = size
        while bits & 1 == 0:
            right = stack.pop()
            stack[-1] = node_hash(stack[-1], right)
            bits >>= 1
    return stack


def root_of(frontier: Sequence[bytes]) -> bytes:
    if not frontier:
        return EMPTY_ROOT
    result = frontier[-1]
    for subtree in reversed(frontier[:-1]):
        result = node_hash(subtree, result)
    return result


def pack(frontier: Sequence[bytes]) -> bytes:
    return b"".join(frontier)


def unpack(data: bytes, size: int) -> list[bytes]:
    if len(data) != HASH_SIZE * bin(size).count("1"):
        raise ValueError(f"frontier of {len(data)} bytes does not fit a tree of {size} leaves")
    return [data[i : i + HASH_SIZE] for i in range(0, len(data), HASH_SIZE)]
