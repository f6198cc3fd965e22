"""The key-encryption key (KEK): it wraps the data keys and never enters the database.

`KeyEncryptionKey` is the whole interface the hub needs from a KEK, so a KMS or HSM can stand
in for the local key later: wrap and unwrap a data key under a context, and a stable id that
says which KEK wrapped which key. The local implementation holds 32 random bytes, from a file
(made by `hub keys init`, mode 0600, outside the repository) or from an environment variable.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from pathlib import Path
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from hub.crypto.errors import KeyringError
from hub.settings import Settings

KEK_BYTES = 32
_NONCE_BYTES = 12


class UnwrapFailed(KeyringError):
    """A wrapped data key did not authenticate under this KEK and context."""


class KeyEncryptionKey(Protocol):
    @property
    def kek_id(self) -> str:
        """Names this KEK (never derived reversibly from its secret); stored beside each key."""
        ...

    @property
    def source(self) -> str:
        """Where the KEK came from, for error messages (a path or a variable name)."""
        ...

    def wrap(self, data_key: bytes, context: bytes) -> bytes: ...

    def unwrap(self, wrapped: bytes, context: bytes) -> bytes:
        """The data key; raises UnwrapFailed when the KEK or the context is wrong."""
        ...


class LocalKeyEncryptionKey:
    """AES-256-GCM key wrapping under a locally held secret."""

    def __init__(self, secret: bytes, source: str) -> None:
        if len(secret) != KEK_BYTES:
            raise KeyringError(f"{source}: the key-encryption key must be {KEK_BYTES} bytes")
        self._aead = AESGCM(secret)
        digest = hmac.new(secret, b"mappa-hub key-encryption-key id", hashlib.sha256)
        self._kek_id = "local:" + digest.hexdigest()[:16]
        self._source = source

    @property
    def kek_id(self) -> str:
        return self._kek_id

    @property
    def source(self) -> str:
        return self._source

    def wrap(self, data_key: bytes, context: bytes) -> bytes:
        nonce = os.urandom(_NONCE_BYTES)
        return nonce + self._aead.encrypt(nonce, data_key, context)

    def unwrap(self, wrapped: bytes, context: bytes) -> bytes:
        try:
            return self._aead.decrypt(wrapped[:_NONCE_BYTES], wrapped[_NONCE_BYTES:], context)
        except InvalidTag:
            raise UnwrapFailed(
                f"a data key did not unwrap under the KEK from {self._source}"
            ) from None


def new_secret() -> bytes:
    return os.urandom(KEK_BYTES)


def encode_secret(secret: bytes) -> str:
    return base64.b64encode(secret).decode("ascii")


def decode_secret(text: str) -> bytes:
    """Base64 (standard or URL-safe) of exactly 32 bytes; ValueError says what is wrong."""
    cleaned = text.strip()
    try:
        secret = base64.b64decode(cleaned.replace("-", "+").replace("_", "/"), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("must be base64 (for example from `openssl rand -base64 32`)") from None
    if len(secret) != KEK_BYTES:
        raise ValueError(f"must decode to {KEK_BYTES} bytes; got {len(secret)}")
    return secret


def configured(settings: Settings) -> bool:
    return settings.key_encryption_key is not None or settings.kek_path.exists()


def from_settings(settings: Settings) -> LocalKeyEncryptionKey:
    """The configured KEK: HUB_KEY_ENCRYPTION_KEY, else the file. Missing is an error."""
    if settings.key_encryption_key is not None:
        return LocalKeyEncryptionKey(settings.key_encryption_key, "HUB_KEY_ENCRYPTION_KEY")
    path = settings.kek_path
    if not path.is_file():
        raise KeyringError(
            f"no key-encryption key at {path}: create the keys with `hub keys init` "
            "(or set HUB_KEY_ENCRYPTION_KEY_FILE or HUB_KEY_ENCRYPTION_KEY)"
        )
    try:
        secret = decode_secret(path.read_text(encoding="ascii"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise KeyringError(
            f"{path} (HUB_KEY_ENCRYPTION_KEY_FILE) is not a key-encryption key: {exc}"
        ) from None
    return LocalKeyEncryptionKey(secret, str(path))


def write_new_file(path: Path) -> LocalKeyEncryptionKey:
    """Create a KEK file (mode 0600); refuse to replace one: its data keys depend on it."""
    if path.exists():
        raise KeyringError(f"a key-encryption key already exists at {path}")
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    secret = new_secret()
    # O_EXCL: two concurrent set-ups cannot both believe they wrote the key.
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        handle.write(encode_secret(secret) + "\n")
    return LocalKeyEncryptionKey(secret, str(path))
