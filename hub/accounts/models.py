"""What signing in needs to keep: a credential per person and their sessions.

New tables beside `hub_user` rather than new columns on it: `hub_user` is referenced by other
tables, and altering it on SQLite would rebuild it (and cascade-delete `user_role`).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from hub.crypto.fields import SealedField, SealedText
from hub.db import Base, utcnow


class UserCredential(Base):
    """A person's password hash, TOTP secret and failed-sign-in state."""

    __tablename__ = "user_credential"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("hub_user.id", ondelete="CASCADE"), unique=True
    )
    # argon2id PHC string: algorithm, parameters and salt travel with the hash, so a change
    # of parameters is noticed at the next sign-in and the hash is replaced then.
    password_hash: Mapped[str] = mapped_column(String(200))
    password_set_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Sealed: whoever holds a copy of the database must not be able to mint codes.
    totp_secret_stored: Mapped[str | None] = mapped_column("totp_secret", SealedText())
    totp_secret = SealedField[str | None]("totp_secret_stored", max_length=64)
    mfa_enrolled_at: Mapped[datetime | None]
    # The time step of the last code accepted: a code of this step or earlier is a replay.
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)
    failed_attempts: Mapped[int] = mapped_column(default=0)
    lockouts: Mapped[int] = mapped_column(default=0)  # in a row; sets the next lock's length
    locked_until: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class UserSession(Base):
    """A signed-in browser. The cookie holds a random token; only its SHA-256 is stored,
    so a copy of this table cannot be replayed as a cookie."""

    __tablename__ = "user_session"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("hub_user.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]  # the absolute limit, whatever the activity
    # None until the second factor is passed: such a session reaches only the code and
    # enrolment pages.
    mfa_passed_at: Mapped[datetime | None]
    return_to: Mapped[str | None] = mapped_column(String(500))
