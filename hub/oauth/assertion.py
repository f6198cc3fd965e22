"""`private_key_jwt` client authentication (RFC 7523 §2.2, OpenID Connect Core §9).

Authlib checks the signature against the client's registered JWKS and the `iss`, `sub`,
`aud` and `exp` claims; this adds what it leaves to us: the audiences we accept, a cap on an
assertion's lifetime (so the record of used `jti`s stays small) and refusing a `jti` seen
before its expiry, atomically across workers (a primary key, not a read-then-write).
"""

from __future__ import annotations

import hashlib
import json
import time
from datetime import UTC, datetime
from typing import Any

from authlib.oauth2.rfc6749 import InvalidClientError
from authlib.oauth2.rfc7523 import JWTBearerClientAssertion
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError

from hub.app import db_session
from hub.db import utcnow
from hub.oauth.model import UsedAssertion
from hub.oauth.runtime import runtime

ASSERTION_ALGORITHMS = ["ES256", "ES384", "RS256", "PS256", "Ed25519"]
MAX_ASSERTION_LIFETIME = 3600  # seconds from now to `exp`; Authlib's own clients use 3600
LEEWAY = 30


class PrivateKeyJWT(JWTBearerClientAssertion):  # type: ignore[misc]
    CLIENT_AUTH_METHOD = "private_key_jwt"

    def __init__(self) -> None:
        super().__init__(validate_jti=True, leeway=LEEWAY)

    def get_audiences(self) -> list[str]:
        issuer = runtime().issuer
        return [issuer, issuer + "/oauth/token"]  # RFC 7523 §3: the server or its endpoint

    def resolve_client_public_key(self, client: Any) -> KeySet:
        return KeySet.import_key_set(json.loads(client.jwks or '{"keys": []}'))

    def process_assertion_claims(self, assertion: str, resolve_key: Any) -> dict[str, Any]:
        # As Authlib's, but with an explicit list of algorithms: never "none", never HMAC
        # with a public key.
        try:
            token = jwt.decode(assertion, resolve_key, algorithms=ASSERTION_ALGORITHMS)
        except JoseError as exc:
            raise InvalidClientError(description="client assertion signature invalid") from exc
        self.verify_claims(token.claims)
        claims: dict[str, Any] = token.claims
        return claims

    def validate_jti(self, claims: dict[str, Any], jti: Any) -> bool:
        exp = claims.get("exp")
        if not isinstance(jti, str) or not jti or not isinstance(exp, int):
            return False
        if exp > time.time() + MAX_ASSERTION_LIFETIME + LEEWAY:
            raise InvalidClientError(
                description=f"client assertion lifetime over {MAX_ASSERTION_LIFETIME}s (exp)"
            )
        session = db_session()
        session.execute(delete(UsedAssertion).where(UsedAssertion.expires_at < utcnow()))
        used = UsedAssertion(
            client_id=str(claims["sub"]),
            jti_hash=hashlib.sha256(jti.encode()).hexdigest(),
            expires_at=datetime.fromtimestamp(exp + LEEWAY, UTC),
        )
        try:
            with session.begin_nested():
                session.add(used)
        except IntegrityError:
            return False  # Authlib answers invalid_client: "JWT ID is used before."
        return True
