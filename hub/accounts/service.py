"""Signing in, step by step: password, then code (or, the first time, MFA enrolment).

No Flask here: each step takes the database session, the policy, the attempt's time and
correlation id, and returns what the page needs. Every outcome is audited in the caller's
transaction, and a refusal is committed like a success (the failure count must stick).

Every refusal before the second factor looks the same to the person at the form: a locked,
disabled, unvetted or unknown account answers exactly as a wrong password does, and an
unknown one takes as long (a dummy hash is verified). The reason goes to the audit trail.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.accounts import events, passwords, sessions, standing, totp
from hub.accounts.models import UserCredential, UserSession
from hub.accounts.policy import AccountPolicy
from hub.actor import Actor
from hub.models import User


@dataclass(frozen=True)
class Attempt:
    """When a sign-in step happens, and the request it belongs to."""

    now: datetime
    correlation_id: str | None = None


@dataclass(frozen=True)
class PasswordAccepted:
    token: str  # the pending session's, for the cookie
    enrolled: bool  # False: the person must set up their authenticator first


@dataclass(frozen=True)
class SignInComplete:
    token: str  # the full session's, replacing the pending one
    return_to: str | None


def check_password(
    session: Session,
    policy: AccountPolicy,
    attempt: Attempt,
    *,
    username: str,
    password: str,
    return_to: str | None = None,
) -> PasswordAccepted | None:
    """First step. None means "wrong username or password", whatever the real reason."""
    user = session.scalar(select(User).where(User.username == username.strip().lower()))
    credential = credential_for_update(session, user)
    if user is None or credential is None:
        passwords.verify_nobody(policy.hasher, password)
        events.login_failed(session, events.nobody(attempt.correlation_id), "UNKNOWN_USER")
        return None
    actor = events.person_actor(user, attempt.correlation_id)
    # Verified before the lock is looked at, so a locked account takes as long to refuse.
    matches = passwords.verify(policy.hasher, credential.password_hash, password)
    if is_locked(credential, attempt.now):
        events.login_failed(session, actor, "LOCKED", credential.id)
        return None
    if not matches:
        count_failure(session, policy, attempt, actor, credential, "BAD_PASSWORD")
        return None
    barred = standing.refusal(user, attempt.now.date())
    if barred is not None:
        events.login_failed(session, actor, barred, credential.id)
        return None
    if passwords.needs_rehash(policy.hasher, credential.password_hash):
        credential.password_hash = passwords.hash_password(policy.hasher, password)
        events.credential_changed(session, actor, credential.id, "REHASHED", ["password_hash"])
    sessions.purge_expired(session, policy, user.id, attempt.now)
    token, _row = sessions.open_pending(session, policy, user, attempt.now, return_to)
    return PasswordAccepted(token=token, enrolled=credential.mfa_enrolled_at is not None)


def pending_sign_in(
    session: Session, policy: AccountPolicy, token: str | None, now: datetime
) -> tuple[UserSession, User, UserCredential] | None:
    """The half-finished sign-in a browser holds (password passed, code not yet)."""
    row = sessions.find(session, policy, token, now)
    if row is None or row.mfa_passed_at is not None:
        return None
    user = session.get(User, row.user_id)
    credential = credential_for_update(session, user)
    if user is None or credential is None:
        return None
    return row, user, credential


def enrolment_secret(session: Session, credential: UserCredential) -> str:
    """The secret to show for enrolment: kept until confirmed, so a reload shows the same."""
    if credential.mfa_enrolled_at is not None:
        raise ValueError("MFA is already set up for this account")
    secret = credential.totp_secret
    if secret is None:
        secret = totp.new_secret()
        credential.totp_secret = secret
        session.flush()
    return secret


def verify_code(
    session: Session,
    policy: AccountPolicy,
    attempt: Attempt,
    *,
    token: str | None,
    code: str,
) -> SignInComplete | None:
    """Second step, and enrolment's confirmation: a right, fresh code completes sign-in."""
    found = pending_sign_in(session, policy, token, attempt.now)
    if found is None:
        return None
    row, user, credential = found
    actor = events.person_actor(user, attempt.correlation_id)
    if is_locked(credential, attempt.now):
        events.login_failed(session, actor, "LOCKED", credential.id)
        return None
    barred = standing.refusal(user, attempt.now.date())
    if barred is not None:
        events.login_failed(session, actor, barred, credential.id)
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
    credential.failed_attempts = 0
    credential.lockouts = 0
    credential.locked_until = None
    if credential.mfa_enrolled_at is None:
        credential.mfa_enrolled_at = attempt.now
        events.credential_changed(
            session, actor, credential.id, "MFA_ENROLLED", ["totp_secret", "mfa_enrolled_at"]
        )
    new_token = sessions.complete(session, policy, row, attempt.now)
    events.login(session, actor, row.id)
    return SignInComplete(token=new_token, return_to=row.return_to)


def sign_out(session: Session, policy: AccountPolicy, attempt: Attempt, token: str | None) -> bool:
    row = sessions.find(session, policy, token, attempt.now)
    if row is None:
        return False
    user = session.get(User, row.user_id)
    if user is not None:
        actor = events.person_actor(user, attempt.correlation_id)
        events.sessions_ended(session, actor, [row.id], "SIGNED_OUT")
    sessions.end(session, row)
    return True


def credential_for_update(session: Session, user: User | None) -> UserCredential | None:
    if user is None:
        return None
    # Locked for update: two wrong passwords at once must both be counted.
    return session.scalar(
        select(UserCredential).where(UserCredential.user_id == user.id).with_for_update()
    )


def is_locked(credential: UserCredential, now: datetime) -> bool:
    return credential.locked_until is not None and now < credential.locked_until


def count_failure(
    session: Session,
    policy: AccountPolicy,
    attempt: Attempt,
    actor: Actor,
    credential: UserCredential,
    reason: str,
) -> None:
    events.login_failed(session, actor, reason, credential.id)
    credential.failed_attempts += 1
    if credential.failed_attempts < policy.backoff.threshold:
        session.flush()
        return
    length = policy.backoff.lock_length(credential.lockouts)
    credential.lockouts += 1
    credential.failed_attempts = 0
    credential.locked_until = attempt.now + length
    session.flush()
    events.locked_out(
        session, actor, credential.id, int(length.total_seconds()), credential.lockouts
    )
