"""Who is asking, for what purpose: the actor half of every policy request."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from hub.actor import Actor
from hub.db import utcnow
from hub.gate.agencies import UnknownAgency, agency_types
from hub.vocabulary import AgencyType


@dataclass(frozen=True)
class Reader:
    """An actor resolved against the record: its agency's type is the hub's, not the caller's."""

    actor: Actor
    agency_type: AgencyType
    break_glass: bool = False
    now: datetime | None = None  # the request's time; None: the moment the gate runs
    # True when what is read is sent to the reader's system unasked (an outbound event): the
    # permitted reads are audited as DISCLOSE to it rather than CONSULT by it.
    disclosing: bool = False

    @classmethod
    def of(cls, session: Session, actor: Actor, *, break_glass: bool = False) -> Reader:
        try:
            agency_type = agency_types.one(session, actor.agency_id)
        except UnknownAgency:
            # Fail closed: an actor whose agency the hub does not know reads nothing.
            raise UnknownAgency("the actor's agency is not registered with the hub") from None
        return cls(actor, agency_type, break_glass)

    def attributes(self) -> dict[str, object]:
        """The request attributes every decision for this reader shares."""
        actor = self.actor
        common: dict[str, object] = {
            "actor.agency_id": str(actor.agency_id),
            "actor.agency_type": self.agency_type.value,
            "actor.roles": frozenset(role.value for role in actor.roles),
            "break_glass": self.break_glass,
            "justification": actor.justification or "",
            "now": self.now or utcnow(),
        }
        # No purpose stated: the attribute is absent, and R-21 denies every read (fail closed).
        if actor.purpose:
            common["purpose"] = actor.purpose
        return common
