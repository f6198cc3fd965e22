"""How a reader stands to a case, from its memberships: in Python and as SQL.

The two must agree, because lists are filtered in SQL and single records are decided in
Python; a property test (tests/gate/test_list_filter.py) checks they do on random data.
A membership counts while it is current (no end date, or one not yet passed). Where it
names a user, it is that user's; where it names none, it is the whole agency's.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date
from typing import Protocol

from sqlalchemy import ColumnElement, and_, exists, false, or_, select, true
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql.elements import False_, True_

from hub.actor import Actor
from hub.models import CaseMembership
from hub.vocabulary import MembershipRole

# Case relationship (policies/schema.yaml) -> the membership roles that give it. CASE_AGENCY
# is any current membership of the reader's agency, whoever it names.
BY_ROLE = {
    "LEAD_AGENCY_CASE_MANAGER": (MembershipRole.LEAD_CASE_MANAGER,),
    "MEETING_CHAIR": (MembershipRole.CHAIR,),
    "COORDINATOR": (MembershipRole.COORDINATOR,),
}
CASE_AGENCY = "CASE_AGENCY"
# Relationships that no case membership gives (items and circles have their own).
NOT_FROM_MEMBERSHIPS = frozenset({"NAMED_ON_ITEM", "CIRCLE_COORDINATOR", "NONE"})


class Membership(Protocol):
    """A membership as a loaded object or a row (hub.gate.records.MemberRecord)."""

    @property
    def agency_id(self) -> uuid.UUID: ...
    @property
    def user_id(self) -> uuid.UUID | None: ...
    @property
    def role(self) -> MembershipRole: ...
    @property
    def until(self) -> date | None: ...


def case_relationships(
    actor: Actor, memberships: Iterable[Membership], today: date
) -> frozenset[str]:
    found: set[str] = set()
    for member in memberships:
        if member.agency_id != actor.agency_id or not _current(member.until, today):
            continue
        found.add(CASE_AGENCY)
        if member.user_id is not None and member.user_id != actor.user_id:
            continue
        found.update(name for name, roles in BY_ROLE.items() if member.role in roles)
    return frozenset(found)


def membership_condition(actor: Actor, relationship: str) -> ColumnElement[bool]:
    """What a current membership of the reader's agency must also satisfy to give
    `relationship` (SQL true for CASE_AGENCY, false for relationships no membership gives).

    Kept apart from the EXISTS so that the filter can merge the ORed relationships of one
    rule set into a single EXISTS: one semi-join instead of one per relationship.
    """
    if relationship in NOT_FROM_MEMBERSHIPS:
        return false()
    if relationship == CASE_AGENCY:
        return true()
    roles = BY_ROLE.get(relationship)
    if roles is None:
        raise ValueError(f"unknown case relationship {relationship!r}")
    member = CaseMembership
    user = (
        member.user_id.is_(None)
        if actor.user_id is None
        else or_(member.user_id.is_(None), member.user_id == actor.user_id)
    )
    return and_(member.role.in_(roles), user)


def membership_exists(
    actor: Actor,
    condition: ColumnElement[bool],
    case_id: InstrumentedAttribute[uuid.UUID],
    today: date,
) -> ColumnElement[bool]:
    """SQL true where the reader's agency has a current membership of the case that meets
    `condition` (from `membership_condition`, or an OR of several)."""
    member = CaseMembership
    conditions: list[ColumnElement[bool]] = [
        member.case_id == case_id,
        member.agency_id == actor.agency_id,
        or_(member.until.is_(None), member.until >= today),
    ]
    if not isinstance(condition, True_):
        conditions.append(condition)
    return exists(select(member.id).where(and_(*conditions)))


def relationship_clause(
    actor: Actor,
    relationship: str,
    case_id: InstrumentedAttribute[uuid.UUID],
    today: date,
) -> ColumnElement[bool]:
    """SQL true exactly where `case_relationships` would contain `relationship`."""
    condition = membership_condition(actor, relationship)
    if isinstance(condition, False_):
        return false()
    return membership_exists(actor, condition, case_id, today)


def _current(until: date | None, today: date) -> bool:
    return until is None or until >= today
