"""Registering agencies and their staff."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.actor import Actor
from hub.errors import InvalidInput, NotFound
from hub.models import Agency, User, UserRole
from hub.services.checks import parse_enum, required_text
from hub.services.recording import audit_write
from hub.vocabulary import ROLE_AGENCY_TYPES, AgencyType, AuditOperation, Role


def register_agency(
    session: Session, actor: Actor, *, code: str, name: str, type: str, mappa_area: str
) -> Agency:
    code = required_text(code, "code", max_length=32).upper()
    if session.scalar(select(Agency.id).where(Agency.code == code)) is not None:
        raise InvalidInput("code", f"an agency with code {code} already exists")
    agency = Agency(
        code=code,
        name=required_text(name, "name", max_length=200),
        type=parse_enum(AgencyType, type, "type"),
        mappa_area=required_text(mappa_area, "mappa_area", max_length=100),
    )
    session.add(agency)
    session.flush()
    audit_write(
        session,
        actor,
        AuditOperation.COLLECT,
        "agency",
        agency.id,
        fields=("code", "name", "type", "mappa_area"),
    )
    return agency


def register_user(
    session: Session,
    actor: Actor,
    *,
    agency_id: uuid.UUID,
    username: str,
    display_name: str,
    roles: Iterable[str],
    vetting_expires: date | None = None,
) -> User:
    agency = session.get(Agency, agency_id)
    if agency is None:
        raise NotFound("agency")
    username = required_text(username, "username", max_length=100).lower()
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise InvalidInput("username", f"{username} is already taken")
    parsed = [parse_enum(Role, r, f"roles[{i}]") for i, r in enumerate(roles)]
    if not parsed:
        raise InvalidInput("roles", "at least one role is required")
    for i, role in enumerate(parsed):
        allowed = ROLE_AGENCY_TYPES.get(role)
        if allowed is not None and agency.type not in allowed:
            # A role outside its agency type would widen access: refuse it outright.
            raise InvalidInput(f"roles[{i}]", f"{role} cannot be held by a {agency.type} agency")
    user = User(
        agency_id=agency.id,
        username=username,
        display_name=required_text(display_name, "display_name", max_length=200),
        vetting_expires=vetting_expires,
        role_grants=[UserRole(role=r) for r in dict.fromkeys(parsed)],
    )
    session.add(user)
    session.flush()
    audit_write(
        session,
        actor,
        AuditOperation.COLLECT,
        "user",
        user.id,
        fields=("username", "display_name", "roles", "vetting_expires"),
    )
    return user
