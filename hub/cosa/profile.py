"""The core member's shared profile: the configured whitelist (R-51) and its one read path.

The whitelist is written twice on purpose: here, so a write outside it is refused with the
rule's id, and in policies/rules/cosa.yaml (`R-51-cosa-profile-whitelist`), so a read passes
the policy engine like every other read and a field someone slipped in is still withheld.
tests/portal check the two agree. The read is audited (CONSULT or DENY) with the gate's own
entries, in the caller's transaction, before anything is shown.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.actor import Actor
from hub.cosa.circles import coordinated_circle, outer_circle_circle
from hub.cosa.models import Circle, CircleProfileEntry
from hub.cosa.vocabulary import CircleStatus
from hub.db import utcnow
from hub.errors import NotFound, RuleViolation
from hub.gate import Reader
from hub.gate import audit as gate_audit
from hub.gate.resources import Resource
from hub.models import Person
from hub.policy import Obligation, PolicySet, Redact, RedactAllExcept, enforce, visible_fields
from hub.policy.decision import Effect
from hub.services.checks import required_text
from hub.services.recording import audit_write
from hub.vocabulary import AuditOperation, NameType

# (field, what the circle calls it), in the order the portal shows them.
SHARED_PROFILE: tuple[tuple[str, str], ...] = (
    ("first_name", "First name"),
    ("circle_goals", "Agreed goals"),
    ("relevant_conditions", "Conditions the circle must know about"),
    ("relevant_prohibitions", "Prohibitions the circle must know about"),
    ("risk_triggers", "Risk factors and triggers"),
    ("relapse_prevention_plan", "Relapse-prevention plan"),
    ("offence_history_summary", "Offence history summary"),
)
WHITELIST = frozenset(name for name, _ in SHARED_PROFILE)
# The first name comes from the person record; the rest is briefed by the outer circle.
WRITABLE = WHITELIST - {"first_name"}
LABELS = dict(SHARED_PROFILE)
PURPOSE = "COSA_SUPPORT"


@dataclass(frozen=True)
class SharedProfile:
    circle_id: uuid.UUID
    fields: dict[str, str]  # whitelisted field -> text, in whitelist order
    decision_id: str


def set_entry(
    session: Session, actor: Actor, circle_id: uuid.UUID, *, field: str, text: str
) -> CircleProfileEntry:
    """Brief the circle on one field; the coordinator or the outer circle may (R-51)."""
    try:
        circle = coordinated_circle(session, actor, circle_id)
    except NotFound:  # not its coordinator: a member of its outer circle, or NotFound again
        circle = outer_circle_circle(session, actor, circle_id)
    if field not in WRITABLE:
        raise RuleViolation(
            "R-51",
            "field",
            f"{field!r} is not in the shared profile; volunteers see only "
            + ", ".join(sorted(WRITABLE)),
        )
    cleaned = required_text(text, "text", max_length=4000)
    entry = session.scalar(
        select(CircleProfileEntry).where(
            CircleProfileEntry.circle_id == circle.id, CircleProfileEntry.field == field
        )
    )
    operation = AuditOperation.ALTER
    if entry is None:
        entry = CircleProfileEntry(circle_id=circle.id, field=field)
        session.add(entry)
        operation = AuditOperation.COLLECT
    entry.text = cleaned
    entry.set_by = actor.user_id
    entry.set_at = utcnow()
    session.flush()
    audit_write(
        session,
        actor,
        operation,
        "circle_profile_entry",
        entry.id,
        person_id=circle.person_id,
        case_id=circle.case_id,
        fields=(field,),
    )
    return entry


def briefing(session: Session, circle: Circle) -> dict[str, str]:
    """What the circle was briefed, field -> text, in whitelist order (first name aside).

    For the outer circle's own page (hub/web/circle_pages.py), whose caller found `circle`
    through `outer_circle_circle` and audits what it shows; volunteers and the coordinator
    read only through `read_profile`. A stored field outside the whitelist is never returned.
    """
    entries = {
        entry.field: entry.text
        for entry in session.scalars(
            select(CircleProfileEntry).where(CircleProfileEntry.circle_id == circle.id)
        )
    }
    return {
        name: entries[name] for name, _ in SHARED_PROFILE if name in WRITABLE and name in entries
    }


def available(circle: Circle) -> bool:
    """R-53: once consent is withdrawn (or the circle ends) the profile is closed."""
    return circle.consent_withdrawn_at is None and circle.status in (
        CircleStatus.PROPOSED,
        CircleStatus.ACTIVE,
    )


def read_profile(
    session: Session, policy: PolicySet, actor: Actor, circle: Circle, now: datetime
) -> SharedProfile | None:
    """The shared profile as the policy lets `actor` see it, audited; None if closed or
    denied (the DENY is audited too)."""
    agency_reader = Reader.of(session, actor)
    reader = Reader(agency_reader.actor, agency_reader.agency_type, now=now)
    resource = _resource(session, actor, circle)
    decision = policy.decide({**reader.attributes(), **resource.attributes, "action": "read"})
    if not available(circle):
        decision = decision._replace(effect=Effect.DENY, obligations=())
    decision = enforce(decision, _can_fulfil)
    view = visible_fields(decision, resource.fields) if decision.permitted else None
    entry = gate_audit.resource_entry(
        reader, resource, decision, view, person_id=circle.person_id, case_id=circle.case_id
    )
    gate_audit.write(session, [entry])
    if view is None:
        return None
    shown = {
        name: str(resource.fields[name])
        for name, _ in SHARED_PROFILE
        if name in view.returned and resource.fields.get(name)
    }
    return SharedProfile(circle.id, shown, decision.decision_id)


def _resource(session: Session, actor: Actor, circle: Circle) -> Resource:
    relationships = (
        frozenset({"CIRCLE_COORDINATOR"})
        if actor.user_id == circle.coordinator_user_id
        and actor.agency_id == circle.provider_agency_id
        else frozenset({"NONE"})
    )
    fields: dict[str, object] = {}
    person = session.get(Person, circle.person_id)
    given = (
        next((n.given for n in person.names if n.type is NameType.PRIMARY), None)
        if person
        else None
    )
    if given:
        fields["first_name"] = given
    entries = session.scalars(
        select(CircleProfileEntry).where(CircleProfileEntry.circle_id == circle.id)
    )
    for entry in entries:
        # Every stored entry goes to the policy, whitelisted or not: a row written past the
        # service is withheld by the engine, not trusted to be absent.
        fields[entry.field] = entry.text
    return Resource(
        "circle_profile",
        circle.id,
        {
            "resource.type": "circle_profile",
            "actor.case_relationships": relationships,
            "actor.is_item_owner": circle.provider_agency_id == actor.agency_id,
            "resource.owning_agency_id": str(circle.provider_agency_id),
            "resource.owning_agency_type": "COSA_PROVIDER",
            "resource.classification": "OFFICIAL_SENSITIVE",
        },
        fields,
    )


def _can_fulfil(obligation: Obligation) -> bool:
    # Only redactions can be carried out on a page of text; anything else: deny (fail closed).
    return isinstance(obligation, Redact | RedactAllExcept)
