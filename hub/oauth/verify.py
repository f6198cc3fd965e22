"""Checking an access token the hub issued: signature, header, registered claims.

Checked by hand rather than with a claims registry: this runs on every API call, and these
few comparisons cost less than building a validator per request. Revocation and the
client's standing are the caller's to check (`hub.oauth.state`, or the database).
"""

from __future__ import annotations

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
    def resolve(obj: Any) -> ECKey:
        header = obj.headers()
        if str(header.get("typ", "")).lower() not in TOKEN_TYPES:
            raise TokenRejected("not an access token (typ)")
        kid = header.get("kid")
        key = key_for(kid) if isinstance(kid, str) else None
        if key is None:
            raise TokenRejected("signed by a key this hub does not publish")
        return key

    if len(token) > 4096:
        raise TokenRejected("the access token is too long")
    try:
        claims = jwt.decode(token, resolve, algorithms=[ALGORITHM]).claims
    except JoseError:
        raise TokenRejected("the access token is malformed or its signature is wrong") from None
    except (ValueError, TypeError, KeyError):
        raise TokenRejected("the access token is malformed") from None
    return _checked(claims, issuer=issuer, audience=audience, now=now)


def _checked(claims: dict[str, Any], *, issuer: str, audience: str, now: float) -> AccessToken:
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
