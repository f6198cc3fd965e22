"""Opaque list cursors: where the next page starts, as a token the caller hands back.

Opaque so that callers do not build them (the order may change), and validated on the way back
in: a bad cursor is the caller's mistake (422 naming `cursor`), never a 500.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from datetime import date

from hub.errors import InvalidInput
from hub.gate.views import ListPosition


def encode(position: ListPosition) -> str:
    due = position.next_review_due.isoformat() if position.next_review_due else None
    raw = json.dumps({"d": due, "i": str(position.case_id)}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode(cursor: str) -> ListPosition:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
        due = data["d"]
        return ListPosition(
            date.fromisoformat(due) if due is not None else None, uuid.UUID(data["i"])
        )
    except (binascii.Error, ValueError, KeyError, TypeError, UnicodeDecodeError):
        raise InvalidInput("cursor", "not a cursor this API gave out") from None
