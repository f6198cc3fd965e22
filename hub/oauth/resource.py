"""The resource-server side: `require_token(*scopes)` for API views.

    @api.get("/cases/<uuid:case_id>")
    @require_token("cases:read")
    def read_case(case_id):
        actor = token_actor()   # agency, client, scopes, on-behalf-of and purpose
        ...

A request without a good token never reaches the view: it gets RFC 6750's
`WWW-Authenticate: Bearer ...` and an RFC 9457 problem+json body. A revoked token or a
disabled client stops working within HUB_OAUTH_STATE_SECONDS (default 5; see
`hub.oauth.state`).
"""

from __future__ import annotations

import functools
import re
import time
import uuid
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from flask import Response, current_app, g, request

from hub.accounts.standing import refusal
from hub.actor import Actor
from hub.app import db_session
from hub.db import utcnow
from hub.models import User
from hub.oauth.problem import bearer_problem
from hub.oauth.runtime import IssuerNotConfigured, runtime
from hub.oauth.scopes import SCOPES
from hub.oauth.state import StateUnavailable
from hub.oauth.verify import AccessToken, ExpiredToken, TokenRejected, checked
from hub.vocabulary import Role

P = ParamSpec("P")
R = TypeVar("R")

ON_BEHALF_OF = "Hub-On-Behalf-Of"
PURPOSE = "Hub-Purpose"
_ON_BEHALF_OF = re.compile(r"^[A-Za-z0-9._@+\-]{1,100}$")  # a user id or name, not free text
_PURPOSE = re.compile(r"^[A-Z][A-Z0-9_]{1,39}$")  # RISK_MANAGEMENT, MAPPA_MEETING, ...


class TokenRefused(Exception):
    """The request is refused; the fields are those of an RFC 6750 error."""

    def __init__(self, status: int, error: str | None, description: str, scope: str = "") -> None:
        super().__init__(description)
        self.status, self.error, self.description, self.scope = status, error, description, scope


def authenticate(*scopes: str) -> Actor:
    """The actor behind the request's bearer token, which must carry every scope given."""
    token_string = _bearer_token()
    oauth = runtime()
    state = oauth.state
    try:
        token = checked(
            oauth.verified.claims(token_string, state.key_for),
            issuer=oauth.issuer,
            audience=oauth.audience,
            now=time.time(),
        )
        snapshot = state.current()
    except ExpiredToken:
        raise TokenRefused(401, "invalid_token", "the access token has expired") from None
    except TokenRejected as exc:
        raise TokenRefused(401, "invalid_token", exc.description) from None
    except (StateUnavailable, IssuerNotConfigured):
        raise TokenRefused(503, None, "tokens cannot be checked just now") from None
    if token.jti in snapshot.revoked:
        raise TokenRefused(401, "invalid_token", "the access token has been revoked")
    if state.agency_of(token.client_id) != token.agency_id:
        raise TokenRefused(401, "invalid_token", "the client is disabled")
    missing = [s for s in scopes if s not in token.scopes]
    if missing:
        raise TokenRefused(
            403, "insufficient_scope", f"needs scope {missing[0]}", scope=" ".join(scopes)
        )
    user_id, roles = _person(token)
    return Actor(
        agency_id=uuid.UUID(token.agency_id),
        user_id=user_id,
        roles=roles,
        client_id=token.client_id,
        on_behalf_of=_header(ON_BEHALF_OF, _ON_BEHALF_OF),
        purpose=_header(PURPOSE, _PURPOSE, upper=True),
        correlation_id=g.get("correlation_id") or uuid.uuid4().hex,
    )


def require_token(*scopes: str) -> Callable[[Callable[P, R]], Callable[P, R | Response]]:
    unknown = set(scopes) - SCOPES.keys()
    if unknown:  # a typo here would lock every client out: fail at import, not at runtime
        raise ValueError(f"unknown scope {sorted(unknown)[0]!r}; declare it in hub.oauth.scopes")

    def decorate(view: Callable[P, R]) -> Callable[P, R | Response]:
        @functools.wraps(view)
        def wrapped(*args: P.args, **kwargs: P.kwargs) -> R | Response:
            try:
                actor = authenticate(*scopes)
            except TokenRefused as refused:
                return bearer_problem(
                    refused.status, refused.error, refused.description, refused.scope
                )
            g.hub_actor = actor
            g.hub_token_scopes = scopes
            limit = current_app.extensions.get("hub.rate_limit")
            if limit is not None and actor.client_id is not None:
                too_many: Response | None = limit.refusal(actor.client_id)
                if too_many is not None:
                    return too_many
            return view(*args, **kwargs)

        return wrapped

    return decorate


def token_actor() -> Actor:
    """The actor `require_token` authenticated for this request."""
    actor: Actor = g.hub_actor
    return actor


def _person(token: AccessToken) -> tuple[uuid.UUID | None, frozenset[Role]]:
    """The person a code-grant token acts for, with their roles as they stand now.

    A client's own token has the client as its subject and no person. A person's token is
    honoured only while the person still may hold a session: disabled, moved to another
    agency or out of vetting since it was issued, and it stops at once, not at its expiry.
    """
    subject = token.claims["sub"]
    if subject == token.client_id:
        return None, frozenset()
    try:
        user_id = uuid.UUID(subject)
    except ValueError:
        raise TokenRefused(401, "invalid_token", "the access token's subject is unknown") from None
    session = db_session()
    user = session.get(User, user_id)
    if (
        user is None
        or str(user.agency_id) != token.agency_id
        or refusal(user, utcnow().date()) is not None
    ):
        raise TokenRefused(401, "invalid_token", "the person this token acts for may not")
    found = user.id, user.roles
    # End the lookup's transaction before the view starts its own work, as the web's
    # current_user does: on SQLite every transaction holds the write lock, and the gate may
    # need its own short transaction first (the policy set's POLICY_CHANGE entry).
    session.commit()
    return found


def _bearer_token() -> str:
    header = request.headers.get("Authorization", "")
    if "access_token" in request.args:
        # RFC 6750 §2.3 allows a token in the URL; the hub does not: URLs end up in logs.
        raise TokenRefused(400, "invalid_request", "send the token in the Authorization header")
    if not header:
        raise TokenRefused(401, None, "an access token is required")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip() or " " in value.strip():
        raise TokenRefused(400, "invalid_request", "Authorization must be 'Bearer <token>'")
    return value.strip()


def _header(name: str, pattern: re.Pattern[str], *, upper: bool = False) -> str | None:
    raw = request.headers.get(name)
    if raw is None or raw == "":
        return None
    value = raw.strip().upper() if upper else raw.strip()
    if not pattern.match(value):
        raise TokenRefused(400, "invalid_request", f"header {name} is malformed")
    return value
