"""The domain's closed vocabularies (domain.md §8), as plain enums.

Kept free of SQLAlchemy and Flask so that the policy engine, the connectors and the models
all speak the same words.
"""

from __future__ import annotations

from enum import StrEnum


class AgencyType(StrEnum):
    RA_POLICE = "RA_POLICE"
    RA_PROBATION = "RA_PROBATION"
    RA_PRISON = "RA_PRISON"
    DTC_CHILDRENS_SERVICES = "DTC_CHILDRENS_SERVICES"
    DTC_ADULT_SOCIAL_CARE = "DTC_ADULT_SOCIAL_CARE"
    DTC_HOUSING = "DTC_HOUSING"
    DTC_EDUCATION = "DTC_EDUCATION"
    DTC_HEALTH = "DTC_HEALTH"
    DTC_YOUTH_OFFENDING = "DTC_YOUTH_OFFENDING"
    DTC_JOBCENTRE = "DTC_JOBCENTRE"
    DTC_IMMIGRATION = "DTC_IMMIGRATION"
    DTC_ELECTRONIC_MONITORING = "DTC_ELECTRONIC_MONITORING"
    ASSOCIATE = "ASSOCIATE"
    COSA_PROVIDER = "COSA_PROVIDER"

    @property
    def is_responsible_authority(self) -> bool:
        return self.value.startswith("RA_")


class Role(StrEnum):
    MAPPA_CHAIR_L2 = "MAPPA_CHAIR_L2"
    MAPPA_CHAIR_L3 = "MAPPA_CHAIR_L3"
    MAPPA_COORDINATOR = "MAPPA_COORDINATOR"
    OFFENDER_MANAGER = "OFFENDER_MANAGER"
    MOSOVO_OFFICER = "MOSOVO_OFFICER"
    DTC_REP = "DTC_REP"
    HEALTH_DISCLOSER = "HEALTH_DISCLOSER"
    COSA_COORDINATOR = "COSA_COORDINATOR"
    COSA_VOLUNTEER = "COSA_VOLUNTEER"
    AUDITOR = "AUDITOR"
    SMB_MEMBER = "SMB_MEMBER"
    LAY_ADVISER = "LAY_ADVISER"
    SYSTEM_API_CLIENT = "SYSTEM_API_CLIENT"


# Which agency types may hold a role: a role outside its agency type is a configuration
# mistake that would widen access (a COSA volunteer in a police agency, say).
ROLE_AGENCY_TYPES: dict[Role, frozenset[AgencyType] | None] = {
    Role.MOSOVO_OFFICER: frozenset({AgencyType.RA_POLICE}),
    Role.HEALTH_DISCLOSER: frozenset({AgencyType.DTC_HEALTH}),
    Role.COSA_COORDINATOR: frozenset({AgencyType.COSA_PROVIDER}),
    Role.COSA_VOLUNTEER: frozenset({AgencyType.COSA_PROVIDER}),
    Role.OFFENDER_MANAGER: frozenset(
        {AgencyType.RA_PROBATION, AgencyType.RA_PRISON, AgencyType.DTC_YOUTH_OFFENDING}
    ),
    Role.MAPPA_CHAIR_L2: frozenset(
        {AgencyType.RA_POLICE, AgencyType.RA_PROBATION, AgencyType.RA_PRISON}
    ),
    Role.MAPPA_CHAIR_L3: frozenset(
        {AgencyType.RA_POLICE, AgencyType.RA_PROBATION, AgencyType.RA_PRISON}
    ),
    Role.MAPPA_COORDINATOR: frozenset(
        {AgencyType.RA_POLICE, AgencyType.RA_PROBATION, AgencyType.RA_PRISON}
    ),
    Role.DTC_REP: frozenset(t for t in AgencyType if t.value.startswith("DTC_")),
}


class Category(StrEnum):
    """Information item categories: the unit the policy engine decides on."""

    CONVICTION = "CONVICTION"
    INTELLIGENCE = "INTELLIGENCE"
    HEALTH = "HEALTH"
    VICTIM = "VICTIM"
    CHILD = "CHILD"
    FINANCIAL = "FINANCIAL"
    LOCATION = "LOCATION"
    RISK = "RISK"
    OTHER = "OTHER"


class Classification(StrEnum):
    """Only OFFICIAL and its OFFICIAL-SENSITIVE handling caveat may enter the hub (R-13)."""

    OFFICIAL = "OFFICIAL"
    OFFICIAL_SENSITIVE = "OFFICIAL_SENSITIVE"


class LegalBasis(StrEnum):
    CJA_S325 = "CJA_S325"
    DPA_PART3 = "DPA_PART3"
    UKGDPR_PUBLIC_TASK = "UKGDPR_PUBLIC_TASK"
    CONSENT = "CONSENT"
    PUBLIC_INTEREST = "PUBLIC_INTEREST"
    STATUTE = "STATUTE"
    COURT_ORDER = "COURT_ORDER"


class IdentifierScheme(StrEnum):
    PNC = "PNC"
    CRN = "CRN"
    NOMIS = "NOMIS"
    VISOR = "VISOR"
    NHS_NUMBER = "NHS_NUMBER"
    NI_NUMBER = "NI_NUMBER"
    LOCAL = "LOCAL"


# Identifiers that alone prove two records are one person.
DECISIVE_SCHEMES = frozenset({IdentifierScheme.PNC, IdentifierScheme.CRN})
# Identifiers whose value is special-category or restricted (domain.md §8).
RESTRICTED_SCHEMES = frozenset({IdentifierScheme.NHS_NUMBER, IdentifierScheme.NI_NUMBER})


class NameType(StrEnum):
    PRIMARY = "PRIMARY"
    ALIAS = "ALIAS"
    NICKNAME = "NICKNAME"
    PREVIOUS = "PREVIOUS"


class Sex(StrEnum):
    MALE = "MALE"
    FEMALE = "FEMALE"
    OTHER = "OTHER"
    NOT_KNOWN = "NOT_KNOWN"


class PersonStatus(StrEnum):
    ACTIVE = "ACTIVE"
    HELD_AS_DUPLICATE = "HELD_AS_DUPLICATE"  # blocked until a coordinator resolves it
    MERGED = "MERGED"


class AddressType(StrEnum):
    HOME = "HOME"
    TEMPORARY_STAY = "TEMPORARY_STAY"
    NFA_REGULAR_PLACE = "NFA_REGULAR_PLACE"
    APPROVED_PREMISES = "APPROVED_PREMISES"
    HOSPITAL = "HOSPITAL"
    CUSTODY = "CUSTODY"


class CaseStatus(StrEnum):
    ACTIVE = "ACTIVE"
    EXIT_REVIEW = "EXIT_REVIEW"  # the closure workflow: never a silent closure
    CLOSED = "CLOSED"


class LocationStatus(StrEnum):
    COMMUNITY = "COMMUNITY"
    CUSTODY = "CUSTODY"
    HOSPITAL = "HOSPITAL"
    ABROAD = "ABROAD"
    WANTED = "WANTED"
    MISSING = "MISSING"


class LevelTwoBasis(StrEnum):
    """The grounds R-04 accepts for management at level 2."""

    ROSH_HIGH_OR_VERY_HIGH = "ROSH_HIGH_OR_VERY_HIGH"
    EXCEPTIONAL_COORDINATION = "EXCEPTIONAL_COORDINATION"
    STEP_DOWN_FROM_LEVEL_3 = "STEP_DOWN_FROM_LEVEL_3"


class CaseChangeKind(StrEnum):
    CATEGORY = "CATEGORY"
    LEVEL = "LEVEL"
    STATUS = "STATUS"
    LEAD_AGENCY = "LEAD_AGENCY"


class MembershipRole(StrEnum):
    LEAD_CASE_MANAGER = "LEAD_CASE_MANAGER"
    CASE_MANAGER = "CASE_MANAGER"
    AGENCY_CONTACT = "AGENCY_CONTACT"
    CHAIR = "CHAIR"
    COORDINATOR = "COORDINATOR"


class RiskTool(StrEnum):
    OASYS_ROSH = "OASYS_ROSH"
    OSP_DC = "OSP_DC"
    OSP_IIC = "OSP_IIC"
    DC_SRP = "DC_SRP"
    IIC_SRP = "IIC_SRP"
    RSR = "RSR"
    CSRP = "CSRP"
    OGRS3 = "OGRS3"
    ARP = "ARP"
    RM2000_S = "RM2000_S"
    RM2000_V = "RM2000_V"
    RM2000_C = "RM2000_C"
    ARMS = "ARMS"
    SARA = "SARA"
    HCR20 = "HCR20"
    STABLE2007 = "STABLE2007"
    ACUTE2007 = "ACUTE2007"
    ASSETPLUS = "ASSETPLUS"
    OTHER = "OTHER"


# Sexual-reoffending predictors that do not apply to women or to people with no sexual
# offence history: the result must read NOT_APPLICABLE, never LOW.
SEXUAL_PREDICTORS = frozenset({RiskTool.OSP_DC, RiskTool.DC_SRP})


class RiskBand(StrEnum):
    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"
    VERY_HIGH = "VERY_HIGH"
    NOT_APPLICABLE = "NOT_APPLICABLE"


class SourceSystem(StrEnum):
    ARNS = "ARNS"
    NDELIUS = "NDELIUS"
    OASYS = "OASYS"
    VISOR_MAPPS = "VISOR_MAPPS"
    PNC = "PNC"
    NHS = "NHS"
    COSA = "COSA"
    MANUAL = "MANUAL"
    DEMO = "DEMO"


class AssessmentStatus(StrEnum):
    DRAFT = "DRAFT"
    COMPLETE = "COMPLETE"
    SUPERSEDED = "SUPERSEDED"


class OrderType(StrEnum):
    SHPO = "SHPO"
    INTERIM_SHPO = "INTERIM_SHPO"
    SRO = "SRO"
    INTERIM_SRO = "INTERIM_SRO"
    NOTIFICATION_ORDER = "NOTIFICATION_ORDER"
    STALKING_PROTECTION = "STALKING_PROTECTION"
    DAPO = "DAPO"
    SVRO = "SVRO"
    OTHER = "OTHER"


class ProhibitionCategory(StrEnum):
    INTERNET = "INTERNET"
    CHILD_CONTACT = "CHILD_CONTACT"
    EMPLOYMENT = "EMPLOYMENT"
    EXCLUSION_ZONE = "EXCLUSION_ZONE"
    FOREIGN_TRAVEL = "FOREIGN_TRAVEL"
    OTHER = "OTHER"


class NotificationRegime(StrEnum):
    SOA_PART2 = "SOA_PART2"
    CTA_2008_PART4 = "CTA_2008_PART4"


class NotificationEventType(StrEnum):
    INITIAL = "INITIAL"
    CHANGE_NAME = "CHANGE_NAME"
    CHANGE_ADDRESS = "CHANGE_ADDRESS"
    QUALIFYING_STAY = "QUALIFYING_STAY"
    RELEASE = "RELEASE"
    PERIODIC = "PERIODIC"
    WEEKLY_NFA = "WEEKLY_NFA"
    CHILD_HOUSEHOLD = "CHILD_HOUSEHOLD"
    BANK_CARD = "BANK_CARD"
    IDENTITY_DOC = "IDENTITY_DOC"
    TRAVEL = "TRAVEL"


class NotificationEventStatus(StrEnum):
    DUE = "DUE"
    RECEIVED = "RECEIVED"
    LATE = "LATE"
    MISSED = "MISSED"


class DuplicateMatch(StrEnum):
    PNC = "PNC"
    CRN = "CRN"
    NAME_DOB_IDENTIFIER = "NAME_DOB_IDENTIFIER"


class DuplicateOutcome(StrEnum):
    OPEN = "OPEN"
    SAME_PERSON = "SAME_PERSON"  # the held record is merged into the existing one
    DIFFERENT_PEOPLE = "DIFFERENT_PEOPLE"  # the held record is released as a new person
    SUPERSEDED = "SUPERSEDED"  # another review of the same held record merged it


class AuditOperation(StrEnum):
    COLLECT = "COLLECT"
    ALTER = "ALTER"
    CONSULT = "CONSULT"
    DISCLOSE = "DISCLOSE"
    COMBINE = "COMBINE"
    ERASE = "ERASE"
    EXPORT = "EXPORT"
    DENY = "DENY"
    LOGIN = "LOGIN"
    LOGIN_FAILED = "LOGIN_FAILED"
    BREAK_GLASS = "BREAK_GLASS"
    POLICY_CHANGE = "POLICY_CHANGE"
    KEY_ROTATION = "KEY_ROTATION"


class FollowUpKind(StrEnum):
    """What an access obliges someone to do afterwards (policy obligations, R-16, R-26)."""

    NOTIFY_OWNER = "NOTIFY_OWNER"
    REVIEW = "REVIEW"


class Purpose(StrEnum):
    """The purposes of use a reader states (policies/schema.yaml `purpose`); consent names them."""

    RISK_MANAGEMENT = "RISK_MANAGEMENT"
    MAPPA_MEETING = "MAPPA_MEETING"
    SAFEGUARDING = "SAFEGUARDING"
    DISCLOSURE_DECISION = "DISCLOSURE_DECISION"
    COSA_SUPPORT = "COSA_SUPPORT"
    AUDIT_OVERSIGHT = "AUDIT_OVERSIGHT"
    SUBJECT_ACCESS = "SUBJECT_ACCESS"


class ConsentMethod(StrEnum):
    """How the person gave consent (domain.md §8 Consent.method)."""

    WRITTEN = "WRITTEN"
    VERBAL = "VERBAL"
    ELECTRONIC = "ELECTRONIC"


class ConsentTaskKind(StrEnum):
    """What a consent withdrawal leaves others to do (R-29 b, c)."""

    RECIPIENT_NOTICE = "RECIPIENT_NOTICE"  # a recipient is told; it must stop passing items on
    PUBLIC_INTEREST_REVIEW = "PUBLIC_INTEREST_REVIEW"  # the controller decides on a new basis


class DeadLetterStatus(StrEnum):
    """A message the hub could not take (hub.ingest): kept until replayed."""

    OPEN = "OPEN"
    REPLAYED = "REPLAYED"  # accepted on replay; the receipt names what it wrote
