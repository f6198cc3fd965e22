"""`emit`: write an outbound event into the caller's transaction (the transactional outbox).

Services call it beside their audit entry. Because the row joins the caller's transaction, an
event exists exactly when its change was committed: a change that fails or rolls back leaves
no event, and a committed change cannot lose its event to a crash before delivery.
"""

from __future__ import annotations

import json
import uuid

from sqlalchemy.orm import Session

from hub.errors import InvalidInput
from hub.events.models import OutboxEvent

EVENT_TYPES = frozenset(
    {
        "case.level_changed",
        "item.created",
        "consent.withdrawn",
        "review.due",
        "concern.raised",
    }
)

# The facts an event carries are small (levels, codes, ids, dates); the content a subscriber
# sees comes from the gate at delivery time, never from here.
MAX_DATA_CHARS = 4000


def emit(
    session: Session,
    *,
    event_type: str,
    case_id: uuid.UUID,
    item_id: uuid.UUID | None = None,
    data: dict[str, object],
) -> None:
    """Add the event to the outbox; flushed with the caller's transaction, never committed."""
    if event_type not in EVENT_TYPES:
        raise InvalidInput("event_type", f"unknown event type {event_type!r}")
    for key, value in data.items():
        if not isinstance(value, str | int | float | bool | type(None)):
            # Nested values would invite copying records into the outbox, past the gate.
            raise InvalidInput(f"data.{key}", "event data holds scalar values only")
    text = json.dumps(data, sort_keys=True, default=str)
    if len(text) > MAX_DATA_CHARS:
        raise InvalidInput("data", f"event data is over {MAX_DATA_CHARS} characters")
    session.add(OutboxEvent(event_type=event_type, case_id=case_id, item_id=item_id, data=text))
