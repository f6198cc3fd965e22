"""The hub's token signing keys: ES256 pairs in the database, private halves sealed.

Keeping them in the database (sealed by the field keyring, hub.crypto) lets every worker
process sign and verify with the same keys, and keeps every secret out of the repository
and off the image. ES256 rather than EdDSA: RFC 9864 deprecates the "EdDSA" name, and every
client library an agency is likely to use verifies ES256.

A retired key stays published until every token it signed has expired (the longest
lifetime a token may have, plus the clock leeway), then `rotate` deletes it.
"""

from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta

from joserfc.jwk import ECKey
from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from hub import crypto
from hub.crypto.envelope import field_context
from hub.db import utcnow
from hub.errors import HubError
from hub.oauth.model import SigningKey, SigningKeyStatus

ALGORITHM = "ES256"
MAX_TOKEN_LIFETIME = timedelta(seconds=600)  # the ceiling of HUB_TOKEN_LIFETIME_SECONDS
LEEWAY = timedelta(seconds=60)  # clock skew tolerated between the hub and its verifiers
RETENTION = MAX_TOKEN_LIFETIME + LEEWAY


class NoSigningKey(HubError):
    def __init__(self) -> None:
        super().__init__("no OAuth signing key: run `hub clients rotate-signing-key`")


def rotate(session: Session) -> SigningKey:
    """Retire the active key (if any), add a new active one, drop keys nobody needs."""
    now = utcnow()
    for old in session.scalars(
        select(SigningKey).where(SigningKey.status == SigningKeyStatus.ACTIVE)
    ):
        old.status, old.retired_at = SigningKeyStatus.RETIRED, now
    session.flush()  # the one-active-key index must see the old key retired first
    session.execute(
        delete(SigningKey).where(
            SigningKey.status == SigningKeyStatus.RETIRED,
            SigningKey.retired_at < now - RETENTION,
        )
    )
    private = ECKey.generate_key("P-256", private=True)
    kid = private.thumbprint()  # RFC 7638: derived from the key, so never reused
    public = {**private.as_dict(private=False), "kid": kid, "alg": ALGORITHM, "use": "sig"}
    row = SigningKey(
        kid=kid,
        algorithm=ALGORITHM,
        status=SigningKeyStatus.ACTIVE,
        public_jwk=json.dumps(public, sort_keys=True),
        private_key_sealed=crypto.current().seal(
            private.as_pem(private=True).decode(), _context(kid)
        ),
        created_at=now,
    )
    session.add(row)
    session.flush()
    _audit(session, kid)
    return row


def ensure_key(session: Session) -> SigningKey:
    """The active key, made if there is none (first client registered on a new hub)."""
    row = session.scalars(
        select(SigningKey).where(SigningKey.status == SigningKeyStatus.ACTIVE)
    ).first()
    return row or rotate(session)


def published(session: Session, now: datetime | None = None) -> list[SigningKey]:
    """The keys a verifier needs: the active one and the retired ones still in use."""
    cutoff = (now or utcnow()) - RETENTION
    return list(
        session.scalars(
            select(SigningKey)
            .where(
                or_(
                    SigningKey.status == SigningKeyStatus.ACTIVE,
                    SigningKey.retired_at > cutoff,
                )
            )
            .order_by(SigningKey.created_at.desc())
        )
    )


def public_jwks(keys: list[SigningKey]) -> dict[str, list[dict[str, str]]]:
    return {"keys": [json.loads(k.public_jwk) for k in keys]}


class ActiveKey:
    """The private key that signs new tokens, unsealed once per kid per process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._unsealed: dict[str, ECKey] = {}

    def get(self, session: Session) -> tuple[str, ECKey]:
        row = session.scalars(
            select(SigningKey).where(SigningKey.status == SigningKeyStatus.ACTIVE)
        ).first()
        if row is None:
            raise NoSigningKey()
        with self._lock:
            key = self._unsealed.get(row.kid)
            if key is None:
                pem = crypto.current().open(row.private_key_sealed, _context(row.kid))
                key = ECKey.import_key(pem)
                self._unsealed = {row.kid: key}  # only the current one is kept in memory
            return row.kid, key


def _context(kid: str) -> bytes:
    return field_context("oauth_signing_key", kid, "private_key")


def _audit(session: Session, kid: str) -> None:
    from hub.actor import hub_actor
    from hub.audit import AuditEntry, record
    from hub.vocabulary import AuditOperation

    record(
        session,
        AuditEntry(
            operation=AuditOperation.KEY_ROTATION,
            actor=hub_actor(),
            record_type="oauth_signing_key",
            record_ids=(kid,),
            extra={"action": "rotate", "algorithm": ALGORITHM},
        ),
    )
