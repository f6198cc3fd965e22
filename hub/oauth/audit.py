"""Audit entries for the token endpoint: every issuance and every refusal.

They name the client, its agency, the grant, the scopes and the token's `jti` (an id that
lets a revocation be traced, not a credential); never a secret, an assertion or a token.
"""

from __future__ import annotations

import uuid
from dataclasses import replace

from flask import g

from hub.actor import HUB_ITSELF, Actor
from hub.app import db_session
from hub.audit import AuditEntry, record
from hub.models import User
from hub.oauth.authlib_client import CODE_GRANT, GRANT_TYPE, HubClient
from hub.vocabulary import AuditOperation

RECORD_TYPE = "oauth_client"


def token_issued(client: HubClient, jti: str, scope: str, user: User | None = None) -> None:
    actor = _actor(client)
    if user is not None:  # a person's token: the entry names them, as their sign-in's does
        actor = replace(actor, user_id=user.id, roles=user.roles)
    record(
        db_session(),
        AuditEntry(
            operation=AuditOperation.LOGIN,
            actor=actor,
            record_type=RECORD_TYPE,
            record_ids=(client.client_id,),
            outcome="token_issued",
            extra={
                "grant_type": CODE_GRANT if user is not None else GRANT_TYPE,
                "auth_method": client.auth_method,
                "scope": scope,
                "jti": jti,
            },
        ),
    )


def code_issued(client: HubClient, user: User, *, allowed: bool) -> None:
    """A person allowed (or refused) their agency's client to act for them."""
    actor = replace(_actor(client), user_id=user.id, roles=user.roles)
    record(
        db_session(),
        AuditEntry(
            operation=AuditOperation.LOGIN if allowed else AuditOperation.LOGIN_FAILED,
            actor=actor,
            record_type=RECORD_TYPE,
            record_ids=(client.client_id,),
            outcome="code_issued" if allowed else "access_denied",
            extra={"grant_type": CODE_GRANT},
        ),
    )


def token_refused(error: str, grant_type: str | None) -> None:
    """Record a refusal. An unknown client is recorded as unknown: its claimed id is
    whatever a stranger typed, and the audit trail is no place for it."""
    client: HubClient | None = g.get("oauth_claimed_client")
    known_grants = ("client_credentials", "password", "authorization_code", "refresh_token")
    record(
        db_session(),
        AuditEntry(
            operation=AuditOperation.LOGIN_FAILED,
            actor=_actor(client),
            record_type=RECORD_TYPE,
            record_ids=(client.client_id,) if client else (),
            outcome=error,
            extra={"grant_type": grant_type if grant_type in known_grants else "other"},
        ),
    )


def _actor(client: HubClient | None) -> Actor:
    # The request's correlation id, so the entry joins up with the request log line.
    cid = g.get("correlation_id") or uuid.uuid4().hex
    if client is None:
        return Actor(agency_id=HUB_ITSELF, purpose="AUTHENTICATION", correlation_id=cid)
    return Actor(
        agency_id=client.agency_id,
        client_id=client.client_id,
        purpose="AUTHENTICATION",
        correlation_id=cid,
    )
