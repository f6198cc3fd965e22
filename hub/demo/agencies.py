"""The demo area's agencies and a member of staff for every role (domain.md §1.4)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from hub.actor import Actor, hub_actor
from hub.models import Agency, User
from hub.services.agencies import register_agency, register_user
from hub.vocabulary import AgencyType, Role

AGENCIES = (
    ("DEMO-POL", "Demoshire Police", AgencyType.RA_POLICE),
    ("DEMO-PRB", "Probation Service, Demoshire", AgencyType.RA_PROBATION),
    ("DEMO-HMP", "HMP Demoton", AgencyType.RA_PRISON),
    ("DEMO-CSC", "Demoshire Children's Services", AgencyType.DTC_CHILDRENS_SERVICES),
    ("DEMO-ASC", "Demoshire Adult Social Care", AgencyType.DTC_ADULT_SOCIAL_CARE),
    ("DEMO-HSG", "Demoton Housing Department", AgencyType.DTC_HOUSING),
    ("DEMO-EDU", "Demoshire Education Service", AgencyType.DTC_EDUCATION),
    ("DEMO-NHS", "Demoshire Forensic Mental Health NHS Trust", AgencyType.DTC_HEALTH),
    ("DEMO-YOT", "Demoshire Youth Justice Service", AgencyType.DTC_YOUTH_OFFENDING),
    ("DEMO-JCP", "Jobcentre Plus, Demoton", AgencyType.DTC_JOBCENTRE),
    ("DEMO-IE", "Immigration Enforcement, Demo Region", AgencyType.DTC_IMMIGRATION),
    ("DEMO-EM", "Electronic Monitoring Service", AgencyType.DTC_ELECTRONIC_MONITORING),
    ("DEMO-COSA", "Circles Demoshire", AgencyType.COSA_PROVIDER),
)

# (username, display name, agency code, roles): one or more people for every role.
STAFF = (
    ("chair.l2", "Level 2 Chair (Probation)", "DEMO-PRB", (Role.MAPPA_CHAIR_L2,)),
    ("chair.l3", "Level 3 Chair (Police)", "DEMO-POL", (Role.MAPPA_CHAIR_L3, Role.MAPPA_CHAIR_L2)),
    ("coordinator", "MAPPA Coordinator", "DEMO-PRB", (Role.MAPPA_COORDINATOR,)),
    ("offender.manager", "Probation Practitioner", "DEMO-PRB", (Role.OFFENDER_MANAGER,)),
    ("prison.om", "Prison Offender Manager", "DEMO-HMP", (Role.OFFENDER_MANAGER,)),
    ("mosovo", "MOSOVO Officer", "DEMO-POL", (Role.MOSOVO_OFFICER,)),
    ("csc.rep", "Children's Services Representative", "DEMO-CSC", (Role.DTC_REP,)),
    ("asc.rep", "Adult Social Care Representative", "DEMO-ASC", (Role.DTC_REP,)),
    ("housing.rep", "Housing Representative", "DEMO-HSG", (Role.DTC_REP,)),
    ("education.rep", "Education Representative", "DEMO-EDU", (Role.DTC_REP,)),
    ("health.rep", "Forensic Team Representative", "DEMO-NHS", (Role.DTC_REP,)),
    ("health.discloser", "Caldicott Delegate", "DEMO-NHS", (Role.HEALTH_DISCLOSER,)),
    ("yot.rep", "Youth Justice Representative", "DEMO-YOT", (Role.DTC_REP, Role.OFFENDER_MANAGER)),
    ("jcp.rep", "Jobcentre Representative", "DEMO-JCP", (Role.DTC_REP,)),
    ("ie.rep", "Immigration Enforcement Representative", "DEMO-IE", (Role.DTC_REP,)),
    ("em.rep", "Electronic Monitoring Representative", "DEMO-EM", (Role.DTC_REP,)),
    ("cosa.coordinator", "Circle Coordinator", "DEMO-COSA", (Role.COSA_COORDINATOR,)),
    ("cosa.volunteer", "Circle Volunteer", "DEMO-COSA", (Role.COSA_VOLUNTEER,)),
    ("auditor", "Information Assurance Auditor", "DEMO-PRB", (Role.AUDITOR,)),
    ("smb.member", "Strategic Management Board Member", "DEMO-POL", (Role.SMB_MEMBER,)),
    ("lay.adviser", "Lay Adviser", "DEMO-PRB", (Role.LAY_ADVISER,)),
    ("police.system", "Demoshire Police case system", "DEMO-POL", (Role.SYSTEM_API_CLIENT,)),
)


@dataclass
class DemoOrganisation:
    agencies: dict[str, Agency]
    staff: dict[str, User]

    def actor(self, username: str, purpose: str = "ADMINISTRATION") -> Actor:
        user = self.staff[username]
        return Actor(
            agency_id=user.agency_id,
            user_id=user.id,
            roles=user.roles,
            client_id="hub-demo",
            purpose=purpose,
        )


def create_organisation(session: Session, area: str) -> DemoOrganisation:
    actor = hub_actor()
    agencies = {
        code: register_agency(session, actor, code=code, name=name, type=kind, mappa_area=area)
        for code, name, kind in AGENCIES
    }
    staff = {
        username: register_user(
            session,
            actor,
            agency_id=agencies[code].id,
            username=username,
            display_name=display,
            roles=[r.value for r in roles],
        )
        for username, display, code, roles in STAFF
    }
    return DemoOrganisation(agencies=agencies, staff=staff)
