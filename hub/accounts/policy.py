"""The account rules an operator can tune, gathered from the settings in one value."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from argon2 import PasswordHasher

from hub.accounts.lockout import Backoff
from hub.accounts.passwords import default_hasher
from hub.settings import Settings

# Every role sees OFFICIAL-SENSITIVE material (even a lay adviser reads level 3 minutes), so
# no role is exempt from the second factor: one rule without exceptions is also one an
# auditor can check at a glance.
MFA_REQUIRED = True


@dataclass(frozen=True)
class AccountPolicy:
    idle: timedelta = timedelta(minutes=15)
    absolute: timedelta = timedelta(hours=10)
    # Between a right password and a right code: long enough to set up an authenticator app
    # at first sign-in, short enough that a half-finished sign-in does not linger.
    pending: timedelta = timedelta(minutes=10)
    backoff: Backoff = field(default_factory=Backoff)
    hasher: PasswordHasher = field(default_factory=default_hasher)

    @classmethod
    def from_settings(cls, settings: Settings) -> AccountPolicy:
        return cls(
            idle=timedelta(seconds=settings.session_idle_seconds),
            absolute=timedelta(seconds=settings.session_max_seconds),
        )
