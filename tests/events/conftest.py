"""Subscribers with a real loopback receiver, on the test's own transaction."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy.orm import Session

from hub.demo.agencies import DemoOrganisation
from hub.events.subscriptions import subscribe
from hub.gate import Gate
from hub.oauth.clients import create_client
from hub.policy import PolicySet
from hub.settings import default_policy_path
from tests.events.receiver import Receiver


@dataclass(frozen=True)
class Subscriber:
    client_id: str
    secret: str
    receiver: Receiver


SubscriberFor = Callable[..., Subscriber]


@pytest.fixture(scope="session")
def gate() -> Gate:
    return Gate(PolicySet.load(default_policy_path()))


@pytest.fixture
def receivers() -> Iterator[list[Receiver]]:
    made: list[Receiver] = []
    yield made
    for receiver in made:
        receiver.stop()


@pytest.fixture
def subscriber(session: Session, org: DemoOrganisation, receivers: list[Receiver]) -> SubscriberFor:
    def make(agency: str, events: str = "item.created case.level_changed") -> Subscriber:
        client = create_client(
            session,
            agency_code=agency,
            name=f"{agency} case system",
            auth_method="client_secret_basic",
            scopes="cases:read",
        ).client
        receiver = Receiver()
        receivers.append(receiver)
        made = subscribe(session, client_id=client.client_id, url=receiver.url, event_types=events)
        return Subscriber(client.client_id, made.secret, receiver)

    return make
