"""Checking an access token the hub issued: signature, header, registered claims.

Checked by hand rather than with a claims registry: this runs on every API call, and these
few comparisons cost less than building a validator per request. Revocation and the
client's standing are the caller's to check (`hub.oauth.state`, or the database).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import ECKey

from hub.oauth.signing import ALGORITHM

TOKEN_TYPES = ("at+jwt", "application/at+jwt")  # RFC 9068 §2.1, compared case-insensitively
CLOCK_LEEWAY = 5  # seconds: the hub both issues and verifies, so clocks are close


class TokenRejected(Exception):
    """The token is not one to honour; `description` says why, without echoing it."""

    def __init__(self, description: str) -> None:
        super().__init__(description)
        self.description = description


class ExpiredToken(TokenRejected):
    def __init__(self) -> None:
        super().__init__("the access token has expired")


@dataclass(frozen=True)
class AccessToken:
    jti: str
    client_id: str
    agency_id: str
    scopes: frozenset[str]
    expires_at: int
    claims: dict[str, Any]


def decode(
    token: str,
    key_for: Callable[[str], ECKey | None],
    *,
    issuer: str,
    audience: str,
    now: float,
) -> AccessToken:
    claims, _kid, _key = _verified(token, key_for)
    return checked(claims, issuer=issuer, audience=audience, now=now)


class VerifiedTokens:
    """The tokens whose signature this process has already checked, and their claims.

    An API client sends the same token on every call until it expires, and checking its
    ECDSA signature is most of what authenticating a call costs (a twentieth of a push's
    CPU, bench/request_cpu.py). A remembered token is honoured only while the key that
    signed it is still the one the verifier state publishes under its kid (a retired or
    replaced key sends it back to a full check, which refuses it), and the caller checks its
    claims again on every call (`checked`: expiry, issuer, audience). Revocation and the
    client's standing stay the caller's, as for `decode`. Keyed by the whole token: a token that
    differs by one byte is a different token, checked in full.
    """

    def __init__(self, size: int = 4096) -> None:
        self._size = size
        self._seen: OrderedDict[str, tuple[dict[str, Any], str, ECKey]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._seen)

    def __contains__(self, token: object) -> bool:
        return token in self._seen

    def claims(self, token: str, key_for: Callable[[str], ECKey | None]) -> dict[str, Any]:
        """The token's claims once its header and signature are good; check them with
        `checked`, on every call."""
        with self._lock:
            seen = self._seen.get(token)
            if seen is not None:
                self._seen.move_to_end(token)
        if seen is None or key_for(seen[1]) is not seen[2]:
            seen = _verified(token, key_for)
            with self._lock:
                self._seen[token] = seen
                if len(self._seen) > self._size:
                    self._seen.popitem(last=False)  # the least recently used
        return seen[0]


def _verified(
    token: str, key_for: Callable[[str], ECKey | None]
) -> tuple[dict[str, Any], str, ECKey]:
    """The token's claims, once its header and signature are good, with the key's kid."""
    used: list[tuple[str, ECKey]] = []

    def resolve(obj: Any) -> ECKey:
        header = obj.headers()
        if str(header.get("typ", "")).lower() not in TOKEN_TYPES:
            raise TokenRejected("not an access token (typ)")
        kid = header.get("kid")
        key = key_for(kid) if isinstance(kid, str) else None
        if key is None:
            raise TokenRejected("signed by a key this hub does not publish")
        used.append((kid, key))
        return key

    if len(token) > 4096:
        raise TokenRejected("the access token is too long")
    try:
        claims = jwt.decode(token, resolve, algorithms=[ALGORITHM]).claims
    except JoseError:
        raise TokenRejected("the access token is malformed or its signature is wrong") from None
    except (ValueError, TypeError, KeyError):
        raise TokenRejected("the access token is malformed") from None
    kid, key = used[-1]
    return claims, kid, key


def checked(claims: dict[str, Any], *, issuer: str, audience: str, now: float) -> AccessToken:
    """The access token these verified claims make, if they hold at `now`."""
    for name in ("iss", "sub", "client_id", "jti", "agency", "scope"):
        if not isinstance(claims.get(name), str):
            raise TokenRejected(f"the access token has no valid {name!r} claim")
    for name in ("exp", "iat"):
        if not isinstance(claims.get(name), int):
            raise TokenRejected(f"the access token has no valid {name!r} claim")
    if claims["iss"] != issuer:
        raise TokenRejected("the access token is from another issuer")
    aud = claims.get("aud")
    if not (aud == audience or (isinstance(aud, list) and audience in aud)):
        raise TokenRejected("the access token is for another audience")
    if claims["iat"] > now + CLOCK_LEEWAY:
        raise TokenRejected("the access token is issued in the future")
    if claims["exp"] <= now - CLOCK_LEEWAY:
        raise ExpiredToken()
    return AccessToken(
        jti=claims["jti"],
        client_id=claims["client_id"],
        agency_id=claims["agency"],
        scopes=frozenset(claims["scope"].split()),
        expires_at=claims["exp"],
        claims=claims,
    )
