"""RFC 9162 Merkle tree: published RFC 6962 test vectors plus property tests.

Vectors: the Certificate Transparency test data (transparency-dev/merkle testonly and
proof/verify_test.go, same values as google/certificate-transparency merkle tests).
"""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hub.audit.merkle import (
    EMPTY_ROOT,
    MerkleTree,
    leaf_hash,
    leaf_hashes,
    node_hash,
    root,
    verify_consistency,
    verify_inclusion,
)

LEAVES = [
    bytes.fromhex(h)
    for h in (
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    )
]

# ROOTS[n] is the root of the tree over the first n leaves.
ROOTS = [
    bytes.fromhex(h)
    for h in (
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    )
]

LEAF_HASHES = [
    bytes.fromhex(h)
    for h in (
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
        "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
        "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
        "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1",
    )
]


def h(text: str) -> bytes:
    return bytes.fromhex(text)


# (leaf index, tree size, audit path)
INCLUSION_VECTORS = [
    (
        0,
        8,
        [
            h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
        ],
    ),
    (
        5,
        8,
        [
            h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
            h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
            h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        ],
    ),
    (2, 3, [h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125")]),
    (
        1,
        5,
        [
            h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
        ],
    ),
    (0, 1, []),
]

# (old size, new size, consistency proof)
CONSISTENCY_VECTORS = [
    (1, 1, []),
    (
        1,
        8,
        [
            h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
        ],
    ),
    (
        6,
        8,
        [
            h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
            h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
            h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        ],
    ),
    (
        2,
        5,
        [
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
        ],
    ),
    (
        6,
        7,
        [
            h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
            h("b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f"),
            h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        ],
    ),
]

SOME_HASH = h("abacaba000000000000000000000000000000000000000000060061e00123456")


def reference_mth(hashes: list[bytes]) -> bytes:
    """MTH straight from the RFC's recursive definition, to check the fast paths."""
    if not hashes:
        return hashlib.sha256(b"").digest()
    if len(hashes) == 1:
        return hashes[0]
    k = 1
    while k * 2 < len(hashes):
        k *= 2
    return node_hash(reference_mth(hashes[:k]), reference_mth(hashes[k:]))


def synthetic(n: int) -> list[bytes]:
    return leaf_hashes(b"leaf-%d" % i for i in range(n))


def test_leaf_hashes_match_vectors() -> None:
    assert [leaf_hash(data) for data in LEAVES] == LEAF_HASHES
    assert leaf_hashes(LEAVES) == LEAF_HASHES


@pytest.mark.parametrize("size", range(9))
def test_roots_match_vectors(size: int) -> None:
    assert root(LEAF_HASHES[:size]) == ROOTS[size]
    assert MerkleTree(LEAF_HASHES).root(size) == ROOTS[size]
    assert MerkleTree(LEAF_HASHES[:size]).root() == ROOTS[size]


def test_empty_root_is_hash_of_nothing() -> None:
    assert EMPTY_ROOT == ROOTS[0] == root([]) == MerkleTree().root()


@pytest.mark.parametrize(("index", "size", "path"), INCLUSION_VECTORS)
def test_inclusion_vectors(index: int, size: int, path: list[bytes]) -> None:
    tree = MerkleTree(LEAF_HASHES)
    assert tree.inclusion_proof(index, size) == path
    assert verify_inclusion(LEAF_HASHES[index], index, size, path, ROOTS[size])


@pytest.mark.parametrize(("old", "new", "proof"), CONSISTENCY_VECTORS)
def test_consistency_vectors(old: int, new: int, proof: list[bytes]) -> None:
    tree = MerkleTree(LEAF_HASHES)
    assert tree.consistency_proof(old, new) == proof
    assert verify_consistency(old, new, ROOTS[old], ROOTS[new], proof)


def inclusion_corruptions(
    index: int, size: int, path: list[bytes], root_hash: bytes, leaf: bytes
) -> list[tuple[bytes, int, int, list[bytes], bytes]]:
    """The corruption probes the CT test suite applies to every good audit path."""
    probes = [
        (leaf, index - 1, size, path, root_hash),
        (leaf, index + 1, size, path, root_hash),
        (leaf, index ^ 2, size, path, root_hash),
        (leaf, index, size * 2, path, root_hash),
        (leaf, index, size // 2, path, root_hash),
        (b"WrongLeaf", index, size, path, root_hash),
        (leaf, index, size, path, EMPTY_ROOT),
        (leaf, index, size, path, SOME_HASH),
        (leaf, index, size, [*path, b""], root_hash),
        (leaf, index, size, [*path, root_hash], root_hash),
        (leaf, index, size, [b"", *path], root_hash),
        (leaf, index, size, [root_hash, *path], root_hash),
    ]
    for i in range(len(path)):
        flipped = list(path)
        flipped[i] = bytes([flipped[i][0] ^ 8]) + flipped[i][1:]
        probes.append((leaf, index, size, flipped, root_hash))
    if path:
        probes.append((leaf, index, size, path[:-1], root_hash))
    if len(path) > 1:
        probes.append((leaf, index, size, [path[0], SOME_HASH, *path[1:]], root_hash))
    return probes


@pytest.mark.parametrize(("index", "size", "path"), INCLUSION_VECTORS)
def test_corrupted_inclusion_vectors_fail(index: int, size: int, path: list[bytes]) -> None:
    for probe in inclusion_corruptions(index, size, path, ROOTS[size], LEAF_HASHES[index]):
        assert not verify_inclusion(*probe), probe


@pytest.mark.parametrize(("old", "new", "proof"), CONSISTENCY_VECTORS[1:])
def test_corrupted_consistency_vectors_fail(old: int, new: int, proof: list[bytes]) -> None:
    r1, r2 = ROOTS[old], ROOTS[new]
    probes = [
        (old - 1, new, r1, r2, proof),
        (old + 1, new, r1, r2, proof),
        (old ^ 2, new, r1, r2, proof),
        (old, new * 2, r1, r2, proof),
        (old, new // 2, r1, r2, proof),
        (old, new, b"WrongRoot", r2, proof),
        (old, new, r1, b"WrongRoot", proof),
        (old, new, r2, r1, proof),
        (old, new, r1, r2, []),
        (old, new, r1, r2, [*proof, b""]),
        (old, new, r1, r2, [*proof, r1]),
        (old, new, r1, r2, [*proof, r2]),
        (old, new, r1, r2, [b"", *proof]),
        (old, new, r1, r2, [r1, *proof]),
        (old, new, r1, r2, [r2, *proof]),
        (old, new, r1, r2, [proof[0], *proof]),
        (old, new, r1, r2, proof[:-1]),
    ]
    for i in range(len(proof)):
        flipped = list(proof)
        flipped[i] = bytes([flipped[i][0] ^ 16]) + flipped[i][1:]
        probes.append((old, new, r1, r2, flipped))
    for probe in probes:
        assert not verify_consistency(*probe), probe


@pytest.mark.parametrize(("index", "size"), [(0, 0), (0, 1), (1, 0), (2, 1), (-1, 1)])
def test_inclusion_edge_cases_fail(index: int, size: int) -> None:
    assert not verify_inclusion(SOME_HASH, index, size, [], b"")
    assert not verify_inclusion(b"", index, size, [], EMPTY_ROOT)
    assert not verify_inclusion(SOME_HASH, index, size, [], EMPTY_ROOT)


def test_single_leaf_inclusion() -> None:
    single = leaf_hash(b"data")
    assert verify_inclusion(single, 0, 1, [], single)
    assert not verify_inclusion(single, 0, 1, [], b"")
    assert not verify_inclusion(b"", 0, 1, [], single)


def test_consistency_edge_cases() -> None:
    a, b = SOME_HASH, EMPTY_ROOT
    # Equal sizes: roots must agree and the proof must be empty.
    assert verify_consistency(1, 1, a, a, [])
    assert not verify_consistency(1, 1, a, b, [])
    assert not verify_consistency(1, 1, a, a, [b])
    assert verify_consistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [])
    assert not verify_consistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [b])
    # Old size 0: the empty tree is a prefix of everything, with an empty proof.
    assert verify_consistency(0, 5, EMPTY_ROOT, a, [])
    assert not verify_consistency(0, 5, EMPTY_ROOT, a, [b])
    assert not verify_consistency(0, 5, a, a, [])
    # Going back in time, or a non-trivial pair with no proof.
    assert not verify_consistency(1, 0, a, b, [])
    assert not verify_consistency(2, 1, a, b, [])
    assert not verify_consistency(1, 2, a, b, [])
    assert not verify_consistency(-1, 2, a, b, [])


@pytest.mark.parametrize("old", [1, 2, 4, 8, 16, 32])
def test_power_of_two_old_sizes(old: int) -> None:
    hashes = synthetic(50)
    tree = MerkleTree(hashes)
    for new in range(old, 51):
        proof = tree.consistency_proof(old, new)
        assert verify_consistency(old, new, tree.root(old), tree.root(new), proof)
        if old < new:
            assert proof[0] != tree.root(old), "the old root is implied, not sent"


def test_bad_arguments_raise() -> None:
    tree = MerkleTree(synthetic(4))
    with pytest.raises(ValueError, match="outside"):
        tree.inclusion_proof(4, 4)
    with pytest.raises(ValueError, match="outside"):
        tree.root(5)
    with pytest.raises(ValueError, match="outside"):
        tree.consistency_proof(3, 2)
    with pytest.raises(ValueError, match="32 bytes"):
        tree.append(b"short")
    with pytest.raises(IndexError):
        tree.leaf(4)
    assert tree.leaf(3) == synthetic(4)[3]


def test_append_one_by_one_equals_bulk_and_reference() -> None:
    hashes = synthetic(130)
    one_by_one = MerkleTree()
    for count, item in enumerate(hashes, start=1):
        one_by_one.append(item)
        assert one_by_one.root() == reference_mth(hashes[:count])
    bulk = MerkleTree(hashes[:37])
    bulk.extend(hashes[37:])
    assert len(bulk) == len(one_by_one) == 130
    for size in range(131):
        assert bulk.root(size) == one_by_one.root(size) == root(hashes[:size])


@settings(max_examples=150, deadline=None)
@given(st.integers(min_value=1, max_value=600), st.data())
def test_every_inclusion_proof_verifies_and_rejects_wrong_inputs(
    size: int, data: st.DataObject
) -> None:
    hashes = synthetic(size)
    tree = MerkleTree(hashes)
    top = tree.root()
    assert top == reference_mth(hashes)
    index = data.draw(st.integers(min_value=0, max_value=size - 1))
    proof = tree.inclusion_proof(index)
    assert verify_inclusion(hashes[index], index, size, proof, top)
    assert not verify_inclusion(leaf_hash(b"not in the log"), index, size, proof, top)
    other = data.draw(st.integers(min_value=0, max_value=size - 1).filter(lambda i: i != index))
    assert not verify_inclusion(hashes[index], other, size, proof, top)
    assert not verify_inclusion(hashes[index], index, size, proof, SOME_HASH)
    # Checked against an earlier head, every leaf present then verifies too.
    earlier = data.draw(st.integers(min_value=index + 1, max_value=size))
    old_proof = tree.inclusion_proof(index, earlier)
    assert verify_inclusion(hashes[index], index, earlier, old_proof, tree.root(earlier))


@settings(max_examples=150, deadline=None)
@given(st.integers(min_value=1, max_value=600), st.data())
def test_every_consistency_proof_verifies_and_rejects_altered_roots(
    new: int, data: st.DataObject
) -> None:
    tree = MerkleTree(synthetic(new))
    old = data.draw(st.integers(min_value=0, max_value=new))
    old_root, new_root = tree.root(old), tree.root()
    proof = tree.consistency_proof(old, new)
    assert verify_consistency(old, new, old_root, new_root, proof)
    altered = bytes([old_root[0] ^ 1]) + old_root[1:]
    assert not verify_consistency(old, new, altered, new_root, proof)
    altered = bytes([new_root[0] ^ 1]) + new_root[1:]
    # The empty tree is a prefix of every tree, so only old > 0 constrains the new root.
    assert verify_consistency(old, new, old_root, altered, proof) is (old == 0)
    if 0 < old < new:
        assert not verify_consistency(old, new, old_root, new_root, proof[:-1])
