"""The published JSON Schemas are the code's: no drift, and every connector is listed."""

from __future__ import annotations

from connectors import schemas
from connectors.registry import installed


def test_published_schemas_match_the_code() -> None:
    assert schemas.drift() == [], "run `hub connectors schemas` and commit the result"


def test_four_connectors_are_registered_by_entry_point() -> None:
    assert set(installed()) == {"police", "probation", "health", "cosa"}
