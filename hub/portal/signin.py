"""Signing in to the COSA portal: the accounts' password, TOTP and lockout rules, in a realm
of its own.

The steps are those of hub.accounts.service (password, then code or first-time enrolment),
with the same hashing, codes, lockout, standing checks and audit entries, but the sessions
are rows of `portal_session`, which the workspace never reads, and only a COSA coordinator of
a COSA provider may hold one: anyone else is refused exactly as a wrong password is (the
reason, NOT_A_PORTAL_USER, goes to the audit trail). A workspace session is never a portal
session and a portal session never a workspace one.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from hub.accounts import events, passwords, standing, totp
from hub.accounts.models import UserCredential
from hub.accounts.policy import AccountPolicy

# One credential, one lockout count, both realms: the workspace's own helpers, not copies.
from hub.accounts.service import Attempt, count_failure, credential_for_update, is_locked
from hub.accounts.sessions import hash_token
from hub.actor import Actor
from hub.audit import AuditEntry, record
from hub.cosa.models import PortalSession
from hub.models import User
from hub.vocabulary import AgencyType, AuditOperation, Role

CLIENT = "hub-portal"


@dataclass(frozen=True)
class Pending:
    token: str
    enrolled: bool


def may_use_portal(user: User) -> bool:
    return (
        user.active
        and Role.COSA_COORDINATOR in user.roles
        and user.agency.type is AgencyType.COSA_PROVIDER
    )


def portal_actor(user: User, correlation_id: str | None, purpose: str = "SIGN_IN") -> Actor:
    return Actor(
        agency_id=user.agency_id,
        user_id=user.id,
        roles=user.roles,
        client_id=CLIENT,
        purpose=purpose,
        correlation_id=correlation_id or uuid.uuid4().hex,
    )


def check_password(
    session: Session, policy: AccountPolicy, attempt: Attempt, *, username: str, password: str
) -> Pending | None:
    user = session.scalar(select(User).where(User.username == username.strip().lower()))
    credential = credential_for_update(session, user)
    if user is None or credential is None:
        passwords.verify_nobody(policy.hasher, password)
        events.login_failed(session, events.nobody(attempt.correlation_id), "UNKNOWN_USER")
        return None
    actor = portal_actor(user, attempt.correlation_id)
    matches = passwords.verify(policy.hasher, credential.password_hash, password)
    if is_locked(credential, attempt.now):
        events.login_failed(session, actor, "LOCKED", credential.id)
        return None
    if not matches:
        count_failure(session, policy, attempt, actor, credential, "BAD_PASSWORD")
        return None
    barred = "NOT_A_PORTAL_USER" if not may_use_portal(user) else None
    barred = barred or standing.refusal(user, attempt.now.date())
    if barred is not None:
        events.login_failed(session, actor, barred, credential.id)
        return None
    if passwords.needs_rehash(policy.hasher, credential.password_hash):
        credential.password_hash = passwords.hash_password(policy.hasher, password)
        events.credential_changed(session, actor, credential.id, "REHASHED", ["password_hash"])
    session.execute(
        delete(PortalSession)
        .where(PortalSession.user_id == user.id, PortalSession.expires_at <= attempt.now)
        .execution_options(synchronize_session="fetch")
    )
    token = secrets.token_urlsafe(32)
    session.add(
        PortalSession(
            token_hash=hash_token(token),
            user_id=user.id,
            created_at=attempt.now,
            last_seen_at=attempt.now,
            expires_at=attempt.now + policy.pending,
        )
    )
    session.flush()
    return Pending(token, credential.mfa_enrolled_at is not None)


def pending(
    session: Session, policy: AccountPolicy, token: str | None, now: datetime
) -> tuple[PortalSession, User, UserCredential] | None:
    row = find(session, policy, token, now)
    if row is None or row.mfa_passed_at is not None:
        return None
    user = session.get(User, row.user_id)
    credential = credential_for_update(session, user)
    if user is None or credential is None:
        return None
    return row, user, credential


def verify_code(
    session: Session, policy: AccountPolicy, attempt: Attempt, *, token: str | None, code: str
) -> str | None:
    """The full session's new token, or None (wrong, replayed or expired)."""
    found = pending(session, policy, token, attempt.now)
    if found is None:
        return None
    row, user, credential = found
    actor = portal_actor(user, attempt.correlation_id)
    if is_locked(credential, attempt.now):
        events.login_failed(session, actor, "LOCKED", credential.id)
        return None
    barred = standing.refusal(user, attempt.now.date())
    if barred is not None or not may_use_portal(user):
        events.login_failed(session, actor, barred or "NOT_A_PORTAL_USER", credential.id)
        return None
    secret = credential.totp_secret
    step = None if secret is None else totp.matching_step(secret, code, attempt.now)
    if step is None:
        count_failure(session, policy, attempt, actor, credential, "BAD_CODE")
        return None
    if credential.totp_last_step is not None and step <= credential.totp_last_step:
        count_failure(session, policy, attempt, actor, credential, "REPLAYED_CODE")
        return None
    credential.totp_last_step = step
    credential.failed_attempts = credential.lockouts = 0
    credential.locked_until = None
    if credential.mfa_enrolled_at is None:
        credential.mfa_enrolled_at = attempt.now
        events.credential_changed(
            session, actor, credential.id, "MFA_ENROLLED", ["totp_secret", "mfa_enrolled_at"]
        )
    new_token = secrets.token_urlsafe(32)  # a new token once the second factor is passed
    row.token_hash = hash_token(new_token)
    row.mfa_passed_at = row.last_seen_at = attempt.now
    row.expires_at = attempt.now + policy.absolute
    session.flush()
    _session_entry(session, actor, AuditOperation.LOGIN, row.id, "SIGNED_IN")
    return new_token


def find(
    session: Session, policy: AccountPolicy, token: str | None, now: datetime
) -> PortalSession | None:
    """The live portal session the token names; an expired one is deleted."""
    if not token:
        return None
    row = session.scalar(select(PortalSession).where(PortalSession.token_hash == hash_token(token)))
    if row is None:
        return None
    if now >= row.expires_at or now - row.last_seen_at >= policy.idle:
        session.delete(row)
        session.flush()
        return None
    return row


def resume(
    session: Session, policy: AccountPolicy, token: str | None, now: datetime
) -> User | None:
    """The signed-in coordinator; standing and the portal role are checked every request."""
    row = find(session, policy, token, now)
    if row is None or row.mfa_passed_at is None:
        return None
    user = session.get(User, row.user_id)
    if user is None or not may_use_portal(user) or standing.refusal(user, now.date()):
        session.delete(row)
        session.flush()
        return None
    row.last_seen_at = now
    session.flush()
    return user


def sign_out(session: Session, policy: AccountPolicy, attempt: Attempt, token: str | None) -> None:
    row = find(session, policy, token, attempt.now)
    if row is None:
        return
    user = session.get(User, row.user_id)
    if user is not None:
        actor = portal_actor(user, attempt.correlation_id)
        _session_entry(session, actor, AuditOperation.ALTER, row.id, "SIGNED_OUT")
    session.delete(row)
    session.flush()


def _session_entry(
    session: Session, actor: Actor, operation: AuditOperation, row_id: uuid.UUID, outcome: str
) -> None:
    record(
        session,
        AuditEntry(
            operation=operation,
            actor=actor,
            record_type="portal_session",
            record_ids=(str(row_id),),
            outcome=outcome,
        ),
    )
