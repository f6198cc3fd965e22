"""The password policy, argon2id hashing with rehash at sign-in, and TOTP arithmetic."""

from __future__ import annotations

from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy.orm import Session

from hub.accounts import passwords, totp
from hub.accounts.policy import AccountPolicy
from hub.accounts.service import Attempt, check_password
from hub.errors import InvalidInput
from tests.accounts.conftest import START, Account, audit_since, credential_of, last_seq


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("", "is required"),
        ("short pass", "at least 12 characters"),
        ("x" * 257, "at most 256 characters"),
        ("my name is Test.Chair ok", "must not contain the username"),
    ],
)
def test_the_policy_refuses_and_names_the_field(password: str, problem: str) -> None:
    with pytest.raises(InvalidInput, match=problem) as refused:
        passwords.check_policy(password, "test.chair")
    assert refused.value.field == "password"


def test_a_long_passphrase_is_accepted() -> None:
    assert passwords.check_policy("twelve chars", "test.chair") == "twelve chars"


def test_hashes_are_argon2id_and_verify() -> None:
    hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    stored = passwords.hash_password(hasher, "a synthetic passphrase")
    assert stored.startswith("$argon2id$")
    assert passwords.verify(hasher, stored, "a synthetic passphrase")
    assert not passwords.verify(hasher, stored, "another passphrase")
    assert not passwords.verify(hasher, "not a hash", "a synthetic passphrase")


def test_a_hash_made_with_old_parameters_is_replaced_at_the_next_sign_in(
    session: Session, account: Account
) -> None:
    """The account's hash was made with the tests' cheap parameters; the real policy uses
    argon2-cffi's defaults, so signing in once upgrades it and audits the change."""
    real = AccountPolicy()
    old = credential_of(session, account.user).password_hash
    assert passwords.needs_rehash(real.hasher, old)
    before = last_seq(session)
    accepted = check_password(
        session, real, Attempt(START), username=account.username, password=account.password
    )
    assert accepted is not None
    new = credential_of(session, account.user).password_hash
    assert new != old
    assert not passwords.needs_rehash(real.hasher, new)
    assert passwords.verify(real.hasher, new, account.password)
    assert "REHASHED" in [e["outcome"] for e in audit_since(session, before)]


def test_codes_match_their_step_and_one_step_either_side() -> None:
    secret = totp.new_secret()
    code = totp.code_at(secret, START)
    step = int(START.timestamp()) // 30
    assert totp.matching_step(secret, code, START) == step
    assert totp.matching_step(secret, code, START + timedelta(seconds=30)) == step
    assert totp.matching_step(secret, code, START - timedelta(seconds=30)) == step
    assert totp.matching_step(secret, code, START + timedelta(seconds=60)) is None
    assert totp.matching_step(secret, f"{code[:3]} {code[3:]}", START) == step
    assert totp.matching_step(secret, "12345", START) is None
    assert totp.matching_step(secret, "abcdef", START) is None


def test_the_code_matches_rfc_6238_test_vector() -> None:
    """RFC 6238 appendix B, SHA-1, T = 59 s: 94287082 (8 digits), so 287082 for 6."""
    import base64
    from datetime import UTC, datetime

    secret = base64.b32encode(b"12345678901234567890").decode()
    assert totp.code_at(secret, datetime.fromtimestamp(59, UTC)) == "287082"


def test_secrets_are_160_bits_of_base32() -> None:
    secret = totp.new_secret()
    assert len(secret) == 32
    assert secret != totp.new_secret()
