"""The keyring: unwrapped data keys in memory, the active one for new writes, kept fresh.

One keyring serves a process (installed at start-up by `create_app` or a `hub` command) because
a process serves one database under one KEK. It re-reads the key table every
`HUB_KEY_REFRESH_SECONDS`, and at once when it meets a key id it does not hold, so servers
that were running when `hub keys rotate` ran start writing under the new key, read fields
another process already rewrapped, and drop destroyed keys, all without a restart.
"""

from __future__ import annotations

import hmac
import logging
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Protocol

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from hub.crypto import envelope
from hub.crypto.errors import FieldUnreadable, KeyDestroyed, KeyringError, KeyringNotLoaded
from hub.crypto.kek import new_secret

log = logging.getLogger("hub.crypto")
_UNKNOWN_KEY_RETRY_SECONDS = 1.0


class KeyStoreUnavailable(KeyringError):
    """The key table cannot be read right now (database down, not yet migrated)."""


@dataclass(frozen=True)
class KeySet:
    """One consistent view of the key table, unwrapped."""

    field_keys: Mapping[int, AESGCM]
    active_id: int
    blind_key: bytes = field(repr=False)
    destroyed: frozenset[int] = frozenset()
    # The key each envelope prefix names, so opening a field needs no header decoding.
    by_prefix: Mapping[str, AESGCM] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        prefixes = {envelope.key_prefix(k): aead for k, aead in self.field_keys.items()}
        object.__setattr__(self, "by_prefix", prefixes)


class KeySource(Protocol):
    def load(self) -> KeySet:
        """Read and unwrap every live key; KeyStoreUnavailable when that may succeed later."""
        ...


class Keyring:
    def __init__(
        self,
        keys: KeySet | None = None,
        *,
        source: KeySource | None = None,
        refresh_seconds: float = 60.0,
    ) -> None:
        if keys is None and source is None:
            raise ValueError("a keyring needs keys or a source to load them from")
        self._keys = keys
        self._source = source
        self._refresh_seconds = refresh_seconds
        self._loaded_at = time.monotonic()
        self._last_attempt = float("-inf")
        self._lock = threading.Lock()

    @classmethod
    def generate(cls, key_id: int = 1) -> Keyring:
        """A keyring of fresh random keys held only in memory (tests, benchmarks)."""
        return cls(KeySet({key_id: AESGCM(new_secret())}, key_id, new_secret()))

    @property
    def active_key_id(self) -> int:
        return self._current().active_id

    @property
    def key_set(self) -> KeySet:
        return self._current()

    def load(self) -> None:
        """Load from the source now, raising whatever stops it (start-up: fail closed)."""
        if self._source is None:
            return
        keys = self._source.load()
        with self._lock:
            self._keys, self._loaded_at = keys, time.monotonic()

    def seal(self, plaintext: str, context: bytes) -> str:
        keys = self._current()
        return envelope.seal(keys.field_keys[keys.active_id], keys.active_id, plaintext, context)

    def open(self, stored: str, context: bytes) -> str:
        """Decrypt a sealed value; FieldUnreadable (never garbage) when that is impossible."""
        keys = self._current()
        aead = keys.by_prefix.get(stored[: envelope.KEY_PREFIX_CHARS])
        if aead is not None:
            return envelope.open_sealed(aead, stored, context)
        key_id = envelope.key_id_of(stored)
        if key_id not in keys.destroyed:
            keys = self._refresh_for_unknown_key()
            aead = keys.field_keys.get(key_id)
        if aead is None:
            if key_id in keys.destroyed:
                raise KeyDestroyed(
                    f"sealed under data key {key_id}, which was destroyed: unreadable by design"
                )
            raise FieldUnreadable(f"sealed under data key {key_id}, which is not in the keyring")
        return envelope.open_sealed(aead, stored, context)

    def blind_index(self, qualifier: str, value: str) -> bytes:
        """Keyed digest for equality lookups: equal inputs match, the digest reveals nothing."""
        message = qualifier.encode() + b"\x00" + value.encode()
        return hmac.digest(self._current().blind_key, message, "sha256")

    def _current(self) -> KeySet:
        keys = self._keys
        if keys is None:
            self.load()  # first use after a start-up that could not reach the database
            assert self._keys is not None
            return self._keys
        if self._source is not None and time.monotonic() - self._loaded_at > self._refresh_seconds:
            self._refresh_quietly()
            return self._keys or keys
        return keys

    def _refresh_for_unknown_key(self) -> KeySet:
        keys = self._keys
        assert keys is not None
        if self._source is None:
            return keys
        now = time.monotonic()
        # A burst of reads under a key that is gone must not become a burst of key reloads.
        if now - self._last_attempt >= _UNKNOWN_KEY_RETRY_SECONDS:
            self._last_attempt = now
            self._refresh_quietly()
        assert self._keys is not None
        return self._keys

    def _refresh_quietly(self) -> None:
        """Reload, keeping the current keys on failure: a database blip must not stop writes."""
        if not self._lock.acquire(blocking=False):
            return  # another thread is reloading; the current keys serve meanwhile
        try:
            assert self._source is not None
            try:
                keys = self._source.load()
            except KeyringError as exc:
                log.warning("field-encryption keys not refreshed: %s", type(exc).__name__)
                self._loaded_at = time.monotonic()  # retry after another interval
                return
            self._keys, self._loaded_at = keys, time.monotonic()
        finally:
            self._lock.release()


_installed: Keyring | None = None


def install(keyring: Keyring | None) -> Keyring | None:
    """Make `keyring` the process's keyring; returns the one it replaces."""
    global _installed  # one keyring per process: see the module docstring
    previous, _installed = _installed, keyring
    return previous


def installed() -> Keyring | None:
    return _installed


def current() -> Keyring:
    keyring = _installed
    if keyring is None:
        raise KeyringNotLoaded(
            "encrypted fields cannot be read or written: no keyring is loaded "
            "(the hub loads it at start-up; run `hub keys init` if none was ever made)"
        )
    return keyring


@contextmanager
def using(keyring: Keyring) -> Iterator[Keyring]:
    """Install `keyring` for the duration of a block, then put back the previous one."""
    previous = install(keyring)
    try:
        yield keyring
    finally:
        install(previous)
