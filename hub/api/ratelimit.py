"""Requests per client per window, checked after the token (so a forged client id cannot
spend another system's allowance).

The `limits` library does the counting: moving windows, in memory or in Redis. In memory each
gunicorn worker counts alone, so a client gets up to workers x the limit; point
HUB_RATE_LIMIT_STORAGE at Redis (redis://host:6379) to count across workers and hosts.
"""

from __future__ import annotations

import math
import time

from flask import Response
from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from hub.api.problems import problem


class ClientRateLimit:
    def __init__(self, limit: str, storage_uri: str) -> None:
        self.item: RateLimitItem = parse(limit)
        self._limiter = MovingWindowRateLimiter(storage_from_string(storage_uri))

    def refusal(self, client_id: str) -> Response | None:
        """None if the client may go on; else the 429 to answer with."""
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
