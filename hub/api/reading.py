"""Who reads through the API: the token's agency system, its purpose, and the gate it reads by.

Every read needs a purpose of use (`Hub-Purpose`): without one there is no data (R-21), and the
refusal names the missing header. A system reads as SYSTEM_API_CLIENT of its agency; the
person it acts for (`Hub-On-Behalf-Of`) goes into the audit entry. A person's own token (the
authorization code grant) reads as that person, with their roles.
"""

from __future__ import annotations

import dataclasses

from hub.actor import Actor
from hub.app import db_session, policies
from hub.gate import Gate, Reader
from hub.oauth.resource import PURPOSE, token_actor
from hub.vocabulary import Role

JUSTIFICATION = "Hub-Justification"


class PurposeMissing(Exception):
    """A read without a stated purpose of use."""


def api_reader(justification: str | None = None) -> Reader:
    actor = token_actor()
    if not actor.purpose:
        raise PurposeMissing(f"a read needs a purpose of use: send the {PURPOSE} header")
    # The policy set in force first: it may need a short transaction of its own (recording
    # POLICY_CHANGE), which on SQLite would wait forever behind this request's, begun below.
    policies().in_force()
    if actor.user_id is not None:
        # A person's token (authorization code): the person reads, with their own roles.
        return Reader.of(db_session(), dataclasses.replace(actor, justification=justification))
    # A partner system is one kind of reader whatever its token's scopes: the policy decides
    # what SYSTEM_API_CLIENT may see, never the client's own claims.
    as_system: Actor = dataclasses.replace(
        actor, roles=frozenset({Role.SYSTEM_API_CLIENT}), justification=justification
    )
    return Reader.of(db_session(), as_system)


def gate() -> Gate:
    return Gate(policies().in_force())
