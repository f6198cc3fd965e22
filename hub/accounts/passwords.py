"""Password hashing (argon2id) and the password policy."""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from hub.errors import InvalidInput

MIN_LENGTH = 12
# Long enough for any passphrase; bounded so nobody can make the hub hash a megabyte.
MAX_LENGTH = 256


def default_hasher() -> PasswordHasher:
    """argon2-cffi's RFC 9106 profile: upgrading the library upgrades the parameters, and
    `needs_rehash` then replaces old hashes at each person's next sign-in."""
    return PasswordHasher()


def check_policy(password: object, username: str, field: str = "password") -> str:
    if not isinstance(password, str) or not password:
        raise InvalidInput(field, "is required")
    if len(password) < MIN_LENGTH:
        raise InvalidInput(field, f"must be at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise InvalidInput(field, f"must be at most {MAX_LENGTH} characters")
    if username and username.lower() in password.lower():
        raise InvalidInput(field, "must not contain the username")
    return password


def hash_password(hasher: PasswordHasher, password: str) -> str:
    return hasher.hash(password)


def verify(hasher: PasswordHasher, stored: str, password: str) -> bool:
    try:
        return hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def verify_nobody(hasher: PasswordHasher, password: str) -> None:
    """Spend the time a real verification takes, for a username that has no account.

    Without it, an unknown username would answer measurably faster than a wrong password.
    """
    verify(hasher, _dummy_hash(hasher), password)


def needs_rehash(hasher: PasswordHasher, stored: str) -> bool:
    try:
        return hasher.check_needs_rehash(stored)
    except InvalidHashError:
        return True


@cache
def _dummy_hash(hasher: PasswordHasher) -> str:
    return hasher.hash("no account has this password")
