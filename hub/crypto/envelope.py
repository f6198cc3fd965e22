"""The stored form of an encrypted field: versioned, self-describing, bound to its place.

Binary layout (then base64, after a text marker, so it fits a TEXT column on both databases
and survives pg_dump, CSV exports and log-free debugging alike):

    version (1 byte, = 1) | data key id (2 bytes, big-endian) | nonce (12 bytes) | ciphertext+tag

The cipher is AES-256-GCM with a fresh random nonce per encryption. The associated data is the
3-byte header followed by the field's place (table, row id, column), so a ciphertext copied to
another row or column, or given another key id, fails to decrypt instead of reading as the
other field's value.

Base64 turns each 3 bytes into 4 characters, and the header is exactly 3 bytes: the first
characters after the marker therefore name the version and key and nothing else. That lets
the rewrap tool select "fields not under the active key" in SQL, and the next 16 characters
are the nonce, which identifies one encryption (see `cas_prefix`).
"""

from __future__ import annotations

import base64
import binascii
import os
import struct
import uuid

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from hub.crypto.errors import FieldUnreadable

MARKER = "$hub$"  # '$' is outside the base64 alphabet, so the marker cannot be mistaken
VERSION = 1
NONCE_BYTES = 12
TAG_BYTES = 16
MAX_KEY_ID = 0xFFFF
_HEADER = struct.Struct(">BH")
# Characters naming version and key id, and those naming version, key id and nonce.
KEY_PREFIX_CHARS = len(MARKER) + 4
CAS_PREFIX_CHARS = len(MARKER) + 20


def field_context(table: str, row_id: uuid.UUID | str, column: str) -> bytes:
    """The place a field lives, as associated data: ids only, never content."""
    return f"{table}\x00{row_id}\x00{column}".encode()


def seal(aead: AESGCM, key_id: int, plaintext: str, context: bytes) -> str:
    header = _HEADER.pack(VERSION, key_id)
    nonce = os.urandom(NONCE_BYTES)
    body = aead.encrypt(nonce, plaintext.encode(), header + context)
    return MARKER + binascii.b2a_base64(header + nonce + body, newline=False).decode("ascii")


def is_sealed(stored: str) -> bool:
    return stored.startswith(MARKER)


def key_id_of(stored: str) -> int:
    """The data key a stored field names (the field must be sealed)."""
    version, key_id = _HEADER.unpack(_decode(stored[:KEY_PREFIX_CHARS]))
    _check_version(version)
    return int(key_id)


def open_sealed(aead: AESGCM, stored: str, context: bytes) -> str:
    raw = _decode(stored)
    if len(raw) < _HEADER.size + NONCE_BYTES + TAG_BYTES:
        raise FieldUnreadable("stored field is truncated")
    header = raw[: _HEADER.size]
    _check_version(header[0])
    nonce = raw[_HEADER.size : _HEADER.size + NONCE_BYTES]
    try:
        plaintext = aead.decrypt(nonce, raw[_HEADER.size + NONCE_BYTES :], header + context)
    except InvalidTag:
        raise FieldUnreadable(
            "authentication failed: the ciphertext was altered or belongs to another row or column"
        ) from None
    return plaintext.decode()


def key_prefix(key_id: int) -> str:
    """What every field sealed under `key_id` starts with (for selecting them in SQL)."""
    return MARKER + base64.b64encode(_HEADER.pack(VERSION, key_id)).decode("ascii")


def cas_prefix(stored: str) -> str:
    """Enough of a stored value to tell whether it was rewritten since it was read.

    For a sealed value this is header and nonce: every write draws a fresh 96-bit nonce, so a
    changed field never keeps the prefix. A legacy plaintext value never starts with the
    marker, which every write since the migration does, so its prefix changes too.
    """
    return stored[:CAS_PREFIX_CHARS]


def sealed_length(plaintext_chars: int) -> int:
    """The longest stored form of a plaintext of this many characters (4 bytes each)."""
    raw = _HEADER.size + NONCE_BYTES + 4 * plaintext_chars + TAG_BYTES
    return len(MARKER) + 4 * -(-raw // 3)


def _decode(stored: str) -> bytes:
    if not stored.startswith(MARKER):
        raise FieldUnreadable("stored field is not an encrypted envelope")
    try:
        # Not strict: GCM authenticates every byte, so a corrupted envelope fails there anyway.
        return binascii.a2b_base64(stored[len(MARKER) :])
    except (binascii.Error, ValueError):
        raise FieldUnreadable("stored field is not valid base64") from None


def _check_version(version: int) -> None:
    if version != VERSION:
        raise FieldUnreadable(f"unknown envelope version {version}")
