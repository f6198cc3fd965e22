"""The words of Circles of Support and Accountability (domain.md §6, §8 Circle and Concern)."""

from __future__ import annotations

from enum import StrEnum


class CircleType(StrEnum):
    COMMUNITY = "COMMUNITY"
    THROUGH_THE_GATE = "THROUGH_THE_GATE"
    INTELLECTUAL_DISABILITY = "INTELLECTUAL_DISABILITY"
    YOUTH = "YOUTH"


class CircleStatus(StrEnum):
    PROPOSED = "PROPOSED"  # set up, not yet started: R-50 not (yet) met
    ACTIVE = "ACTIVE"
    SUSPENDED = "SUSPENDED"  # the core member withdrew consent
    ENDED = "ENDED"


class OuterRole(StrEnum):
    """A professional of the outer circle; the police contact is alerted at once (R-52)."""

    POLICE_CONTACT = "POLICE_CONTACT"
    PROBATION_CONTACT = "PROBATION_CONTACT"
    OTHER = "OTHER"


class ConcernCategory(StrEnum):
    RISK_INDICATOR = "RISK_INDICATOR"
    POSSIBLE_BREACH = "POSSIBLE_BREACH"
    WELFARE = "WELFARE"
    VOLUNTEER_SAFETY = "VOLUNTEER_SAFETY"
    OTHER = "OTHER"


class Severity(StrEnum):
    ROUTINE = "ROUTINE"
    SIGNIFICANT = "SIGNIFICANT"
    URGENT = "URGENT"


class NoticeKind(StrEnum):
    """What an in-app notice tells its reader."""

    CONCERN_URGENT = "CONCERN_URGENT"  # coordinator and police contact, at once
    CONCERN_RAISED = "CONCERN_RAISED"  # routine and significant ones, to the outer circle
    CONCERN_ESCALATED = "CONCERN_ESCALATED"  # to the provider's manager
    CONCERN_OUTCOME = "CONCERN_OUTCOME"  # scenario 4: back to the coordinator
    CIRCLE_SUSPENDED = "CIRCLE_SUSPENDED"  # to the outer circle
    MINUTES_SENT = "MINUTES_SENT"  # to the outer circle
