"""What an access leaves to do: notify the owning agency, review a break-glass (R-16)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from hub.db import Base, enum_type, utcnow
from hub.vocabulary import FollowUpKind


class AccessFollowUp(Base):
    """One obligation of a decision the gate carried out and someone must act on.

    It names the audit entry of the access, so the owner or reviewer reads exactly what was
    seen, when and why, from the tamper-evident log rather than from a copy.
    """

    __tablename__ = "access_follow_up"
    __table_args__ = (Index("ix_access_follow_up_open", "owning_agency_id", "kind", "done_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    kind: Mapped[FollowUpKind] = mapped_column(enum_type(FollowUpKind))
    owning_agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agency.id"))
    actor_agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agency.id"))
    actor_user_id: Mapped[uuid.UUID | None]
    case_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("mappa_case.id"))
    record_type: Mapped[str] = mapped_column(String(40))
    record_id: Mapped[uuid.UUID]
    # The access's audit entry: by its receipt (the entry's queue number, kept in
    # `audit_entry.receipt`) since appends are sequenced after commit; `audit_seq` is set
    # only on follow-ups written before that.
    audit_receipt: Mapped[int | None] = mapped_column(BigInteger)
    audit_seq: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    done_at: Mapped[datetime | None]
    done_by: Mapped[uuid.UUID | None]
