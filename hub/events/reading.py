"""What an event discloses to a subscriber, read through the gate as that subscriber.

An event about a case sends the case record alone, not its person or items: only what is
sent is audited as sent: the gate's case-record read, and its item read.
"""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from hub.gate import Gate, Reader, View
from hub.gate.writes import read_item


def read_case_record(gate: Gate, session: Session, reader: Reader, case_id: uuid.UUID) -> View:
    return gate.read_case_record(session, reader, case_id)


def read_event_item(gate: Gate, session: Session, reader: Reader, item_id: uuid.UUID) -> View:
    return read_item(gate, session, reader, item_id)
