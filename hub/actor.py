"""Who is acting, for what purpose: passed to every service call and every gate decision."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from hub.vocabulary import Role


@dataclass(frozen=True)
class Actor:
    agency_id: uuid.UUID
    user_id: uuid.UUID | None = None
    roles: frozenset[Role] = frozenset()
    client_id: str | None = None  # an agency system acting through the API
    on_behalf_of: str | None = None  # the person a system acts for, when it says
    purpose: str | None = None
    justification: str | None = None
    correlation_id: str = field(default_factory=lambda: uuid.uuid4().hex)

    def has_any_role(self, *roles: Role) -> bool:
        return not self.roles.isdisjoint(roles)


# The hub acting for itself (set-up, migrations of data, demo load): the audit trail shows
# the nil agency id, so nobody mistakes set-up work for an agency's action.
HUB_ITSELF = uuid.UUID(int=0)


def hub_actor(purpose: str = "ADMINISTRATION") -> Actor:
    return Actor(agency_id=HUB_ITSELF, client_id="hub", purpose=purpose)
