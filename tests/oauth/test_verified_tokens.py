"""The verifier's memory of checked tokens (hub.oauth.verify.VerifiedTokens): it spares a
client's repeated calls the signature check, and never honours what a full check would not."""

from __future__ import annotations

import time
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import ECKey

from hub.oauth.verify import AccessToken, ExpiredToken, TokenRejected, VerifiedTokens, checked

ISSUER, AUDIENCE = "https://hub.example", "https://hub.example/api"


def token(key: ECKey, kid: str, now: int, **claims: Any) -> str:
    body = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "client-1",
        "client_id": "client-1",
        "jti": "jti-1",
        "agency": "agency-1",
        "scope": "cases:read",
        "iat": now,
        "exp": now + 600,
        **claims,
    }
    header = {"alg": "ES256", "typ": "at+jwt", "kid": kid}
    return jwt.encode(header, body, key, algorithms=["ES256"])


def read(verified: VerifiedTokens, token: str, key_for: Any, now: int) -> AccessToken:
    """As the API reads a bearer token: remembered or verified, then its claims checked."""
    return checked(verified.claims(token, key_for), issuer=ISSUER, audience=AUDIENCE, now=now)


def test_a_remembered_token_reads_as_it_did_when_checked_in_full() -> None:
    key, now = ECKey.generate_key("P-256"), int(time.time())
    good = token(key, "k1", now)
    verified = VerifiedTokens()
    first = read(verified, good, {"k1": key}.get, now)
    again = read(verified, good, {"k1": key}.get, now)
    assert again == first
    assert (again.client_id, again.agency_id, again.scopes) == (
        "client-1",
        "agency-1",
        frozenset({"cases:read"}),
    )


def test_a_remembered_token_is_refused_once_it_has_expired() -> None:
    key, now = ECKey.generate_key("P-256"), int(time.time())
    good = token(key, "k1", now)
    verified = VerifiedTokens()
    read(verified, good, {"k1": key}.get, now)
    with pytest.raises(ExpiredToken):
        read(verified, good, {"k1": key}.get, now + 700)


@pytest.mark.parametrize("published", [{}, "another key"], ids=["key dropped", "key replaced"])
def test_a_remembered_token_is_checked_in_full_once_its_key_is_no_longer_published(
    published: Any,
) -> None:
    key, now = ECKey.generate_key("P-256"), int(time.time())
    good = token(key, "k1", now)
    verified = VerifiedTokens()
    read(verified, good, {"k1": key}.get, now)
    keys = {"k1": ECKey.generate_key("P-256")} if published else {}
    with pytest.raises(TokenRejected):
        read(verified, good, keys.get, now)


def test_a_token_differing_from_a_remembered_one_by_a_byte_is_checked_in_full() -> None:
    key, now = ECKey.generate_key("P-256"), int(time.time())
    good = token(key, "k1", now)
    verified = VerifiedTokens()
    read(verified, good, {"k1": key}.get, now)
    header, body, signature = good.split(".")
    forged_body = token(key, "k1", now, scope="cases:read audit:read").split(".")[1]
    # A signature byte changed mid-way (never only the last character's unused bits).
    flipped = signature[:10] + ("B" if signature[10] != "B" else "C") + signature[11:]
    for forged in (f"{header}.{forged_body}.{signature}", f"{header}.{body}.{flipped}"):
        with pytest.raises(TokenRejected):
            read(verified, forged, {"k1": key}.get, now)


def test_the_memory_keeps_only_the_most_recently_used_tokens() -> None:
    key, now = ECKey.generate_key("P-256"), int(time.time())
    verified = VerifiedTokens(size=2)
    tokens = [token(key, "k1", now, jti=f"jti-{n}") for n in range(3)]
    for t in tokens:
        read(verified, t, {"k1": key}.get, now)
    read(verified, tokens[1], {"k1": key}.get, now)  # used again: now the most recent
    read(verified, tokens[2], {"k1": key}.get, now)
    assert len(verified) == 2
    assert tokens[0] not in verified
    assert {tokens[1], tokens[2]} <= {t for t in tokens if t in verified}
