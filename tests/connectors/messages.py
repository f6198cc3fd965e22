"""Synthetic messages for the connector tests (invented people only)."""

from __future__ import annotations

import json
from typing import Any

PNC = "2004/0123456X"


def encode(message: dict[str, Any]) -> bytes:
    return json.dumps(message).encode()


def nominal(ref: str = "NOM-1", pnc: str = PNC, **changes: Any) -> dict[str, Any]:
    message: dict[str, Any] = {
        "type": "nominal",
        "source_reference": ref,
        "pnc_id": pnc,
        "names": [
            {"type": "PRIMARY", "given": "Corvin", "family": "Aldwick"},
            {"type": "ALIAS", "given": "Cory", "family": "Alwick"},
        ],
        "date_of_birth": "1979-03-14",
        "sex": "MALE",
        "addresses": [
            {
                "line1": "12 Fenwold Row",
                "town": "Demoton",
                "postcode": "DM1 4ZZ",
                "valid_from": "2024-06-01",
            }
        ],
    }
    message.update(changes)
    return message


def intelligence(ref: str = "INT-1", pnc: str = PNC, code: str = "C") -> dict[str, Any]:
    return {
        "type": "intelligence",
        "source_reference": ref,
        "subject": {"pnc_id": pnc},
        "reported_at": "2025-02-01T09:30:00Z",
        "title": "Seen near a primary school",
        "summary": "Subject reported loitering near the school gates at home time.",
        "grading": {
            "source_evaluation": "2",
            "intelligence_assessment": "B",
            "handling_code": code,
            **({"handling_conditions": "Not to be shared with the subject"} if code == "C" else {}),
        },
    }


def mappa_status(ref: str = "CASE-1", pnc: str = PNC) -> dict[str, Any]:
    return {
        "type": "mappa_status",
        "source_reference": ref,
        "subject": {"pnc_id": pnc},
        "mappa_area": "Test Area",
        "category": 1,
        "level": 1,
        "level_reason": "Screened at release",
        "start_date": "2025-01-10",
    }
