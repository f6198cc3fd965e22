"""What one audit entry says (DPA 2018 s.62), and its canonical bytes.

An entry holds ids and field names only, never case content: the log must be safe to hand
to the Information Commissioner or a court without itself disclosing anything.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

import orjson

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
            "operation": str(self.operation),
            "actor": _actor_document(actor),
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
    """Deterministic JSON: sorted keys, no spaces, UTF-8. The leaf hash covers these bytes.

    orjson writes exactly what `json.dumps(sort_keys=True, separators=(",", ":"),
    ensure_ascii=False)` writes for these documents (tests/unit/test_audit_canonical.py
    checks it on generated text), in a quarter of the time: it is most of the cost of a
    batch of appends.
    """
    return orjson.dumps(document, option=orjson.OPT_SORT_KEYS)


def _text(document: dict[str, Any]) -> str:
    return canonical_bytes(document).decode()


@lru_cache(maxsize=1024)
def _actor_document(actor: Actor) -> dict[str, Any]:
    # A request's or a batch's entries share one actor: format its ids and roles once.
    # The dict is shared between those documents and never changed after this.
    return {
        "user": _str(actor.user_id),
        "agency": str(actor.agency_id),
        "roles": sorted(str(r) for r in actor.roles),
        "client": actor.client_id,
        "on_behalf_of": actor.on_behalf_of,
    }


def split_canonical(document: dict[str, Any]) -> tuple[str, str]:
    """The canonical text of `document` either side of its `seq` member's value.

    Keys are sorted, so `"seq":N` has one fixed place: `before + str(N) + after` is exactly
    `canonical_bytes(document)` with that N. Appenders pay for serialising; the sequencer,
    which learns N later and under a lock, only joins text.
    """
    below = {k: v for k, v in document.items() if k < "seq"}
    above = {k: v for k, v in document.items() if k > "seq"}
    if not below or not above:
        raise ValueError("an entry document has members either side of seq")
    return _text(below)[:-1] + ',"seq":', "," + _text(above)[1:]


def join_canonical(before: str, seq: int, after: str) -> bytes:
    return f"{before}{seq}{after}".encode()


def ids(values: Iterable[object]) -> tuple[str, ...]:
    return tuple(str(v) for v in values)


def _str(value: object | None) -> str | None:
    return None if value is None else str(value)
