"""Failed sign-ins lock the account for 1, 2, 4 ... minutes, up to an hour."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from hub.accounts import totp
from hub.accounts.lockout import Backoff
from hub.accounts.policy import AccountPolicy
from hub.accounts.service import Attempt, check_password, verify_code
from tests.accounts.conftest import (
    START,
    Account,
    Clock,
    audit_since,
    credential_of,
    enter_code,
    enter_password,
    last_seq,
)

WRONG = "not the passphrase at all"


def _fail_five_times(
    session: Session, policy: AccountPolicy, account: Account, at: datetime
) -> None:
    for _ in range(5):
        assert (
            check_password(session, policy, Attempt(at), username=account.username, password=WRONG)
            is None
        )


def _right_password(
    session: Session, policy: AccountPolicy, account: Account, at: datetime
) -> bool:
    found = check_password(
        session, policy, Attempt(at), username=account.username, password=account.password
    )
    return found is not None


def test_five_failures_lock_the_account_even_against_the_right_password(
    session: Session, policy: AccountPolicy, enrolled: Account
) -> None:
    before = last_seq(session)
    _fail_five_times(session, policy, enrolled, START)
    assert not _right_password(session, policy, enrolled, START + timedelta(seconds=59))
    assert _right_password(session, policy, enrolled, START + timedelta(seconds=60))

    entries = audit_since(session, before)
    lock = [e for e in entries if e["outcome"] == "LOCKED_OUT"]
    assert len(lock) == 1
    assert lock[0]["operation"] == "ALTER"
    assert lock[0]["extra"] == {"lockouts_in_a_row": "1", "seconds": "60"}
    assert [e["outcome"] for e in entries if e["operation"] == "LOGIN_FAILED"] == [
        "BAD_PASSWORD"
    ] * 5 + ["LOCKED"]


def test_each_lock_in_a_row_doubles_until_the_one_hour_cap(
    session: Session, policy: AccountPolicy, enrolled: Account
) -> None:
    at = START
    lengths = []
    for _ in range(8):
        _fail_five_times(session, policy, enrolled, at)
        credential = credential_of(session, enrolled.user)
        assert credential.locked_until is not None
        lengths.append(int((credential.locked_until - at).total_seconds() // 60))
        at = credential.locked_until
    assert lengths == [1, 2, 4, 8, 16, 32, 60, 60]


def test_a_completed_sign_in_resets_the_backoff(
    session: Session, policy: AccountPolicy, enrolled: Account
) -> None:
    _fail_five_times(session, policy, enrolled, START)
    at = START + timedelta(minutes=1)
    accepted = check_password(
        session, policy, Attempt(at), username=enrolled.username, password=enrolled.password
    )
    assert accepted is not None
    assert enrolled.secret is not None
    assert verify_code(
        session, policy, Attempt(at), token=accepted.token, code=totp.code_at(enrolled.secret, at)
    )
    credential = credential_of(session, enrolled.user)
    assert (credential.failed_attempts, credential.lockouts, credential.locked_until) == (
        0,
        0,
        None,
    )
    _fail_five_times(session, policy, enrolled, at)
    assert credential.locked_until == at + timedelta(minutes=1)  # back to the first length


def test_wrong_codes_count_towards_the_lock(
    session: Session, policy: AccountPolicy, enrolled: Account
) -> None:
    """Otherwise a stolen password would allow guessing all million codes."""
    accepted = check_password(
        session, policy, Attempt(START), username=enrolled.username, password=enrolled.password
    )
    assert accepted is not None
    assert enrolled.secret is not None
    for _ in range(5):
        assert (
            verify_code(session, policy, Attempt(START), token=accepted.token, code="000000")
            is None
        )
    right = totp.code_at(enrolled.secret, START)
    assert verify_code(session, policy, Attempt(START), token=accepted.token, code=right) is None
    assert credential_of(session, enrolled.user).locked_until == START + timedelta(minutes=1)


def test_a_right_password_does_not_clear_the_count_of_wrong_codes(
    session: Session, policy: AccountPolicy, enrolled: Account
) -> None:
    for _ in range(4):
        accepted = check_password(
            session, policy, Attempt(START), username=enrolled.username, password=enrolled.password
        )
        assert accepted is not None
        verify_code(session, policy, Attempt(START), token=accepted.token, code="000000")
    assert credential_of(session, enrolled.user).failed_attempts == 4


def test_a_locked_account_answers_the_page_exactly_as_a_wrong_password(
    client: FlaskClient, session: Session, enrolled: Account, clock: Clock
) -> None:
    for _ in range(5):
        enter_password(client, enrolled.username, WRONG)
    wrong = enter_password(client, enrolled.username, WRONG)
    right = enter_password(client, enrolled.username, enrolled.password)
    assert (right.status_code, right.get_data()) == (wrong.status_code, wrong.get_data())
    clock.advance(minutes=1)
    assert enter_password(client, enrolled.username, enrolled.password).status_code == 303
    assert enrolled.secret is not None
    assert enter_code(client, totp.code_at(enrolled.secret, clock.now)).status_code == 303


def test_backoff_lengths() -> None:
    backoff = Backoff()
    assert [backoff.lock_length(n) for n in (0, 1, 2, 5, 6, 500)] == [
        timedelta(minutes=m) for m in (1, 2, 4, 32, 60, 60)
    ]
