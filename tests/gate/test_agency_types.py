"""Agency types kept in memory (hub/gate/agencies.py): never a wrong type, never a default."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy.orm import Session

from hub.demo.agencies import DemoOrganisation
from hub.errors import HubError
from hub.gate.agencies import AgencyTypes
from hub.models import Agency
from hub.vocabulary import AgencyType


def test_an_agency_registered_after_the_cache_filled_is_looked_up_not_refused(
    session: Session, org: DemoOrganisation
) -> None:
    types = AgencyTypes()
    police = org.agencies["DEMO-POL"].id
    assert types.one(session, police) is AgencyType.RA_POLICE
    newcomer = Agency(code="NEW-YOT", name="Youth team", type=AgencyType.DTC_YOUTH_OFFENDING)
    newcomer.mappa_area = "Test Area"
    session.add(newcomer)
    session.flush()
    assert types.one(session, newcomer.id) is AgencyType.DTC_YOUTH_OFFENDING


def test_an_unknown_agency_fails_closed(session: Session, org: DemoOrganisation) -> None:
    types = AgencyTypes()
    with pytest.raises(HubError, match="not registered"):
        types.of(session, {org.agencies["DEMO-POL"].id, uuid.uuid4()})


def test_a_changed_agency_is_never_answered_from_the_old_cache(
    session: Session, org: DemoOrganisation
) -> None:
    from hub.gate.agencies import agency_types

    session.commit()  # the organisation stays; only the change below is rolled back
    housing = org.agencies["DEMO-HSG"]
    assert agency_types.one(session, housing.id) is AgencyType.DTC_HOUSING
    housing = session.get_one(Agency, housing.id)
    housing.type = AgencyType.DTC_ADULT_SOCIAL_CARE
    session.flush()  # the write empties the cache as it flushes
    assert agency_types.one(session, housing.id) is AgencyType.DTC_ADULT_SOCIAL_CARE
    session.rollback()  # and again when its transaction ends, so the change does not linger
    assert agency_types.one(session, housing.id) is AgencyType.DTC_HOUSING


def test_a_stale_cache_is_reloaded_after_its_time_to_live(
    session: Session, org: DemoOrganisation
) -> None:
    types = AgencyTypes(ttl=0.0)  # every read is past the TTL: always from the database
    police = org.agencies["DEMO-POL"]
    assert types.one(session, police.id) is AgencyType.RA_POLICE
    session.get_one(Agency, police.id).type = AgencyType.RA_PRISON
    session.flush()
    assert types.one(session, police.id) is AgencyType.RA_PRISON
