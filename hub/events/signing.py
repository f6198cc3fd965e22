"""Signing deliveries so a receiver can tell they came from the hub, unaltered and fresh.

The scheme is Standard Webhooks' (standardwebhooks.com), so receivers can use an
off-the-shelf verifier: HMAC-SHA256 over "{id}.{timestamp}.{body}" with the subscription's
secret, sent as three headers. HMAC rather than a JWS signed by a hub key because each
subscription then has its own key: a receiver leaking its secret exposes only its own feed,
and a secret is rotated by subscribing afresh, without touching any other receiver.

`verify` is what a receiver runs (docs/events.md shows it standalone); the tests use it from
the receiver's side of a real HTTP connection.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Mapping

from hub.events.subscriptions import SECRET_PREFIX

ID, TIMESTAMP, SIGNATURE = "webhook-id", "webhook-timestamp", "webhook-signature"
# A delivery older or newer than this is refused by `verify`: a captured one cannot be
# replayed later.
TOLERANCE_SECONDS = 300


class InvalidSignature(Exception):
    pass


def _key(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def _sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signed_headers(
    secret: str, message_id: str, body: bytes, *, now: float | None = None
) -> dict[str, str]:
    timestamp = int(time.time() if now is None else now)
    return {
        ID: message_id,
        TIMESTAMP: str(timestamp),
        SIGNATURE: _sign(secret, message_id, timestamp, body),
        "Content-Type": "application/json",
    }


def verify(
    secret: str,
    headers: Mapping[str, str],
    body: bytes,
    *,
    now: float | None = None,
    tolerance: int = TOLERANCE_SECONDS,
) -> None:
    """Raise `InvalidSignature` unless `body` was signed with `secret` within `tolerance`."""
    lowered = {k.lower(): v for k, v in headers.items()}
    try:
        message_id, stamp, given = lowered[ID], lowered[TIMESTAMP], lowered[SIGNATURE]
        timestamp = int(stamp)
    except (KeyError, ValueError):
        raise InvalidSignature("the signature headers are missing or malformed") from None
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance:
        raise InvalidSignature("the timestamp is outside the tolerance")
    expected = _sign(secret, message_id, timestamp, body)
    # Several signatures may be sent (space-separated) while a secret is being rotated.
    if not any(hmac.compare_digest(expected, s) for s in given.split()):
        raise InvalidSignature("no signature matches")
