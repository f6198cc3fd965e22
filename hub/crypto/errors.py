"""What can go wrong with field encryption, each saying what to do about it.

Every error here is a HubError, so the CLI prints it as one line and start-up stops on it.
None of them ever carries a plaintext or key material: only table, column, row id and key id.
"""

from __future__ import annotations

from hub.errors import HubError


class KeyringError(HubError):
    """The keys cannot be used: missing or wrong key-encryption key, no data keys, ..."""


class KeyringNotLoaded(KeyringError):
    """A sealed field was read or written before any keyring was installed."""


class FieldUnreadable(HubError):
    """One stored field cannot be decrypted: moved, tampered with, or its key is gone."""


class KeyDestroyed(FieldUnreadable):
    """The field was encrypted under a data key that has been destroyed (crypto-shredded)."""


class PlaintextRefused(HubError):
    """Plaintext was about to reach an encrypted column without passing the sealing hook."""


class SealedFieldNotQueryable(HubError):
    """An encrypted field was used in a query, where it would only ever match ciphertext."""
