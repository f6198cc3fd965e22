"""The audit log's storage: one row per entry, gapless sequence, append-only.

The database refuses UPDATE and DELETE on this table (triggers in the migrations), so even
the application's own bugs cannot rewrite history.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from hub.db import Base, enum_type
from hub.vocabulary import AuditOperation


class AuditRecord(Base):
    __tablename__ = "audit_entry"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    recorded_at: Mapped[datetime]
    operation: Mapped[AuditOperation] = mapped_column(enum_type(AuditOperation))
    # Canonical JSON of the entry: exactly the bytes the Merkle leaf hash covers.
    canonical: Mapped[str] = mapped_column(Text)
    leaf_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    # Copies of ids from the canonical entry, so who-accessed reports use an index.
    subject_person_id: Mapped[str | None] = mapped_column(String(36), index=True)
    case_id: Mapped[str | None] = mapped_column(String(36), index=True)
    actor_agency_id: Mapped[str | None] = mapped_column(String(36), index=True)
    # The queue number the entry was appended under (`AuditQueued.receipt`), so whoever kept
    # a receipt (an access follow-up) finds its entry. None for entries appended before the
    # queue existed.
    receipt: Mapped[int | None] = mapped_column(BigInteger, unique=True, index=True)


class AuditQueued(Base):
    """An appended entry waiting for its place in the log.

    Appending inserts here without any lock, so concurrent writers never wait for each
    other; the sequencer (`hub.audit.sequencer`) then moves committed rows into
    `audit_entry` in batches, under the head's lock, giving each its sequence number. The
    canonical bytes are stored split where the number goes, so sequencing hashes without
    re-serialising. The database refuses UPDATE (and TRUNCATE): a queued entry can only be
    sequenced, which deletes it here in the same transaction that writes it to the log.
    """

    __tablename__ = "audit_queue"
    # AUTOINCREMENT: SQLite would otherwise reuse the highest receipt once it is sequenced.
    __table_args__ = {"sqlite_autoincrement": True}

    receipt: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    recorded_at: Mapped[datetime]
    operation: Mapped[AuditOperation] = mapped_column(enum_type(AuditOperation))
    # Canonical JSON before and after the `"seq":N` member (keys are sorted, so it has one
    # place): canonical = before_seq + N + after_seq.
    before_seq: Mapped[str] = mapped_column(Text)
    after_seq: Mapped[str] = mapped_column(Text)
    subject_person_id: Mapped[str | None] = mapped_column(String(36))
    case_id: Mapped[str | None] = mapped_column(String(36))
    actor_agency_id: Mapped[str | None] = mapped_column(String(36))


class AuditLogHead(Base):
    """The one row holding the next sequence number.

    Taking a number is one ``UPDATE ... RETURNING``: its row lock serialises appenders across
    processes until they commit, and a rollback gives the number back, so the sequence stays
    gapless without an advisory lock and a ``max(seq)`` read per append. Triggers refuse any
    update that moves it backwards, and any delete.
    """

    __tablename__ = "audit_log_head"
    __table_args__ = (
        CheckConstraint("id = 1", name="single_row"),
        CheckConstraint("next_seq >= 0", name="next_seq_natural"),
    )

    id: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    next_seq: Mapped[int] = mapped_column(BigInteger)


class AuditCheckpoint(Base):
    """A signed tree head over the first `tree_size` entries.

    `frontier` holds the roots of the perfect subtrees covering those entries (RFC 9162's
    compact range), so the next checkpoint hashes only the entries added since this one.
    """

    __tablename__ = "audit_checkpoint"

    tree_size: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    origin: Mapped[str] = mapped_column(String(200))
    root_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    signed_at: Mapped[datetime]
    key_id: Mapped[str] = mapped_column(String(16), ForeignKey("audit_signing_key.key_id"))
    signature: Mapped[bytes] = mapped_column(LargeBinary(64))
    frontier: Mapped[bytes] = mapped_column(LargeBinary)


class AuditSigningKey(Base):
    """A public key that signed checkpoints. Retired keys stay so old heads still verify."""

    __tablename__ = "audit_signing_key"

    key_id: Mapped[str] = mapped_column(String(16), primary_key=True)
    public_key: Mapped[str] = mapped_column(String(100))  # raw Ed25519 key, base64
    first_used_at: Mapped[datetime]
