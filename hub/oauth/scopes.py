"""Every OAuth scope the hub grants, in one place: one per resource and action.

A scope lets a client system ask; it never widens what the gate permits. The policy engine
still decides, record by record, for the agency the client belongs to.
"""

from __future__ import annotations

from collections.abc import Iterable

from hub.errors import InvalidInput

SCOPES: dict[str, str] = {
    "cases:read": "read MAPPA cases the agency may see",
    "cases:write": "create and change MAPPA cases",
    "items:read": "read information items the agency may see",
    "items:write": "share and change the agency's own information items",
    "consent:write": "record and withdraw consent",
    "audit:read": "read the audit trail of the agency's own records",
    "ingest:write": "push the agency's own messages through its connectors",
}


def parse_scopes(raw: str | Iterable[str], field: str = "scopes") -> frozenset[str]:
    """Scopes from a space/comma-separated string; an unknown one is an error naming it."""
    words = raw.replace(",", " ").split() if isinstance(raw, str) else list(raw)
    unknown = sorted(set(words) - SCOPES.keys())
    if unknown:
        raise InvalidInput(field, f"unknown scope {unknown[0]!r}; known: {', '.join(SCOPES)}")
    if not words:
        raise InvalidInput(field, "at least one scope is needed")
    return frozenset(words)


def scope_string(scopes: Iterable[str]) -> str:
    return " ".join(sorted(scopes))
