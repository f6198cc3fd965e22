"""Client secrets: random, shown once, stored as a hash.

Why SHA-256 and not a password hash (scrypt, Argon2): the secret is 256 random bits from
`secrets`, not a human-chosen password, so there is no dictionary to slow down; guessing it
is infeasible at any hash speed. A deliberately slow hash would only add tens of
milliseconds of CPU to every token request and hand an attacker a cheap way to exhaust the
workers. The digest is compared in constant time, and prefixed with its scheme so a later
change of algorithm can tell old hashes apart.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

_SCHEME = "sha256$"


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def hash_secret(secret: str) -> str:
    return _SCHEME + hashlib.sha256(secret.encode()).hexdigest()


def secret_matches(secret: str, stored: str | None) -> bool:
    if not stored or not stored.startswith(_SCHEME):
        return False  # unknown scheme or no secret: fail closed
    return hmac.compare_digest(hash_secret(secret), stored)
