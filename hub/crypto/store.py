"""Data keys in the `encryption_key` table: made, rotated, destroyed, and loaded under the KEK.

Every change of a key's life cycle is audited as KEY_ROTATION in the same transaction. The
audit entry names key ids and counts only; no key material ever leaves this module except
wrapped.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from hub.crypto.envelope import MAX_KEY_ID
from hub.crypto.errors import KeyringError
from hub.crypto.kek import KeyEncryptionKey, UnwrapFailed
from hub.crypto.keyring import KeySet, KeyStoreUnavailable
from hub.crypto.model import EncryptionKey, KeyPurpose, KeyStatus
from hub.db import utcnow

DATA_KEY_BYTES = 32
_COLUMNS = "key_id, purpose, status, wrapped_key, kek_id"


@dataclass(frozen=True)
class KeyRow:
    key_id: int
    purpose: str
    status: str
    wrapped_key: bytes | None
    kek_id: str


def wrap_context(key_id: int, purpose: str) -> bytes:
    """Binds a wrapped key to its row: a wrapped key moved to another id will not unwrap."""
    return f"mappa-hub data key\x00{key_id}\x00{purpose}".encode()


def unwrap_all(rows: Iterable[KeyRow], kek: KeyEncryptionKey) -> KeySet:
    """Unwrap every live key, or say exactly why not. Never returns a partial key set."""
    rows = list(rows)
    if not rows:
        raise KeyringError("the database holds no field-encryption keys: run `hub keys init`")
    live = [r for r in rows if r.status != KeyStatus.DESTROYED]
    foreign = sorted({r.kek_id for r in live} - {kek.kek_id})
    if foreign:
        raise KeyringError(
            f"wrong key-encryption key: the data keys were wrapped by {', '.join(foreign)}, "
            f"but the key from {kek.source} is {kek.kek_id}"
        )
    field_keys: dict[int, AESGCM] = {}
    active: int | None = None
    blind: bytes | None = None
    for row in live:
        assert row.wrapped_key is not None  # the table's CHECK constraint
        try:
            secret = kek.unwrap(row.wrapped_key, wrap_context(row.key_id, row.purpose))
        except UnwrapFailed:
            raise KeyringError(
                f"data key {row.key_id} does not unwrap under the key-encryption key from "
                f"{kek.source}: the key row was altered or moved"
            ) from None
        if row.purpose == KeyPurpose.BLIND_INDEX:
            blind = secret
            continue
        field_keys[row.key_id] = AESGCM(secret)
        if row.status == KeyStatus.ACTIVE:
            active = row.key_id
    if active is None or blind is None:
        raise KeyringError("the key table has no active field key or no blind-index key")
    destroyed = frozenset(r.key_id for r in rows if r.status == KeyStatus.DESTROYED)
    return KeySet(field_keys, active, blind, destroyed)


class DatabaseKeySource:
    """Loads the key set from the database, outside any ORM transaction.

    A raw DBAPI connection, because the hub's SQLite sessions begin with BEGIN IMMEDIATE: a
    reload that opened one from inside a flush would wait on its own caller's write lock. A
    plain SELECT in WAL mode (SQLite) or on its own connection (PostgreSQL) waits for nobody.
    """

    def __init__(self, engine: Engine, kek: KeyEncryptionKey) -> None:
        self.engine = engine
        self.kek = kek

    def load(self) -> KeySet:
        return unwrap_all(self._rows(), self.kek)

    def _rows(self) -> list[KeyRow]:
        dbapi_error: Any = self.engine.dialect.loaded_dbapi.Error
        try:
            raw = self.engine.raw_connection()
        except (SQLAlchemyError, dbapi_error) as exc:
            raise KeyStoreUnavailable(f"database unreachable ({type(exc).__name__})") from None
        try:
            cursor = raw.cursor()
            cursor.execute(f"SELECT {_COLUMNS} FROM encryption_key")  # noqa: S608  (constant)
            fetched = cursor.fetchall()
            cursor.close()
        except dbapi_error as exc:
            raise KeyStoreUnavailable(
                f"cannot read the encryption_key table ({type(exc).__name__}); "
                "is the database at `hub db upgrade`?"
            ) from None
        finally:
            raw.close()
        return [KeyRow(int(r[0]), str(r[1]), str(r[2]), _bytes(r[3]), str(r[4])) for r in fetched]


def rows_in(session: Session) -> list[EncryptionKey]:
    return list(session.scalars(select(EncryptionKey).order_by(EncryptionKey.key_id)))


def key_set_in(session: Session, kek: KeyEncryptionKey) -> KeySet:
    return unwrap_all((_row(k) for k in rows_in(session)), kek)


def create_keys(session: Session, kek: KeyEncryptionKey) -> tuple[int, int]:
    """The first field key and the blind-index key. Returns their ids."""
    if session.scalar(select(func.count()).select_from(EncryptionKey)):
        raise KeyringError("field-encryption keys already exist: use `hub keys rotate`")
    field_key = _new_key(session, kek, KeyPurpose.FIELD, 1)
    blind_key = _new_key(session, kek, KeyPurpose.BLIND_INDEX, 2)
    session.flush()
    _audit(session, "init", field_key.key_id, {"blind_index_key": str(blind_key.key_id)})
    return field_key.key_id, blind_key.key_id


def rotate(session: Session, kek: KeyEncryptionKey) -> tuple[int, int]:
    """A new active field key for new writes; the old one is retired. Returns (old, new)."""
    key_set_in(session, kek)  # refuse to add a key under a KEK that did not wrap the others
    old = session.scalars(
        select(EncryptionKey)
        .where(
            EncryptionKey.purpose == KeyPurpose.FIELD,
            EncryptionKey.status == KeyStatus.ACTIVE,
        )
        .with_for_update()
    ).one()
    old.status, old.retired_at = KeyStatus.RETIRED, utcnow()
    session.flush()  # the one-active-key index must see the old key retired first
    newest = session.scalar(select(func.max(EncryptionKey.key_id))) or 0
    if newest >= MAX_KEY_ID:
        raise KeyringError(f"key ids are exhausted ({MAX_KEY_ID}); see docs/keys.md")
    fresh = _new_key(session, kek, KeyPurpose.FIELD, newest + 1)
    session.flush()
    _audit(session, "rotate", fresh.key_id, {"retired_key": str(old.key_id)})
    return old.key_id, fresh.key_id


def destroy(session: Session, key_id: int, *, fields_lost: int) -> None:
    """Crypto-shred a retired field key: its key material is erased from the table."""
    row = destroyable(session, key_id)
    row.status, row.wrapped_key, row.destroyed_at = KeyStatus.DESTROYED, None, utcnow()
    session.flush()
    _audit(session, "destroy", key_id, {"fields_made_unreadable": str(fields_lost)})


def destroyable(session: Session, key_id: int) -> EncryptionKey:
    """The key, if it may be destroyed: a retired field key. Otherwise say why not."""
    row = session.get(EncryptionKey, key_id, with_for_update=True)
    if row is None:
        raise KeyringError(f"no data key {key_id}; `hub keys list` shows the keys")
    if row.purpose != KeyPurpose.FIELD:
        raise KeyringError(f"key {key_id} is the blind-index key; it cannot be destroyed alone")
    if row.status == KeyStatus.ACTIVE:
        raise KeyringError(f"key {key_id} is the active key: rotate first, then rewrap")
    if row.status == KeyStatus.DESTROYED:
        raise KeyringError(f"key {key_id} was already destroyed on {row.destroyed_at:%Y-%m-%d}")
    return row


def audit_rewrap(session: Session, active: int, summary: dict[str, str]) -> None:
    """One entry per run: re-encryption changes no content, so it is not an ALTER per row."""
    _audit(session, "rewrap", active, summary)


def _new_key(
    session: Session, kek: KeyEncryptionKey, purpose: KeyPurpose, key_id: int
) -> EncryptionKey:
    secret = os.urandom(DATA_KEY_BYTES)
    row = EncryptionKey(
        key_id=key_id,
        purpose=purpose,
        status=KeyStatus.ACTIVE,
        wrapped_key=kek.wrap(secret, wrap_context(key_id, purpose.value)),
        kek_id=kek.kek_id,
        created_at=utcnow(),
    )
    session.add(row)
    return row


def _audit(session: Session, action: str, key_id: int, extra: dict[str, str]) -> None:
    from hub.actor import hub_actor
    from hub.audit import AuditEntry, record
    from hub.vocabulary import AuditOperation

    record(
        session,
        AuditEntry(
            operation=AuditOperation.KEY_ROTATION,
            actor=hub_actor(),
            record_type="encryption_key",
            record_ids=(str(key_id),),
            extra={"action": action, **extra},
        ),
    )


def _row(key: EncryptionKey) -> KeyRow:
    return KeyRow(key.key_id, key.purpose.value, key.status.value, key.wrapped_key, key.kek_id)


def _bytes(value: object) -> bytes | None:
    # psycopg returns bytes for bytea; sqlite3 returns bytes for BLOB; memoryview is possible.
    if value is None:
        return None
    assert isinstance(value, bytes | bytearray | memoryview)
    return bytes(value)
