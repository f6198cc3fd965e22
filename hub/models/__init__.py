"""The shared case record. Importing this package registers every table on Base.metadata."""

from hub.models.access import AccessFollowUp
from hub.models.agency import Agency, User, UserRole
from hub.models.audit import AuditCheckpoint, AuditLogHead, AuditRecord, AuditSigningKey
from hub.models.case import CaseChange, CaseMembership, MappaCase
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
    "AuditRecord",
    "AuditSigningKey",
    "CaseChange",
    "CaseMembership",
    "CivilOrder",
    "DuplicateReview",
    "InformationItem",
    "ItemAnnotation",
    "ItemNamedAgency",
    "MappaCase",
    "NotificationEvent",
    "NotificationRequirement",
    "OrderProhibition",
    "Person",
    "PersonIdentifier",
    "PersonName",
    "RiskAssessment",
    "User",
    "UserRole",
]
