"""Whole-log verification: every tampering class is detected, classified and located.

One synthetic log of 10,037 entries with a checkpoint every 100 entries (sizes 100 ..
10,000, leaving an unsigned tail of 37) is built once; each example tampers with a copy.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from hypothesis import given, settings
from hypothesis import strategies as st

from hub.audit.checkpoint import Checkpoint, generate_signing_key, make_keyring, sign_checkpoint
from hub.audit.merkle import MerkleTree
from hub.audit.verify import (
    Entry,
    FailureClass,
    Verdict,
    verify_checkpoint_consistency,
    verify_inclusion_for_entry,
    verify_log,
)

ORIGIN = "mappa-hub/test-area"
COUNT = 10_037
EVERY = 100
SIGNED = COUNT // EVERY * EVERY  # 10,000: entries past this are not yet checkpointed
START = datetime(2025, 1, 1, tzinfo=UTC)
EXAMPLES = settings(max_examples=40, deadline=None)


def canonical(seq: int, note: str = "") -> bytes:
    return b'{"event":"record.read","record":"R%05d","seq":%d%s}' % (
        seq * 7 % 99991,
        seq,
        note.encode(),
    )


@functools.cache
def signing_key() -> Ed25519PrivateKey:
    return generate_signing_key()


@functools.cache
def keyring() -> dict[str, Ed25519PublicKey]:
    return make_keyring([signing_key().public_key()])


def sign(size: int, root: bytes, key: Ed25519PrivateKey | None = None) -> Checkpoint:
    when = START + timedelta(minutes=size)
    return sign_checkpoint(key or signing_key(), ORIGIN, size, root, when)


@functools.cache
def log() -> tuple[tuple[Entry, ...], tuple[Checkpoint, ...], MerkleTree]:
    entries = tuple(Entry.from_canonical(seq, canonical(seq)) for seq in range(COUNT))
    tree = MerkleTree(entry.leaf_hash for entry in entries)
    heads = tuple(sign(size, tree.root(size)) for size in range(EVERY, COUNT + 1, EVERY))
    return entries, heads, tree


def check(entries: Sequence[Entry], heads: Sequence[Checkpoint]) -> Verdict:
    return verify_log(entries, heads, keyring())


def assert_fails(verdict: Verdict, failure: FailureClass, first_bad_seq: int | None) -> None:
    assert not verdict.ok
    assert verdict.failure is failure, verdict.message
    assert verdict.first_bad_seq == first_bad_seq, verdict.message
    assert verdict.message.startswith(failure.name)
    if first_bad_seq is not None:
        assert f"seq {first_bad_seq}" in verdict.message


def test_intact_log_is_valid() -> None:
    entries, heads, _ = log()
    verdict = check(entries, heads)
    assert verdict.ok, verdict.message
    assert verdict.failure is None
    assert verdict.first_bad_seq is None
    assert (verdict.entries_checked, verdict.checkpoints_checked) == (COUNT, len(heads))
    assert "37 entries are not yet covered" in verdict.message


def test_checkpoint_order_does_not_matter() -> None:
    entries, heads, _ = log()
    assert check(entries, heads[::-1]).ok


def test_empty_log_is_valid() -> None:
    verdict = check([], [])
    assert verdict.ok
    assert verdict.entries_checked == verdict.checkpoints_checked == 0
    assert verdict.message == "empty log: nothing to verify, valid."


def test_entries_without_checkpoints_are_valid_but_unsigned() -> None:
    entries, _, _ = log()
    verdict = check(entries[:50], [])
    assert verdict.ok
    assert "50 entries are not yet covered" in verdict.message


def test_rotated_keys_verify_with_a_keyring_holding_both() -> None:
    entries, _, tree = log()
    retired, current = generate_signing_key(), generate_signing_key()
    heads = [
        sign(size, tree.root(size), retired if size <= 5000 else current)
        for size in range(EVERY, SIGNED + 1, EVERY)
    ]
    both = make_keyring([retired.public_key(), current.public_key()])
    assert verify_log(entries, heads, both).ok
    verdict = verify_log(entries, heads, make_keyring([current.public_key()]))
    assert verdict.failure is FailureClass.BAD_SIGNATURE
    assert verdict.bad_checkpoint == 0


@EXAMPLES
@given(
    seq=st.integers(0, COUNT - 1),
    how=st.sampled_from(["append", "flip", "replace", "hash-only"]),
)
def test_edit_is_found_exactly(seq: int, how: str) -> None:
    entries, heads, _ = log()
    tampered = list(entries)
    old = tampered[seq]
    if how == "append":
        changed = dataclasses.replace(old, canonical=old.canonical + b" ")
    elif how == "flip":
        body = bytearray(old.canonical)
        body[len(body) // 2] ^= 0x01
        changed = dataclasses.replace(old, canonical=bytes(body))
    elif how == "replace":
        changed = dataclasses.replace(old, canonical=canonical(seq, ',"x":1'))
    else:
        changed = dataclasses.replace(old, leaf_hash=hashlib.sha256(b"forged").digest())
    tampered[seq] = changed
    assert_fails(check(tampered, heads), FailureClass.EDITED, seq)


@EXAMPLES
@given(seq=st.integers(0, COUNT - 2))
def test_delete_is_found_exactly(seq: int) -> None:
    entries, heads, _ = log()
    tampered = list(entries)
    del tampered[seq]
    assert_fails(check(tampered, heads), FailureClass.DELETED, seq)


@EXAMPLES
@given(
    seq=st.integers(0, COUNT - 1),
    position=st.integers(0, COUNT),
    foreign=st.booleans(),
)
def test_insert_is_found_exactly(seq: int, position: int, foreign: bool) -> None:
    entries, heads, _ = log()
    tampered = list(entries)
    extra = Entry.from_canonical(seq, canonical(seq, ',"forged":1')) if foreign else entries[seq]
    tampered.insert(position, extra)
    assert_fails(check(tampered, heads), FailureClass.INSERTED, seq)


def test_negative_seq_counts_as_inserted() -> None:
    entries, heads, _ = log()
    tampered = [*entries, Entry.from_canonical(-4, canonical(-4))]
    assert_fails(check(tampered, heads), FailureClass.INSERTED, -4)


@EXAMPLES
@given(st.lists(st.integers(0, COUNT - 1), min_size=2, max_size=2, unique=True))
def test_reorder_is_found_at_first_broken_position(pair: list[int]) -> None:
    first, second = sorted(pair)
    entries, heads, _ = log()
    tampered = list(entries)
    tampered[first], tampered[second] = tampered[second], tampered[first]
    verdict = check(tampered, heads)
    # Position `first` now holds seq `second`: the first place the order breaks.
    assert_fails(verdict, FailureClass.REORDERED, second)
    assert f"position {first} " in verdict.message


@EXAMPLES
@given(keep=st.integers(0, SIGNED - 1))
def test_truncation_is_found_at_first_missing_seq(keep: int) -> None:
    entries, heads, _ = log()
    assert_fails(check(entries[:keep], heads), FailureClass.TRUNCATED, keep)


def test_dropping_only_the_unsigned_tail_is_not_detectable() -> None:
    # Documented limit: nothing signed covers entries past the newest checkpoint.
    entries, heads, _ = log()
    assert check(entries[:SIGNED], heads).ok


@EXAMPLES
@given(size=st.integers(0, SIGNED), position=st.integers(0, SIGNED // EVERY), salt=st.binary())
def test_fork_is_found(size: int, position: int, salt: bytes) -> None:
    entries, heads, tree = log()
    other_root = hashlib.sha256(b"other history" + salt).digest()
    assert other_root != tree.root(size)
    tampered = list(heads)
    tampered.insert(position, sign(size, other_root))
    verdict = check(entries, tampered)
    assert_fails(verdict, FailureClass.FORKED, None)
    assert verdict.bad_checkpoint is not None
    assert "#" in verdict.message


@EXAMPLES
@given(start=st.integers(0, SIGNED - 1), length=st.integers(1, COUNT), note=st.text(max_size=5))
def test_tail_rewrite_with_recomputed_hashes_is_bounded_by_checkpoints(
    start: int, length: int, note: str
) -> None:
    entries, heads, _ = log()
    tampered = list(entries)
    for seq in range(start, min(start + length, COUNT)):
        tampered[seq] = Entry.from_canonical(seq, canonical(seq, f',"rewritten":"{note}"'))
    verdict = check(tampered, heads)
    good = start // EVERY * EVERY
    assert_fails(verdict, FailureClass.EDITED, good)
    assert verdict.bad_range == (good, good + EVERY - 1)
    assert start in range(verdict.bad_range[0], verdict.bad_range[1] + 1)
    assert f"{good}..{good + EVERY - 1}" in verdict.message


def test_delete_with_renumbering_shows_as_edit_interval() -> None:
    # Documented limit: renumbering hides the gap, the next checkpoint still catches it.
    entries, heads, _ = log()
    kept = [*entries[:4321], *entries[4322:]]
    renumbered = [Entry.from_canonical(seq, canonical(seq + 1)) for seq in range(4321, COUNT - 1)]
    verdict = check([*kept[:4321], *renumbered], heads)
    assert_fails(verdict, FailureClass.EDITED, 4300)


def test_mismatching_newest_checkpoint_alone_reads_as_edit() -> None:
    entries, heads, _ = log()
    forged = sign(COUNT, hashlib.sha256(b"elsewhere").digest())
    verdict = check(entries, [*heads, forged])
    assert_fails(verdict, FailureClass.EDITED, SIGNED)
    assert verdict.bad_range == (SIGNED, COUNT - 1)


def test_fork_between_checkpoint_sizes_is_proven_by_a_later_matching_head() -> None:
    entries, heads, _ = log()
    forged = sign(4321, hashlib.sha256(b"other history").digest())
    verdict = check(entries, [*heads, forged])
    assert_fails(verdict, FailureClass.FORKED, None)
    assert verdict.bad_checkpoint == len(heads)
    assert "(size 4321)" in verdict.message
    assert "(size 4400), which matches the entries" in verdict.message


def test_same_size_fork_names_both_checkpoints() -> None:
    entries, heads, _ = log()
    forged = sign(700, hashlib.sha256(b"other history").digest())
    verdict = check(entries, [*heads, forged])
    assert_fails(verdict, FailureClass.FORKED, None)
    assert f"checkpoints #6 and #{len(heads)} both sign size 700" in verdict.message


def test_bogus_empty_tree_head_is_a_fork() -> None:
    entries, heads, _ = log()
    verdict = check(entries, [sign(0, hashlib.sha256(b"x").digest()), *heads])
    assert_fails(verdict, FailureClass.FORKED, None)


@EXAMPLES
@given(index=st.integers(0, SIGNED // EVERY - 1), byte=st.integers(0, 63), bit=st.integers(0, 7))
def test_bad_signature_is_found(index: int, byte: int, bit: int) -> None:
    entries, heads, _ = log()
    tampered = list(heads)
    signature = bytearray(tampered[index].signature)
    signature[byte] ^= 1 << bit
    tampered[index] = dataclasses.replace(tampered[index], signature=bytes(signature))
    verdict = check(entries, tampered)
    assert_fails(verdict, FailureClass.BAD_SIGNATURE, None)
    assert verdict.bad_checkpoint == index


def test_unknown_key_is_a_bad_signature() -> None:
    entries, heads, tree = log()
    stranger = generate_signing_key()
    tampered = [*heads[:5], sign(600, tree.root(600), stranger), *heads[6:]]
    verdict = check(entries, tampered)
    assert_fails(verdict, FailureClass.BAD_SIGNATURE, None)
    assert verdict.bad_checkpoint == 5


def test_checkpoint_for_another_log_is_refused() -> None:
    entries, heads, tree = log()
    other = sign_checkpoint(signing_key(), "mappa-hub/other-area", 100, tree.root(100), START)
    verdict = check(entries, [*heads, other])
    assert_fails(verdict, FailureClass.BAD_SIGNATURE, None)
    assert verify_log(entries, heads, keyring(), origin="mappa-hub/elsewhere").failure is (
        FailureClass.BAD_SIGNATURE
    )


@pytest.mark.parametrize("seq", [0, 1, 99, 100, 5555, SIGNED - 1])
def test_inclusion_of_one_entry_in_a_signed_checkpoint(seq: int) -> None:
    entries, heads, tree = log()
    head = heads[-1]
    proof = tree.inclusion_proof(seq, head.tree_size)
    assert verify_inclusion_for_entry(entries[seq], proof, head, keyring())
    edited = dataclasses.replace(entries[seq], canonical=canonical(seq, ",1"))
    rehashed = Entry.from_canonical(seq, edited.canonical)
    for bad in (edited, rehashed):
        assert not verify_inclusion_for_entry(bad, proof, head, keyring())


def test_consistency_between_two_signed_checkpoints() -> None:
    _, heads, tree = log()
    old, new = heads[6], heads[-1]
    proof = tree.consistency_proof(old.tree_size, new.tree_size)
    assert verify_checkpoint_consistency(old, new, proof, keyring())
    forked = sign(old.tree_size, hashlib.sha256(b"other").digest())
    assert not verify_checkpoint_consistency(forked, new, proof, keyring())
