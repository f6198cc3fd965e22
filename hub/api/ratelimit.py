"""Requests per client per window, checked after the token (so a forged client id cannot
spend another system's allowance).

Moving windows, in memory or in Redis. In memory each gunicorn worker counts alone, so a
client gets up to workers x the limit; point HUB_RATE_LIMIT_STORAGE at Redis
(redis://host:6379) to count across workers and hosts, where the `limits` library counts.
In memory the hub keeps its own log of each client's recent requests: the library's memory
storage starts a timer thread on almost every hit, which cost more than the token check
(bench/api.py).
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque

from flask import Response
from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from hub.api.problems import problem


class InMemoryWindows:
    """Each client's request times within the last window, oldest first (one process)."""

    def __init__(self, amount: int, seconds: int) -> None:
        self.amount, self.seconds = amount, seconds
        self._log: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, client_id: str) -> float | None:
        """None if the request is allowed (and counted); else seconds until one would be."""
        now = time.monotonic()
        with self._lock:
            times = self._log.setdefault(client_id, deque())
            horizon = now - self.seconds
            while times and times[0] <= horizon:
                times.popleft()
            if len(times) < self.amount:
                times.append(now)
                return None
            return times[0] + self.seconds - now


class ClientRateLimit:
    def __init__(self, limit: str, storage_uri: str) -> None:
        self.item: RateLimitItem = parse(limit)
        self._memory: InMemoryWindows | None = None
        if storage_uri.startswith("memory://"):
            self._memory = InMemoryWindows(self.item.amount, self.item.get_expiry())
        else:
            self._limiter = MovingWindowRateLimiter(storage_from_string(storage_uri))

    def refusal(self, client_id: str) -> Response | None:
        """None if the client may go on; else the 429 to answer with."""
        if self._memory is not None:
            waiting = self._memory.hit(client_id)
            if waiting is None:
                return None
            wait = max(1, math.ceil(waiting))
        else:
            if self._limiter.hit(self.item, "client", client_id):
                return None
            stats = self._limiter.get_window_stats(self.item, "client", client_id)
            wait = max(1, math.ceil(stats.reset_time - time.time()))
        return problem(
            429,
            "rate-limited",
            f"more than {self.item} for this client; retry after {wait} s",
            headers={"Retry-After": str(wait)},
        )
