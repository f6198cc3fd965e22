"""The `encryption_key` table: data keys, wrapped by the KEK, with their life cycle.

A destroyed key keeps its row (status, dates, no key material): its id is never reused, so a
ciphertext in an old backup can never be read under a newer key that took its number, and
`hub keys list` still explains why such a field is unreadable.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Index, LargeBinary, String, text
from sqlalchemy.orm import Mapped, mapped_column

from hub.db import Base, enum_type


class KeyPurpose(StrEnum):
    FIELD = "FIELD"  # AES-256-GCM data key for sealed fields
    BLIND_INDEX = "BLIND_INDEX"  # HMAC-SHA256 key for equality lookups on sealed identifiers


class KeyStatus(StrEnum):
    ACTIVE = "ACTIVE"  # new writes use it (one per purpose)
    RETIRED = "RETIRED"  # still decrypts; `hub keys rewrap` moves its fields off it
    DESTROYED = "DESTROYED"  # key material gone: its fields are unreadable (crypto-shredded)


class EncryptionKey(Base):
    __tablename__ = "encryption_key"
    __table_args__ = (
        Index(
            "uq_encryption_key_active_purpose",
            "purpose",
            unique=True,
            sqlite_where=text("status = 'ACTIVE'"),
            postgresql_where=text("status = 'ACTIVE'"),
        ),
        CheckConstraint(
            "(status = 'DESTROYED') = (wrapped_key IS NULL)", name="destroyed_has_no_key"
        ),
    )

    key_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    purpose: Mapped[KeyPurpose] = mapped_column(enum_type(KeyPurpose))
    status: Mapped[KeyStatus] = mapped_column(enum_type(KeyStatus))
    wrapped_key: Mapped[bytes | None] = mapped_column(LargeBinary(128))
    kek_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    retired_at: Mapped[datetime | None]
    destroyed_at: Mapped[datetime | None]
