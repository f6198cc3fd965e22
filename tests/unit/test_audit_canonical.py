"""Canonical JSON of audit entries: the bytes every leaf hash covers must never drift.

The hub writes them with orjson for speed; the definition is the json module's
`json.dumps(sort_keys=True, separators=(",", ":"), ensure_ascii=False)`, which any outside
verifier can reproduce. Generated text includes quotes, backslashes, control characters
and non-ASCII, where encoders most often differ.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from hub.actor import Actor
from hub.audit.entry import AuditEntry, canonical_bytes
from hub.vocabulary import AuditOperation, Role

# Lone surrogates cannot be encoded as UTF-8 by either encoder: not text the hub can hold.
TEXT = st.text(st.characters(exclude_categories=["Cs"]))


def _reference(document: dict[str, Any]) -> bytes:
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


@settings(max_examples=300, deadline=None)
@given(
    justification=st.none() | TEXT,
    purpose=st.none() | TEXT,
    fields=st.lists(TEXT, max_size=5),
    extra=st.dictionaries(TEXT, TEXT, max_size=5),
    seq=st.integers(min_value=0, max_value=2**62),
    roles=st.frozensets(st.sampled_from(list(Role)), max_size=3),
)
def test_canonical_bytes_are_the_json_modules_sorted_compact_utf8(
    justification: str | None,
    purpose: str | None,
    fields: list[str],
    extra: dict[str, str],
    seq: int,
    roles: frozenset[Role],
) -> None:
    actor = Actor(
        agency_id=uuid.uuid4(),
        user_id=uuid.uuid4(),
        roles=roles,
        purpose=purpose,
        justification=justification,
    )
    entry = AuditEntry(
        operation=AuditOperation.DISCLOSE,
        actor=actor,
        record_type="information_item",
        record_ids=(str(uuid.uuid4()),),
        fields_returned=tuple(fields),
        recipients=tuple(fields[:2]),
        extra=extra,
    )
    document = entry.to_document(seq, datetime(2026, 11, 22, 5, 40, tzinfo=UTC))
    assert canonical_bytes(document) == _reference(document)
