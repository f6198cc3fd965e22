"""Account administration: create, disable, reset MFA, list (the `hub users` commands)."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.accounts import events, passwords, sessions
from hub.accounts.models import UserCredential, UserSession
from hub.accounts.policy import AccountPolicy
from hub.actor import Actor
from hub.errors import InvalidInput
from hub.models import Agency, User
from hub.services.agencies import register_user
from hub.services.recording import audit_write
from hub.vocabulary import AuditOperation


@dataclass(frozen=True)
class NewAccount:
    user: User
    initial_password: str


@dataclass(frozen=True)
class AccountSummary:
    username: str
    agency: str
    roles: tuple[str, ...]
    active: bool
    vetting_expires: date | None
    mfa_enrolled: bool
    locked: bool


def initial_password() -> str:
    """20 random URL-safe characters (120 bits): handed over once, out of band."""
    return secrets.token_urlsafe(15)


def create_account(
    session: Session,
    policy: AccountPolicy,
    actor: Actor,
    *,
    agency_code: str,
    username: str,
    display_name: str,
    roles: Iterable[str],
    vetting_expires: date | None,
    today: date,
    password: str | None = None,
) -> NewAccount:
    """A person and their credential; they set up MFA at their first sign-in."""
    code = (agency_code or "").strip().upper()
    agency = session.scalar(select(Agency).where(Agency.code == code))
    if agency is None:
        raise InvalidInput("agency", f"no agency with code {code!r}")
    if vetting_expires is None:
        raise InvalidInput("vetting_expires", "is required (YYYY-MM-DD)")
    if vetting_expires < today:
        raise InvalidInput("vetting_expires", "is in the past: the person could not sign in")
    chosen = password if password is not None else initial_password()
    passwords.check_policy(chosen, (username or "").strip().lower())
    user = register_user(
        session,
        actor,
        agency_id=agency.id,
        username=username,
        display_name=display_name,
        roles=list(roles),
        vetting_expires=vetting_expires,
    )
    credential = UserCredential(
        user_id=user.id, password_hash=passwords.hash_password(policy.hasher, chosen)
    )
    session.add(credential)
    session.flush()
    events.credential_changed(
        session,
        actor,
        credential.id,
        "CREATED",
        ["password_hash"],
        operation=AuditOperation.COLLECT,
    )
    return NewAccount(user=user, initial_password=chosen)


def disable(session: Session, actor: Actor, username: str) -> int:
    """Stop a person signing in and end their sessions; returns how many were ended."""
    user = _user(session, username)
    user.active = False
    session.flush()
    audit_write(session, actor, AuditOperation.ALTER, "user", user.id, fields=("active",))
    return _revoke(session, actor, user, "REVOKED_ON_DISABLE")


def reset_mfa(session: Session, actor: Actor, username: str) -> int:
    """Forget a person's authenticator (lost phone): they enrol again at next sign-in.

    Their sessions end too: whoever holds the lost phone may also hold a signed-in browser.
    """
    user = _user(session, username)
    credential = session.scalar(
        select(UserCredential).where(UserCredential.user_id == user.id).with_for_update()
    )
    if credential is None:
        raise InvalidInput("username", f"{user.username} has no credential to reset")
    credential.totp_secret = None
    credential.mfa_enrolled_at = None
    credential.totp_last_step = None
    session.flush()
    events.credential_changed(
        session, actor, credential.id, "MFA_RESET", ["totp_secret", "mfa_enrolled_at"]
    )
    return _revoke(session, actor, user, "REVOKED_ON_MFA_RESET")


def summaries(session: Session, now: datetime) -> list[AccountSummary]:
    credentials = {c.user_id: c for c in session.scalars(select(UserCredential))}
    found = []
    for user in session.scalars(select(User).order_by(User.username)):
        credential = credentials.get(user.id)
        found.append(
            AccountSummary(
                username=user.username,
                agency=user.agency.code,
                roles=tuple(sorted(r.value for r in user.roles)),
                active=user.active,
                vetting_expires=user.vetting_expires,
                mfa_enrolled=credential is not None and credential.mfa_enrolled_at is not None,
                locked=credential is not None
                and credential.locked_until is not None
                and credential.locked_until > now,
            )
        )
    return found


def _user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == (username or "").strip().lower()))
    if user is None:
        raise InvalidInput("username", "no account has this username")
    return user


def _revoke(session: Session, actor: Actor, user: User, outcome: str) -> int:
    ids = list(session.scalars(select(UserSession.id).where(UserSession.user_id == user.id)))
    if ids:
        events.sessions_ended(session, actor, ids, outcome)
    sessions.revoke_all(session, user.id)
    return len(ids)
