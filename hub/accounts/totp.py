"""Time-based one-time codes (RFC 6238): 6 digits, 30-second steps, SHA-1.

SHA-1 and 6 digits because every common authenticator app reads them from an otpauth URI;
HMAC-SHA-1 is not weakened by SHA-1's collisions.
"""

from __future__ import annotations

import base64
import hmac
import secrets
from datetime import datetime

from cryptography.hazmat.primitives.hashes import SHA1
from cryptography.hazmat.primitives.twofactor.totp import TOTP

ISSUER = "MAPPA Hub"
STEP_SECONDS = 30
DIGITS = 6
# One step either side of now absorbs phone clocks a little off and the seconds it takes
# to type a code; more would widen the window an intercepted code stays good for.
DRIFT_STEPS = 1
SECRET_BYTES = 20  # 160 bits, as RFC 4226 recommends


def new_secret() -> str:
    """A fresh secret, base32 without padding: how authenticator apps take it typed in."""
    return base64.b32encode(secrets.token_bytes(SECRET_BYTES)).decode().rstrip("=")


def provisioning_uri(secret: str, account: str) -> str:
    return _totp(secret).get_provisioning_uri(account, ISSUER)


def code_at(secret: str, when: datetime) -> str:
    """The code an authenticator shows at `when` (for tests and the demo)."""
    return _totp(secret).generate(int(when.timestamp())).decode()


def matching_step(secret: str, code: str, when: datetime) -> int | None:
    """The time step, within the drift window, whose code `code` is; None if none.

    The step, not a yes or no: the caller refuses a step no later than the last one it
    accepted, because a code seen once may have been seen by someone else too.
    """
    code = code.strip().replace(" ", "")
    if len(code) != DIGITS or not code.isdigit():
        return None
    totp = _totp(secret)
    now_step = int(when.timestamp()) // STEP_SECONDS
    found = None
    for step in range(now_step - DRIFT_STEPS, now_step + DRIFT_STEPS + 1):
        expected = totp.generate(step * STEP_SECONDS)
        # Every candidate is compared, matched or not, so the time taken says nothing.
        if hmac.compare_digest(expected, code.encode()):
            found = step
    return found


def _totp(secret: str) -> TOTP:
    padded = secret + "=" * (-len(secret) % 8)
    key = base64.b32decode(padded.upper())
    return TOTP(key, DIGITS, SHA1(), STEP_SECONDS)  # noqa: S303
