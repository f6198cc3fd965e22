"""The shared case record. Importing this package registers every table on Base.metadata."""

import hub.accounts.models  # credentials and sessions live with accounts
import hub.casework.models  # tasks, visit plans and reactive management live with casework
import hub.cosa.models  # circles, concerns and portal sessions live with cosa
import hub.events.models  # the outbound event outbox lives with events
import hub.ingest.models  # receipts and dead letters live with ingest
import hub.meetings.models  # referrals, meetings, minutes and actions live with meetings
import hub.oauth.model  # noqa: F401  (the OAuth tables live with the OAuth server)
from hub.models.access import AccessFollowUp
from hub.models.agency import Agency, User, UserRole
from hub.models.audit import (
    AuditCheckpoint,
    AuditLogHead,
    AuditQueued,
    AuditRecord,
    AuditSigningKey,
)
from hub.models.case import CaseChange, CaseMembership, MappaCase
from hub.models.consent import (
    Consent,
    ConsentRecipient,
    ConsentTask,
    ItemDisseminationFlag,
    PublicInterestDecision,
    PublicInterestItem,
    PublicInterestRecipient,
)
from hub.models.idempotency import IdempotentResponse
from hub.models.item import InformationItem, ItemAnnotation, ItemNamedAgency
from hub.models.notification import NotificationEvent, NotificationRequirement
from hub.models.order import CivilOrder, OrderProhibition
from hub.models.person import Address, DuplicateReview, Person, PersonIdentifier, PersonName
from hub.models.risk import RiskAssessment

__all__ = [
    "AccessFollowUp",
    "Address",
    "Agency",
    "AuditCheckpoint",
    "AuditLogHead",
    "AuditQueued",
    "AuditRecord",
    "AuditSigningKey",
    "CaseChange",
    "CaseMembership",
    "CivilOrder",
    "Consent",
    "ConsentRecipient",
    "ConsentTask",
    "DuplicateReview",
    "IdempotentResponse",
    "InformationItem",
    "ItemAnnotation",
    "ItemDisseminationFlag",
    "ItemNamedAgency",
    "MappaCase",
    "NotificationEvent",
    "NotificationRequirement",
    "OrderProhibition",
    "Person",
    "PersonIdentifier",
    "PersonName",
    "PublicInterestDecision",
    "PublicInterestItem",
    "PublicInterestRecipient",
    "RiskAssessment",
    "User",
    "UserRole",
]
