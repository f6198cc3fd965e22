"""The closed vocabularies of case-management work (tasks, visit plans, reactive management).

Kept beside the rules that use them; plain enums, free of SQLAlchemy and Flask.
"""

from __future__ import annotations

from enum import StrEnum


class TaskKind(StrEnum):
    REVIEW_OVERDUE = "REVIEW_OVERDUE"
    REVIEW_AFTER_NEW_INFORMATION = "REVIEW_AFTER_NEW_INFORMATION"  # R-45 end
    RISK_ASSESSMENT_DUE = "RISK_ASSESSMENT_DUE"  # scenario 5: a fresh assessment falls due
    VISIT_OVERDUE = "VISIT_OVERDUE"
    NOTIFICATION_OVERDUE = "NOTIFICATION_OVERDUE"
    BREACH_CANDIDATE = "BREACH_CANDIDATE"  # a missed notification
    CONSIDER_ORDER_RENEWAL = "CONSIDER_ORDER_RENEWAL"
    CONFIRM_NO_CHILD_CONTACT = "CONFIRM_NO_CHILD_CONTACT"


# What each kind asks of the agency that owns it, in plain words (pages, panels, docs).
TASK_TITLES: dict[TaskKind, str] = {
    TaskKind.REVIEW_OVERDUE: "Hold the overdue MAPPA review",
    TaskKind.REVIEW_AFTER_NEW_INFORMATION: "Review the case: reactive management ended",
    TaskKind.RISK_ASSESSMENT_DUE: "Complete a new risk assessment",
    TaskKind.VISIT_OVERDUE: "Make the overdue home visit",
    TaskKind.NOTIFICATION_OVERDUE: "Follow up a notification that is overdue",
    TaskKind.BREACH_CANDIDATE: "Consider a notification breach",
    TaskKind.CONSIDER_ORDER_RENEWAL: "Consider renewal or variation of an expiring order",
    TaskKind.CONFIRM_NO_CHILD_CONTACT: "Confirm the person has no contact with children",
}


class TaskStatus(StrEnum):
    OPEN = "OPEN"
    DONE = "DONE"
    CANCELLED = "CANCELLED"


class TaskOutcome(StrEnum):
    """How a task was closed: a closed list, so no personal free text sits on a task."""

    ACTIONED = "ACTIONED"
    NO_ACTION_NEEDED = "NO_ACTION_NEEDED"
    REFERRED_TO_MEETING = "REFERRED_TO_MEETING"
    PASSED_TO_ANOTHER_AGENCY = "PASSED_TO_ANOTHER_AGENCY"


OUTCOME_LABELS: dict[TaskOutcome, str] = {
    TaskOutcome.ACTIONED: "Done as asked",
    TaskOutcome.NO_ACTION_NEEDED: "Checked: no action needed",
    TaskOutcome.REFERRED_TO_MEETING: "Referred to a MAPPA meeting",
    TaskOutcome.PASSED_TO_ANOTHER_AGENCY: "Passed to another agency",
}


class ReactiveEndReason(StrEnum):
    """The new information that ends reactive management (R-45)."""

    INTELLIGENCE = "INTELLIGENCE"
    CONCERN = "CONCERN"
    BREACH = "BREACH"
    CHANGE_OF_CIRCUMSTANCES = "CHANGE_OF_CIRCUMSTANCES"
    RISK_INCREASE = "RISK_INCREASE"
    ENDED_BY_USER = "ENDED_BY_USER"


class RoshGroup(StrEnum):
    CHILDREN = "CHILDREN"
    PUBLIC = "PUBLIC"
    KNOWN_ADULT = "KNOWN_ADULT"
    STAFF = "STAFF"
    PRISONERS = "PRISONERS"


class RoshSetting(StrEnum):
    COMMUNITY = "COMMUNITY"
    CUSTODY = "CUSTODY"
