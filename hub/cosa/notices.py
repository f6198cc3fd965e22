"""In-app notices: who is told what about a circle (R-52, R-53, R-54)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.cosa.models import Circle, CircleOuterMember, CosaNotice
from hub.cosa.vocabulary import NoticeKind, OuterRole


def notify(
    session: Session,
    users: Iterable[uuid.UUID],
    circle: Circle,
    kind: NoticeKind,
    now: datetime,
    concern_id: uuid.UUID | None = None,
) -> list[uuid.UUID]:
    """One notice per person (each told once, however many of their roles apply)."""
    told = list(dict.fromkeys(users))
    for user_id in told:
        session.add(
            CosaNotice(
                user_id=user_id,
                circle_id=circle.id,
                concern_id=concern_id,
                kind=kind,
                created_at=now,
            )
        )
    session.flush()
    return told


def outer_circle(
    session: Session, circle: Circle, role: OuterRole | None = None
) -> list[uuid.UUID]:
    query = select(CircleOuterMember.user_id).where(CircleOuterMember.circle_id == circle.id)
    if role is not None:
        query = query.where(CircleOuterMember.role == role)
    return list(session.scalars(query.order_by(CircleOuterMember.user_id)))


def unread(session: Session, user_id: uuid.UUID, limit: int = 20) -> list[CosaNotice]:
    return list(
        session.scalars(
            select(CosaNotice)
            .where(CosaNotice.user_id == user_id, CosaNotice.read_at.is_(None))
            .order_by(CosaNotice.created_at.desc(), CosaNotice.id)
            .limit(limit)
        )
    )


LABELS = {
    NoticeKind.CONCERN_URGENT: "An urgent concern was raised",
    NoticeKind.CONCERN_RAISED: "A concern was raised",
    NoticeKind.CONCERN_ESCALATED: "A concern was not acknowledged in time and is escalated",
    NoticeKind.CONCERN_OUTCOME: "The outer circle recorded the outcome of a concern",
    NoticeKind.CIRCLE_SUSPENDED: "The circle is suspended: the core member withdrew consent",
    NoticeKind.MINUTES_SENT: "Circle minutes were sent to the outer circle",
}
