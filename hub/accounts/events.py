"""The audit entries of signing in and of account administration (DPA 2018 s.62).

Entries carry ids and reason codes only: never a username typed at the sign-in form (it may
be a password typed in the wrong box), a password or a code.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy.orm import Session

from hub.actor import HUB_ITSELF, Actor
from hub.audit import AuditEntry, record
from hub.models import User
from hub.vocabulary import AuditOperation

CLIENT = "hub-web"
PURPOSE = "SIGN_IN"


def person_actor(user: User, correlation_id: str | None = None) -> Actor:
    """The person signing in, acting for themselves."""
    return Actor(
        agency_id=user.agency_id,
        user_id=user.id,
        roles=user.roles,
        client_id=CLIENT,
        purpose=PURPOSE,
        correlation_id=correlation_id or uuid.uuid4().hex,
    )


def nobody(correlation_id: str | None = None) -> Actor:
    """A sign-in attempt for no known account: nothing to name but the hub itself."""
    return Actor(
        agency_id=HUB_ITSELF,
        client_id=CLIENT,
        purpose=PURPOSE,
        correlation_id=correlation_id or uuid.uuid4().hex,
    )


def login(session: Session, actor: Actor, session_id: uuid.UUID) -> None:
    _write(session, AuditOperation.LOGIN, actor, "user_session", [session_id], outcome="SIGNED_IN")


def login_failed(
    session: Session, actor: Actor, reason: str, credential_id: uuid.UUID | None = None
) -> None:
    ids = [] if credential_id is None else [credential_id]
    _write(session, AuditOperation.LOGIN_FAILED, actor, "user_credential", ids, outcome=reason)


def locked_out(
    session: Session, actor: Actor, credential_id: uuid.UUID, seconds: int, in_a_row: int
) -> None:
    _write(
        session,
        AuditOperation.ALTER,
        actor,
        "user_credential",
        [credential_id],
        fields=("locked_until",),
        outcome="LOCKED_OUT",
        extra={"seconds": str(seconds), "lockouts_in_a_row": str(in_a_row)},
    )


def credential_changed(
    session: Session,
    actor: Actor,
    credential_id: uuid.UUID,
    outcome: str,
    fields: Iterable[str],
    *,
    operation: AuditOperation = AuditOperation.ALTER,
) -> None:
    _write(session, operation, actor, "user_credential", [credential_id], fields, outcome)


def sessions_ended(
    session: Session, actor: Actor, session_ids: Iterable[uuid.UUID], outcome: str
) -> None:
    ids = list(session_ids)
    _write(session, AuditOperation.ALTER, actor, "user_session", ids, outcome=outcome)


def _write(
    session: Session,
    operation: AuditOperation,
    actor: Actor,
    record_type: str,
    record_ids: Iterable[uuid.UUID],
    fields: Iterable[str] = (),
    outcome: str | None = None,
    extra: dict[str, str] | None = None,
) -> None:
    record(
        session,
        AuditEntry(
            operation=operation,
            actor=actor,
            record_type=record_type,
            record_ids=tuple(str(i) for i in record_ids),
            fields_written=tuple(fields),
            outcome=outcome,
            extra=extra or {},
        ),
    )
