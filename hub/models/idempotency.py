"""What an API client's POST returned, kept under its Idempotency-Key so a retry gets it again.

A retry after a lost response must not create a second item. The record is written in the same
transaction as the write it answers, so a committed write always has it and a rolled-back one
never does; the unique key makes two racing retries one write and one replay.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hub.db import Base, utcnow


class IdempotentResponse(Base):
    __tablename__ = "api_idempotent_response"
    __table_args__ = (UniqueConstraint("client_id", "key"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    client_id: Mapped[str] = mapped_column(String(100))
    key: Mapped[str] = mapped_column(String(200))
    # SHA-256 of method, path and body: the same key with another request is refused.
    request_digest: Mapped[bytes] = mapped_column(LargeBinary(32))
    status: Mapped[int] = mapped_column(Integer)
    # Only ids and versions go in (a created item's id, its ETag): never case content.
    body: Mapped[str] = mapped_column(Text)
    location: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
