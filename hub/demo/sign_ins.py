"""Demo sign-ins: a few of the demo staff get a password and an authenticator secret.

Only for `HUB_ENV=demo` (the `hub demo load` command checks): the password is published in
docs/accounts.md, which is acceptable only for invented people on a throwaway database. The
TOTP secrets are random at each load and printed once, never stored in the repository.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.accounts import events, passwords, totp
from hub.accounts.models import UserCredential
from hub.accounts.policy import AccountPolicy
from hub.actor import hub_actor
from hub.db import utcnow
from hub.models import User
from hub.settings import Settings
from hub.vocabulary import AuditOperation

DEMO_PASSWORD = "demo-password-not-secret"  # noqa: S105  (published, demo only)
# One person for every role a person signs in with (hub/demo/agencies.py STAFF); systems
# (SYSTEM_API_CLIENT) use OAuth client credentials instead (docs/api.md).
DEMO_USERS = (
    "chair.l2",
    "chair.l3",
    "coordinator",
    "offender.manager",
    "mosovo",
    "housing.rep",
    "health.rep",
    "health.discloser",
    "cosa.coordinator",
    "cosa.volunteer",
    "auditor",
    "smb.member",
    "lay.adviser",
)


@dataclass(frozen=True)
class DemoSignIn:
    username: str
    secret: str
    uri: str


def create_demo_sign_ins(session: Session, policy: AccountPolicy) -> list[DemoSignIn]:
    # Real today, not the load's --as-of date: the vetting must be current when people try.
    today = utcnow().date()
    made = []
    stored = passwords.hash_password(policy.hasher, DEMO_PASSWORD)  # one hash serves all
    for username in DEMO_USERS:
        user = session.scalars(select(User).where(User.username == username)).one()
        user.vetting_expires = today + timedelta(days=365)
        secret = totp.new_secret()
        credential = UserCredential(user_id=user.id, password_hash=stored)
        credential.totp_secret = secret
        credential.mfa_enrolled_at = credential.password_set_at = _midnight(today)
        session.add(credential)
        session.flush()
        events.credential_changed(
            session,
            hub_actor(),
            credential.id,
            "DEMO_SIGN_IN",
            ["password_hash", "totp_secret"],
            operation=AuditOperation.COLLECT,
        )
        made.append(DemoSignIn(username, secret, totp.provisioning_uri(secret, username)))
    return made


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def announce(settings: Settings, session: Session) -> list[str]:
    """Create the demo sign-ins and say how to use them (for `hub demo load`)."""
    made = create_demo_sign_ins(session, AccountPolicy.from_settings(settings))
    lines = [
        f"demo sign-ins at /sign-in (cosa.coordinator: /portal/sign-in), password "
        f"{DEMO_PASSWORD!r}; add the key to an authenticator app (or: oathtool --totp -b KEY):"
    ]
    roles = {
        user.username: ", ".join(sorted(r.value for r in user.roles))
        for user in session.scalars(select(User).where(User.username.in_(DEMO_USERS)))
    }
    lines += [f"  {m.username:<18} key {m.secret}" for m in made]
    lines.append("their roles (one demo person for each role people sign in with):")
    lines += [f"  {m.username:<18} is {roles[m.username]}" for m in made]
    return lines
