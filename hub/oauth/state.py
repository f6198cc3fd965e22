"""What a verifier must know besides the token: published keys, revocations, live clients.

Read from the database as one snapshot and kept for `HUB_OAUTH_STATE_SECONDS` (default 5):
a revoked token or a disabled client stops working in every worker within that many
seconds (at once in the worker that revoked it), and the common case, a valid token, costs
no query at all. A token signed by a key not yet in the snapshot (a rotation moments ago)
reloads it early, at most once a second, so a forged kid cannot turn into a query storm.

Call it before the request opens its own session: on SQLite every hub transaction takes
the write lock (hub.db), so a reload inside a request that holds it would wait on itself.

Fail closed: until a snapshot has loaded, nothing verifies. A failed reload keeps the last
snapshot only until it is twice its allowed age; after that every token is refused.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from joserfc.jwk import ECKey
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from hub.db import utcnow
from hub.oauth import signing
from hub.oauth.model import OAuthClient, RevokedToken

log = logging.getLogger("hub.oauth")
_UNKNOWN_KID_RETRY_SECONDS = 1.0


class StateUnavailable(Exception):
    """The verifier cannot tell whether tokens are still good: refuse them."""


@dataclass(frozen=True)
class Snapshot:
    keys: dict[str, ECKey]
    revoked: frozenset[str]
    client_agency: dict[str, str]  # enabled clients only
    loaded_at: float = field(default_factory=time.monotonic)


class VerifierState:
    def __init__(self, sessions: sessionmaker[Session], max_age_seconds: int) -> None:
        self._sessions = sessions
        self._max_age = max_age_seconds
        self._snapshot: Snapshot | None = None
        self._lock = threading.Lock()
        self._last_kid_reload = 0.0
        self._last_client_reload = 0.0

    def current(self) -> Snapshot:
        snapshot = self._snapshot
        if snapshot is not None and time.monotonic() - snapshot.loaded_at < self._max_age:
            return snapshot
        return self.reload(wait=snapshot is None)

    def key_for(self, kid: str) -> ECKey | None:
        key = self.current().keys.get(kid)
        if key is None and time.monotonic() - self._last_kid_reload > _UNKNOWN_KID_RETRY_SECONDS:
            self._last_kid_reload = time.monotonic()
            key = self.reload(wait=True).keys.get(kid)
        return key

    def agency_of(self, client_id: str) -> str | None:
        """The agency of an enabled client. A client newer than the snapshot (registered a
        moment ago) is looked up again at once, at most once a second, rather than refused
        as disabled until the next reload."""
        agency = self.current().client_agency.get(client_id)
        if (
            agency is None
            and time.monotonic() - self._last_client_reload > _UNKNOWN_KID_RETRY_SECONDS
        ):
            self._last_client_reload = time.monotonic()
            agency = self.reload(wait=True).client_agency.get(client_id)
        return agency

    def invalidate(self) -> None:
        """This process changed the state (revoked a token): the next check reloads."""
        self._snapshot = None

    def reload(self, *, wait: bool) -> Snapshot:
        if not self._lock.acquire(blocking=wait):
            snapshot = self._snapshot  # another thread is reloading: the last one serves
            if snapshot is not None and time.monotonic() - snapshot.loaded_at < 2 * self._max_age:
                return snapshot
            self._lock.acquire()
        try:
            previous = self._snapshot
            try:
                self._snapshot = self._load(previous)
            except SQLAlchemyError as exc:
                log.warning("oauth state not reloaded: %s", type(exc).__name__)
                if previous is None or time.monotonic() - previous.loaded_at > 2 * self._max_age:
                    raise StateUnavailable() from None
                return previous
            return self._snapshot
        finally:
            self._lock.release()

    def _load(self, previous: Snapshot | None) -> Snapshot:
        now = utcnow()
        with self._sessions() as session:
            rows = signing.published(session, now)
            revoked = session.scalars(select(RevokedToken.jti).where(RevokedToken.expires_at > now))
            clients = session.execute(
                select(OAuthClient.client_id, OAuthClient.agency_id).where(
                    OAuthClient.disabled_at.is_(None)
                )
            )
            known = previous.keys if previous is not None else {}
            keys = {row.kid: known.get(row.kid) or public_key(row.public_jwk) for row in rows}
            return Snapshot(
                keys=keys,
                revoked=frozenset(revoked),
                client_agency={client_id: str(agency) for client_id, agency in clients},
            )


def public_key(document: str) -> ECKey:
    data: dict[str, Any] = json.loads(document)
    return ECKey.import_key(data)
