"""How long an account stays locked after repeated failures: pure arithmetic."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True)
class Backoff:
    threshold: int = 5  # failures in a row that lock the account
    first: timedelta = timedelta(minutes=1)
    cap: timedelta = timedelta(hours=1)

    def lock_length(self, lockouts_before: int) -> timedelta:
        """1, 2, 4, ... minutes for the first, second, third lock in a row, up to the cap.

        Doubling makes guessing through repeated locks hopeless (a day buys about 30 tries
        once capped) while a person who mistypes five times waits only a minute.
        """
        exponent = min(lockouts_before, 32)  # no enormous integers from a long history
        return min(self.first * (1 << exponent), self.cap)
