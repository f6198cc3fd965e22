"""Fixtures for the connector tests: senders for each agency on a real database."""

from __future__ import annotations

import pytest

from connectors.registry import connector
from hub.actor import Actor
from hub.demo.agencies import DemoOrganisation
from hub.vocabulary import Role


def sender(org: DemoOrganisation, code: str) -> Actor:
    return Actor(
        agency_id=org.agencies[code].id,
        roles=frozenset({Role.SYSTEM_API_CLIENT}),
        client_id="connector-test",
        purpose="RISK_MANAGEMENT",
    )


@pytest.fixture
def police(org: DemoOrganisation) -> Actor:
    return sender(org, "DEMO-POL")


@pytest.fixture
def probation(org: DemoOrganisation) -> Actor:
    return sender(org, "DEMO-PRB")


police_connector = connector("police")
probation_connector = connector("probation")
