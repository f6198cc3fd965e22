"""Agency types, kept in memory between reads.

Every decision needs the type of the reader's agency and of each item's owner (the policy
says RA_POLICE may read what DTC_HOUSING may not). Reading the agency table for them on
every case read cost two of its statements. Keeping them in memory is safe because:

- an agency's type is set when the agency is registered and no service changes it (a police
  force does not become a housing provider; a reorganisation registers a new agency);
- a write to an agency row in this process empties the cache as it flushes, and again
  when that transaction ends either way (so a rolled-back change does not linger);
- another process's change is seen within TTL_SECONDS at the latest;
- an id not in the cache is looked up in the database there and then, and an agency the
  database does not know either is refused (fail closed), never given a default type.
"""

from __future__ import annotations

import threading
import time
import uuid
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from hub.errors import HubError
from hub.models import Agency
from hub.vocabulary import AgencyType

TTL_SECONDS = 30.0


class UnknownAgency(HubError):
    """An agency id the hub does not know: nothing is decided for it."""


class AgencyTypes:
    def __init__(self, ttl: float = TTL_SECONDS) -> None:
        self.ttl = ttl
        self._types: dict[uuid.UUID, AgencyType] = {}
        self._loaded_at = float("-inf")
        self._lock = threading.Lock()

    def of(self, session: Session, agency_ids: set[uuid.UUID]) -> dict[uuid.UUID, AgencyType]:
        """The type of each agency; raises UnknownAgency for an id the database lacks."""
        types = self._types
        fresh = time.monotonic() - self._loaded_at < self.ttl
        if not fresh or not agency_ids <= types.keys():
            types = self._reload(session)
            missing = agency_ids - types.keys()
            if missing:
                raise UnknownAgency("an agency is not registered with the hub")
        return {agency_id: types[agency_id] for agency_id in agency_ids}

    def one(self, session: Session, agency_id: uuid.UUID) -> AgencyType:
        return self.of(session, {agency_id})[agency_id]

    def clear(self) -> None:
        with self._lock:
            self._types = {}
            self._loaded_at = float("-inf")

    def _reload(self, session: Session) -> dict[uuid.UUID, AgencyType]:
        # The whole table: a few hundred rows at most (one per partner agency of an area),
        # and one query answers every later miss until the TTL runs out.
        loaded_at = time.monotonic()
        types: dict[uuid.UUID, AgencyType] = dict(session.execute(_ALL_TYPES).all())
        if session.info.get(_CHANGED):
            return types  # this transaction's own uncommitted agencies: use, never share
        with self._lock:
            self._types, self._loaded_at = types, loaded_at
        return types


agency_types = AgencyTypes()
_ALL_TYPES = select(Agency.id, Agency.type)
_CHANGED = "hub.gate.agencies_changed"


def _agency_written(_mapper: Any, _connection: Any, target: Agency) -> None:
    agency_types.clear()
    session = Session.object_session(target)
    if session is not None:
        session.info[_CHANGED] = True


def _transaction_ended(session: Session, *_args: Any) -> None:
    if session.info.pop(_CHANGED, False):
        agency_types.clear()


for _event in ("after_insert", "after_update", "after_delete"):
    event.listen(Agency, _event, _agency_written)
event.listen(Session, "after_commit", _transaction_ended)
event.listen(Session, "after_soft_rollback", _transaction_ended)
