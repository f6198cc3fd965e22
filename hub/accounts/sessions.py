"""Server-side sessions: opened, found, upgraded after the second factor, ended, revoked.

The browser holds a random token; the table holds its SHA-256. Every request looks the
session up, so signing out, disabling a person or resetting their MFA takes effect at once.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from hub.accounts import standing
from hub.accounts.models import UserSession
from hub.accounts.policy import AccountPolicy
from hub.models import User


@dataclass(frozen=True)
class SignedIn:
    user: User
    session: UserSession


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_pending(
    session: Session,
    policy: AccountPolicy,
    user: User,
    now: datetime,
    return_to: str | None = None,
) -> tuple[str, UserSession]:
    """A session that has passed the password only: it reaches the code pages, no more."""
    token = secrets.token_urlsafe(32)
    row = UserSession(
        token_hash=hash_token(token),
        user_id=user.id,
        created_at=now,
        last_seen_at=now,
        expires_at=now + policy.pending,
        return_to=return_to,
    )
    session.add(row)
    session.flush()
    return token, row


def complete(session: Session, policy: AccountPolicy, row: UserSession, now: datetime) -> str:
    """Mark the second factor passed, under a new token.

    A new token, because the one issued before the code was checked was held by a browser
    that had proved only a password (and, were it planted, fixed in advance).
    """
    token = secrets.token_urlsafe(32)
    row.token_hash = hash_token(token)
    row.mfa_passed_at = now
    row.last_seen_at = now
    row.expires_at = now + policy.absolute
    session.flush()
    return token


def find(
    session: Session, policy: AccountPolicy, token: str | None, now: datetime
) -> UserSession | None:
    """The live session the token names, full or pending; an expired one is deleted."""
    if not token:
        return None
    row = session.scalar(select(UserSession).where(UserSession.token_hash == hash_token(token)))
    if row is None:
        return None
    if now >= row.expires_at or now - row.last_seen_at >= policy.idle:
        session.delete(row)
        session.flush()
        return None
    return row


def resume(
    session: Session, policy: AccountPolicy, token: str | None, now: datetime
) -> SignedIn | None:
    """The signed-in person for a request, or None; a found session counts as activity.

    Standing is checked on every request, not only at sign-in: vetting that lapses at
    midnight ends the session at midnight.
    """
    row = find(session, policy, token, now)
    if row is None or row.mfa_passed_at is None:
        return None
    user = session.get(User, row.user_id)
    if user is None or standing.refusal(user, now.date()) is not None:
        session.delete(row)
        session.flush()
        return None
    row.last_seen_at = now
    session.flush()
    return SignedIn(user, row)


def end(session: Session, row: UserSession) -> None:
    session.delete(row)
    session.flush()


def revoke_all(session: Session, user_id: uuid.UUID) -> int:
    """Delete every session of a person: the next request of each browser is signed out."""
    result = session.execute(
        delete(UserSession)
        .where(UserSession.user_id == user_id)
        .execution_options(synchronize_session="fetch")
    )
    return int(getattr(result, "rowcount", 0) or 0)


def purge_expired(
    session: Session, policy: AccountPolicy, user_id: uuid.UUID, now: datetime
) -> None:
    """Drop a person's dead sessions, so abandoned sign-ins do not pile up."""
    session.execute(
        delete(UserSession)
        .where(UserSession.user_id == user_id)
        .where((UserSession.expires_at <= now) | (UserSession.last_seen_at <= now - policy.idle))
        .execution_options(synchronize_session="fetch")
    )
