"""Signed tree heads: signing, verification, tampering, key rotation, import/export."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hub.audit.checkpoint import (
    Checkpoint,
    CheckpointFormatError,
    KeyFormatError,
    generate_signing_key,
    key_id,
    load_private_key,
    load_public_key,
    make_keyring,
    public_key_base64,
    public_key_pem,
    save_private_key,
    sign_checkpoint,
    verify_checkpoint,
)

ORIGIN = "mappa-hub/test-area"
ROOT = hashlib.sha256(b"some root").digest()
WHEN = datetime(2025, 3, 4, 5, 6, 7, 890123, tzinfo=UTC)


@pytest.fixture(scope="module")
def key() -> Ed25519PrivateKey:
    return generate_signing_key()


@pytest.fixture(scope="module")
def checkpoint(key: Ed25519PrivateKey) -> Checkpoint:
    return sign_checkpoint(key, ORIGIN, 1234, ROOT, WHEN)


def test_signed_checkpoint_verifies(key: Ed25519PrivateKey, checkpoint: Checkpoint) -> None:
    assert verify_checkpoint(checkpoint, make_keyring([key.public_key()]))
    assert checkpoint.key_id == key_id(key.public_key())
    assert checkpoint.timestamp == WHEN


def test_key_id_is_first_eight_bytes_of_sha256_of_raw_key(key: Ed25519PrivateKey) -> None:
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    assert key_id(key.public_key()) == hashlib.sha256(raw).hexdigest()[:16]


def test_signed_message_is_one_field_per_line(checkpoint: Checkpoint) -> None:
    lines = checkpoint.signed_message().decode().split("\n")
    assert lines == [
        "mappa-hub-checkpoint/v1",
        ORIGIN,
        "1234",
        base64.b64encode(ROOT).decode(),
        "2025-03-04T05:06:07.890123Z",
        checkpoint.key_id,
        "",
    ]


def test_timestamp_is_normalised_to_utc(key: Ed25519PrivateKey) -> None:
    plus_two = timezone(timedelta(hours=2))
    local = datetime(2025, 3, 4, 7, 6, 7, 890123, tzinfo=plus_two)
    signed = sign_checkpoint(key, ORIGIN, 1, ROOT, local)
    assert signed.timestamp == WHEN
    assert signed.timestamp.utcoffset() == timedelta(0)
    assert signed.to_dict()["timestamp"] == "2025-03-04T05:06:07.890123Z"


def test_default_timestamp_is_now(key: Ed25519PrivateKey) -> None:
    before = datetime.now(UTC)
    signed = sign_checkpoint(key, ORIGIN, 1, ROOT)
    assert before <= signed.timestamp <= datetime.now(UTC)


def test_naive_timestamp_is_refused(key: Ed25519PrivateKey) -> None:
    with pytest.raises(CheckpointFormatError, match="timestamp"):
        sign_checkpoint(key, ORIGIN, 1, ROOT, datetime(2025, 1, 1))  # noqa: DTZ001


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("origin", "mappa-hub/other-area"),
        ("tree_size", 1235),
        ("root_hash", hashlib.sha256(b"another root").digest()),
        ("timestamp", WHEN + timedelta(microseconds=1)),
        ("key_id", "0123456789abcdef"),
        ("signature", bytes(64)),
    ],
)
def test_tampering_with_any_field_fails(
    key: Ed25519PrivateKey, checkpoint: Checkpoint, field: str, value: Any
) -> None:
    tampered = dataclasses.replace(checkpoint, **{field: value})
    keyring = make_keyring([key.public_key()])
    assert not verify_checkpoint(tampered, keyring)


def test_flipped_signature_bit_fails(key: Ed25519PrivateKey, checkpoint: Checkpoint) -> None:
    signature = bytearray(checkpoint.signature)
    signature[10] ^= 1
    tampered = dataclasses.replace(checkpoint, signature=bytes(signature))
    assert not verify_checkpoint(tampered, make_keyring([key.public_key()]))


def test_wrong_key_fails(checkpoint: Checkpoint) -> None:
    stranger = generate_signing_key().public_key()
    assert not verify_checkpoint(checkpoint, make_keyring([stranger]))
    # Even filed under the signer's id, another key does not verify it.
    assert not verify_checkpoint(checkpoint, {checkpoint.key_id: stranger})
    assert not verify_checkpoint(checkpoint, {})


def test_rotation_keeps_old_checkpoints_verifiable() -> None:
    retired, current = generate_signing_key(), generate_signing_key()
    old = sign_checkpoint(retired, ORIGIN, 100, ROOT, WHEN)
    new = sign_checkpoint(current, ORIGIN, 200, ROOT, WHEN + timedelta(days=1))
    assert old.key_id != new.key_id
    keyring = make_keyring([retired.public_key(), current.public_key()])
    assert verify_checkpoint(old, keyring)
    assert verify_checkpoint(new, keyring)
    assert not verify_checkpoint(old, make_keyring([current.public_key()]))


def test_dict_round_trip_through_json(key: Ed25519PrivateKey, checkpoint: Checkpoint) -> None:
    exported = json.loads(json.dumps(checkpoint.to_dict()))
    restored = Checkpoint.from_dict(exported)
    assert restored == checkpoint
    assert verify_checkpoint(restored, make_keyring([key.public_key()]))


def test_plus_zero_offset_is_accepted(checkpoint: Checkpoint) -> None:
    exported = checkpoint.to_dict()
    exported["timestamp"] = "2025-03-04T05:06:07.890123+00:00"
    assert Checkpoint.from_dict(exported) == checkpoint


def _with(checkpoint: Checkpoint, **changes: Any) -> dict[str, Any]:
    data = checkpoint.to_dict()
    for name, value in changes.items():
        if value is _MISSING:
            del data[name]
        else:
            data[name] = value
    return data


_MISSING = object()


@pytest.mark.parametrize(
    ("field", "changes"),
    [
        ("origin", {"origin": _MISSING}),
        ("origin", {"origin": ""}),
        ("origin", {"origin": "two\nlines"}),
        ("origin", {"origin": 7}),
        ("tree_size", {"tree_size": -1}),
        ("tree_size", {"tree_size": "12"}),
        ("tree_size", {"tree_size": 12.0}),
        ("tree_size", {"tree_size": True}),
        ("root_hash", {"root_hash": "not base64!"}),
        ("root_hash", {"root_hash": base64.b64encode(b"short").decode()}),
        ("root_hash", {"root_hash": None}),
        ("timestamp", {"timestamp": "yesterday"}),
        ("timestamp", {"timestamp": "2025-03-04T05:06:07"}),
        ("timestamp", {"timestamp": "2025-03-04T05:06:07+01:00"}),
        ("timestamp", {"timestamp": 1700000000}),
        ("key_id", {"key_id": "ABCDEF0123456789"}),
        ("key_id", {"key_id": "abc"}),
        ("signature", {"signature": base64.b64encode(bytes(63)).decode()}),
        ("signature", {"signature": _MISSING}),
        ("comment", {"comment": "extra"}),
    ],
)
def test_malformed_dict_names_the_bad_field(
    checkpoint: Checkpoint, field: str, changes: dict[str, Any]
) -> None:
    with pytest.raises(CheckpointFormatError, match=field) as caught:
        Checkpoint.from_dict(_with(checkpoint, **changes))
    assert caught.value.field == field
    assert isinstance(caught.value, ValueError)


def test_non_mapping_is_refused() -> None:
    with pytest.raises(CheckpointFormatError):
        Checkpoint.from_dict([1, 2, 3])  # type: ignore[arg-type]


def test_private_key_save_and_load(tmp_path: Path, key: Ed25519PrivateKey) -> None:
    path = tmp_path / "signing.pem"
    save_private_key(key, path)
    assert path.stat().st_mode & 0o777 == 0o600
    loaded = load_private_key(path)
    assert key_id(loaded.public_key()) == key_id(key.public_key())
    with pytest.raises(FileExistsError):
        save_private_key(key, path)


def test_encrypted_private_key(tmp_path: Path, key: Ed25519PrivateKey) -> None:
    path = tmp_path / "signing.pem"
    save_private_key(key, path, password=b"correct horse")
    assert key_id(load_private_key(path, b"correct horse").public_key()) == key_id(key.public_key())
    with pytest.raises(KeyFormatError):
        load_private_key(path, b"wrong")


def test_non_key_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "junk.pem"
    path.write_text("not a key")
    with pytest.raises(KeyFormatError):
        load_private_key(path)


def test_public_key_from_pem_base64_and_files(tmp_path: Path, key: Ed25519PrivateKey) -> None:
    public = key.public_key()
    wanted = key_id(public)
    pem, raw = public_key_pem(public), public_key_base64(public)
    assert key_id(load_public_key(pem)) == wanted
    assert key_id(load_public_key(raw)) == wanted
    pem_file, raw_file = tmp_path / "key.pem", tmp_path / "key.b64"
    pem_file.write_text(pem)
    raw_file.write_text(raw + "\n")
    assert key_id(load_public_key(pem_file)) == wanted
    assert key_id(load_public_key(str(raw_file))) == wanted


def test_bad_public_key_text_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad.txt"
    path.write_text(base64.b64encode(bytes(16)).decode())
    with pytest.raises(KeyFormatError):
        load_public_key(path)
    with pytest.raises(KeyFormatError):
        load_public_key("-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----\n")
