"""Opening the keyring at start-up, and making the keys at set-up."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from hub.crypto import kek as kek_module
from hub.crypto import store
from hub.crypto.errors import KeyringError
from hub.crypto.kek import KeyEncryptionKey
from hub.crypto.keyring import Keyring, KeyStoreUnavailable
from hub.settings import Settings

log = logging.getLogger("hub.crypto")


def open_keyring(settings: Settings, engine: Engine, *, strict: bool = True) -> Keyring:
    """The keyring for `engine`'s database under the configured KEK. Fails closed.

    A missing or unreadable KEK, a KEK that did not wrap the stored keys, or a database with no
    keys always raises KeyringError. With `strict=False` (a server starting while its database
    is down or not yet migrated) the keys are loaded on first use instead, which raises then.
    """
    kek = kek_module.from_settings(settings)
    keyring = Keyring(
        source=store.DatabaseKeySource(engine, kek), refresh_seconds=settings.key_refresh_seconds
    )
    try:
        keyring.load()
    except KeyStoreUnavailable as exc:
        if strict:
            raise
        log.warning("field-encryption keys not loaded yet; loading on first use: %s", exc)
    return keyring


@dataclass(frozen=True)
class SetUp:
    kek: KeyEncryptionKey
    created_kek_file: bool
    created_keys: tuple[int, int] | None  # (field key, blind-index key), None if they existed


def set_up(settings: Settings, session: Session) -> SetUp:
    """Make what is missing: the KEK file (unless the KEK is given by variable), then the
    data keys. Existing keys are only checked against the KEK, never replaced."""
    created_file = False
    if settings.key_encryption_key is None and not settings.kek_path.exists():
        if store.rows_in(session):
            # New data keys under a new KEK would leave every existing field unreadable.
            raise KeyringError(
                f"the database already has data keys but there is no key-encryption key at "
                f"{settings.kek_path}: restore that file (or set HUB_KEY_ENCRYPTION_KEY_FILE)"
            )
        kek = kek_module.write_new_file(settings.kek_path)
        created_file = True
    else:
        kek = kek_module.from_settings(settings)
    if store.rows_in(session):
        store.key_set_in(session, kek)  # right KEK, every key unwraps
        return SetUp(kek, created_file, None)
    return SetUp(kek, created_file, store.create_keys(session, kek))
