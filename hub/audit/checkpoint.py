"""Signed tree heads ("checkpoints") for the audit log, signed with Ed25519.

A checkpoint says "the log named `origin` had `tree_size` entries with Merkle root
`root_hash` at `timestamp`", signed by the key whose id is `key_id`.

Signed bytes: a small text note in the spirit of C2SP tlog-checkpoint, one field per
line, every line ending in a newline:

    mappa-hub-checkpoint/v1     (fixed header: a signature over this can't be replayed
    <origin>                     as a signature over any other kind of message)
    <tree_size in decimal>
    <root_hash in standard base64>
    <timestamp, UTC, YYYY-MM-DDTHH:MM:SS.ffffffZ>
    <key_id>

It is unambiguous because no field may contain a newline (origin is checked, the others
cannot) and each field has exactly one rendering. Timestamps always carry microseconds
and a 'Z', so the value that is signed round-trips through to_dict/from_dict exactly.

The key id is the hex of the first 8 bytes of SHA-256 over the raw 32-byte public key.
Verifiers hold a keyring (key id -> public key); after a key rotation, keeping the
retired public key in the keyring keeps its older checkpoints verifiable.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

HEADER = "mappa-hub-checkpoint/v1"
ROOT_SIZE = 32
SIGNATURE_SIZE = 64
PUBLIC_KEY_SIZE = 32

_KEY_ID = re.compile(r"[0-9a-f]{16}")
_ORIGIN_MAX = 200
_FIELDS = ("origin", "tree_size", "root_hash", "timestamp", "key_id", "signature")

Keyring = Mapping[str, Ed25519PublicKey]


class CheckpointFormatError(ValueError):
    """A checkpoint field is missing or malformed; `field` names it."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"checkpoint field {field!r}: {problem}")
        self.field = field


class KeyFormatError(ValueError):
    """A key file or key text is not a usable Ed25519 key."""


def format_timestamp(moment: datetime) -> str:
    """The single rendering of a timestamp used in signed bytes and exports."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_timestamp(text: str) -> datetime:
    """Parse an ISO-8601 UTC timestamp ('Z' or +00:00); raise on any other offset."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise CheckpointFormatError("timestamp", f"not ISO-8601: {text!r}") from exc
    if moment.utcoffset() is None:
        raise CheckpointFormatError("timestamp", "has no UTC offset")
    if moment.utcoffset():
        raise CheckpointFormatError("timestamp", "must be in UTC")
    return moment.astimezone(UTC)


def _check_origin(origin: object) -> str:
    if not isinstance(origin, str) or not origin:
        raise CheckpointFormatError("origin", "must be a non-empty string")
    if len(origin) > _ORIGIN_MAX or not origin.isprintable():
        raise CheckpointFormatError(
            "origin", f"must be printable, one line, at most {_ORIGIN_MAX} characters"
        )
    return origin


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A signed tree head. Construction validates every field."""

    origin: str
    tree_size: int
    root_hash: bytes
    timestamp: datetime
    key_id: str
    signature: bytes

    def __post_init__(self) -> None:
        _check_origin(self.origin)
        if type(self.tree_size) is not int or self.tree_size < 0:
            raise CheckpointFormatError("tree_size", "must be a non-negative integer")
        if not isinstance(self.root_hash, bytes) or len(self.root_hash) != ROOT_SIZE:
            raise CheckpointFormatError("root_hash", f"must be {ROOT_SIZE} bytes")
        if not isinstance(self.timestamp, datetime) or self.timestamp.utcoffset() is None:
            raise CheckpointFormatError("timestamp", "must be a timezone-aware datetime")
        if not isinstance(self.key_id, str) or not _KEY_ID.fullmatch(self.key_id):
            raise CheckpointFormatError("key_id", "must be 16 lower-case hex digits")
        if not isinstance(self.signature, bytes) or len(self.signature) != SIGNATURE_SIZE:
            raise CheckpointFormatError("signature", f"must be {SIGNATURE_SIZE} bytes")

    def signed_message(self) -> bytes:
        return _note(self.origin, self.tree_size, self.root_hash, self.timestamp, self.key_id)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form; bytes as standard base64."""
        return {
            "origin": self.origin,
            "tree_size": self.tree_size,
            "root_hash": _b64(self.root_hash),
            "timestamp": format_timestamp(self.timestamp),
            "key_id": self.key_id,
            "signature": _b64(self.signature),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Checkpoint:
        """Inverse of to_dict. Raises CheckpointFormatError naming the first bad field."""
        if not isinstance(data, Mapping):
            raise CheckpointFormatError("<checkpoint>", "must be a JSON object")
        for name in _FIELDS:
            if name not in data:
                raise CheckpointFormatError(name, "is missing")
        unknown = sorted(set(data) - set(_FIELDS))
        if unknown:
            raise CheckpointFormatError(unknown[0], "is not a checkpoint field")
        timestamp = data["timestamp"]
        if not isinstance(timestamp, str):
            raise CheckpointFormatError("timestamp", "must be a string")
        return cls(
            origin=_check_origin(data["origin"]),
            tree_size=data["tree_size"],
            root_hash=_unb64(data["root_hash"], "root_hash"),
            timestamp=parse_timestamp(timestamp),
            key_id=data["key_id"],
            signature=_unb64(data["signature"], "signature"),
        )


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _unb64(value: object, field: str) -> bytes:
    if not isinstance(value, str):
        raise CheckpointFormatError(field, "must be a base64 string")
    try:
        return base64.b64decode(value.encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error) as exc:
        raise CheckpointFormatError(field, "is not valid base64") from exc


def _note(origin: str, tree_size: int, root_hash: bytes, timestamp: datetime, key_id: str) -> bytes:
    lines = (HEADER, origin, str(tree_size), _b64(root_hash), format_timestamp(timestamp), key_id)
    return "".join(line + "\n" for line in lines).encode("utf-8")


def key_id(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).digest()[:8].hex()


def make_keyring(public_keys: Iterable[Ed25519PublicKey]) -> dict[str, Ed25519PublicKey]:
    """Keyring for verification: include retired keys so their checkpoints still verify."""
    return {key_id(key): key for key in public_keys}


def sign_checkpoint(
    private_key: Ed25519PrivateKey,
    origin: str,
    tree_size: int,
    root_hash: bytes,
    timestamp: datetime | None = None,
) -> Checkpoint:
    """Sign a tree head. `timestamp` defaults to now; it must be timezone-aware."""
    moment = datetime.now(UTC) if timestamp is None else timestamp
    if moment.utcoffset() is None:
        raise CheckpointFormatError("timestamp", "must be a timezone-aware datetime")
    moment = moment.astimezone(UTC)
    signer_id = key_id(private_key.public_key())
    _check_origin(origin)
    message = _note(origin, tree_size, root_hash, moment, signer_id)
    return Checkpoint(
        origin=origin,
        tree_size=tree_size,
        root_hash=root_hash,
        timestamp=moment,
        key_id=signer_id,
        signature=private_key.sign(message),
    )


def verify_checkpoint(checkpoint: Checkpoint, public_keys: Keyring) -> bool:
    """True only if a keyring key with the checkpoint's key id signed exactly these fields."""
    public_key = public_keys.get(checkpoint.key_id)
    # A keyring entry filed under the wrong id must not vouch for another key's id.
    if public_key is None or key_id(public_key) != checkpoint.key_id:
        return False
    try:
        public_key.verify(checkpoint.signature, checkpoint.signed_message())
    except InvalidSignature:
        return False
    return True


def generate_signing_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def private_key_pem(private_key: Ed25519PrivateKey, password: bytes | None = None) -> bytes:
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(password)
        if password
        else serialization.NoEncryption()
    )
    return private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )


def save_private_key(
    private_key: Ed25519PrivateKey, path: str | Path, password: bytes | None = None
) -> None:
    """Write PKCS8 PEM, readable by the owner only; refuses to overwrite a key."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(private_key_pem(private_key, password))


def load_private_key(path: str | Path, password: bytes | None = None) -> Ed25519PrivateKey:
    """Read a PKCS8 PEM Ed25519 private key."""
    data = Path(path).read_bytes()
    try:
        key = serialization.load_pem_private_key(data, password=password)
    except (ValueError, TypeError) as exc:
        raise KeyFormatError(f"{path}: not a readable PEM private key") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyFormatError(f"{path}: not an Ed25519 private key")
    return key


def public_key_pem(public_key: Ed25519PublicKey) -> str:
    return public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")


def public_key_base64(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return _b64(raw)


def load_public_key(path_or_text: str | Path) -> Ed25519PublicKey:
    """Load a public key from PEM text, raw base64 text, or a file holding either.

    A Path is always a file. A str is taken as key text when it is PEM or decodes to
    exactly 32 bytes of base64, and as a file name otherwise.
    """
    if isinstance(path_or_text, Path):
        text = path_or_text.read_text(encoding="ascii")
    elif "-----BEGIN" in path_or_text or _raw_key_bytes(path_or_text) is not None:
        text = path_or_text
    else:
        text = Path(path_or_text).read_text(encoding="ascii")
    return _public_key_from_text(text)


def _raw_key_bytes(text: str) -> bytes | None:
    try:
        raw = base64.b64decode(text.strip().encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error):
        return None
    return raw if len(raw) == PUBLIC_KEY_SIZE else None


def _public_key_from_text(text: str) -> Ed25519PublicKey:
    if "-----BEGIN" in text:
        try:
            key = serialization.load_pem_public_key(text.encode("ascii"))
        except ValueError as exc:
            raise KeyFormatError("not a readable PEM public key") from exc
        if not isinstance(key, Ed25519PublicKey):
            raise KeyFormatError("PEM public key is not Ed25519")
        return key
    raw = _raw_key_bytes(text)
    if raw is None:
        raise KeyFormatError("public key text is neither PEM nor base64 of 32 raw bytes")
    return Ed25519PublicKey.from_public_bytes(raw)
