"""What one audit entry says (DPA 2018 s.62), and its canonical bytes.

An entry holds ids and field names only, never case content: the log must be safe to hand
to the Information Commissioner or a court without itself disclosing anything.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from hub.actor import Actor
from hub.vocabulary import AuditOperation

SCHEMA_VERSION = 1


@dataclass(frozen=True)
class AuditEntry:
    operation: AuditOperation
    actor: Actor
    record_type: str
    record_ids: tuple[str, ...] = ()
    subject_person_id: uuid.UUID | None = None
    case_id: uuid.UUID | None = None
    fields_written: tuple[str, ...] = ()  # COLLECT / ALTER: which fields the write set
    fields_returned: tuple[str, ...] = ()
    fields_withheld: tuple[str, ...] = ()
    recipients: tuple[str, ...] = ()
    policy_decision_id: str | None = None
    policy_bundle_hash: str | None = None
    outcome: str | None = None  # e.g. the rule id that refused a write
    extra: dict[str, str] = field(default_factory=dict)

    def to_document(self, seq: int, recorded_at: datetime) -> dict[str, Any]:
        actor = self.actor
        return {
            "v": SCHEMA_VERSION,
            "seq": seq,
            "time": recorded_at.isoformat(),
            "operation": self.operation.value,
            "actor": {
                "user": _str(actor.user_id),
                "agency": str(actor.agency_id),
                "roles": sorted(r.value for r in actor.roles),
                "client": actor.client_id,
                "on_behalf_of": actor.on_behalf_of,
            },
            "purpose": actor.purpose,
            "justification": actor.justification,
            "subject_person": _str(self.subject_person_id),
            "case": _str(self.case_id),
            "record_type": self.record_type,
            "record_ids": list(self.record_ids),
            "fields_written": sorted(self.fields_written),
            "fields_returned": sorted(self.fields_returned),
            "fields_withheld": sorted(self.fields_withheld),
            "recipients": sorted(self.recipients),
            "policy_decision": self.policy_decision_id,
            "policy_bundle": self.policy_bundle_hash,
            "outcome": self.outcome,
            "extra": dict(sorted(self.extra.items())),
            "correlation_id": actor.correlation_id,
        }


def canonical_bytes(document: dict[str, Any]) -> bytes:
    """Deterministic JSON: sorted keys, no spaces, UTF-8. The leaf hash covers these bytes."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def ids(values: Iterable[object]) -> tuple[str, ...]:
    return tuple(str(v) for v in values)


def _str(value: object | None) -> str | None:
    return None if value is None else str(value)
