"""Encryption at rest for special-category and restricted fields (docs/keys.md).

Fields are sealed by the application with AES-256-GCM before they reach the database, under
data keys wrapped by a key-encryption key that lives outside the database and the repository.
"""

from hub.crypto.errors import (
    FieldUnreadable,
    KeyDestroyed,
    KeyringError,
    KeyringNotLoaded,
    PlaintextRefused,
    SealedFieldNotQueryable,
)
from hub.crypto.keyring import Keyring, KeySet, current, install, installed, using

__all__ = [
    "FieldUnreadable",
    "KeyDestroyed",
    "KeySet",
    "Keyring",
    "KeyringError",
    "KeyringNotLoaded",
    "PlaintextRefused",
    "SealedFieldNotQueryable",
    "current",
    "install",
    "installed",
    "using",
]
