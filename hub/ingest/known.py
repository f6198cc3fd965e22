"""What the hub already holds of an incoming message, in one round trip.

Its receipt, found by the Idempotency-Key or, failing that, by the source reference (the two
unique keys that make ingest exactly-once), and, for a nominal that could be a newcomer, whether
a person not merged away already holds one of its decisive identifiers (R-56: then it is
matched, not newly registered). Each part is an equality probe of its own index, joined by
UNION ALL (an OR could make the planner walk every receipt of the sender). The statement is
built once a shape and returns ids only: nearly every push finds nothing, and a statement built
afresh pays for its construction and its cache key every time (bench/request_cpu.py).
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, bindparam, literal, or_, select, union_all
from sqlalchemy.orm import Session

from hub.crypto.fields import cleartext
from hub.db import core_rows
from hub.ingest.models import IngestReceipt
from hub.models import Person, PersonIdentifier
from hub.vocabulary import DECISIVE_SCHEMES, RESTRICTED_SCHEMES, IdentifierScheme, PersonStatus

if DECISIVE_SCHEMES & RESTRICTED_SCHEMES:  # their values would be sealed: see identifier_is
    raise RuntimeError("a decisive identifier scheme is sealed; the look-up compares in clear")

_BY_KEY, _BY_REFERENCE, _HELD = 0, 1, 2


@dataclass(frozen=True)
class Known:
    receipt_id: uuid.UUID | None  # the message's receipt: a key's before a reference's
    held: bool  # a person holds one of the decisive identifiers asked about


def look_up(
    session: Session,
    agency_id: uuid.UUID,
    connector: str,
    idempotency_key: str | None,
    source_reference: str,
    decisive: Sequence[tuple[IdentifierScheme, str]] = (),
) -> Known:
    parameters: dict[str, Any] = {
        "agency": agency_id,
        "connector": connector,
        "reference": source_reference,
        "key": idempotency_key,
    }
    for i, (scheme, value) in enumerate(decisive):
        parameters[f"scheme_{i}"] = scheme
        parameters[f"value_{i}"] = cleartext(value)
    query = _query(with_key=idempotency_key is not None, identifiers=len(decisive))
    rows = core_rows(session, query, parameters).all()
    receipts = sorted((row.found, row.id) for row in rows if row.found != _HELD)
    return Known(
        receipt_id=receipts[0][1] if receipts else None,
        held=any(row.found == _HELD for row in rows),
    )


@functools.cache
def _query(*, with_key: bool, identifiers: int) -> Any:
    mine = (
        IngestReceipt.agency_id == bindparam("agency"),
        IngestReceipt.connector == bindparam("connector"),
    )
    parts = [
        select(IngestReceipt.id, literal(_BY_REFERENCE).label("found")).where(
            *mine, IngestReceipt.source_reference == bindparam("reference")
        )
    ]
    if with_key:
        parts.append(
            select(IngestReceipt.id, literal(_BY_KEY).label("found")).where(
                *mine, IngestReceipt.idempotency_key == bindparam("key")
            )
        )
    if identifiers:
        # Decisive schemes are held in clear (checked above), so values compare as stored.
        holds = (
            and_(
                PersonIdentifier.scheme == bindparam(f"scheme_{i}"),
                PersonIdentifier.value_stored == bindparam(f"value_{i}"),
            )
            for i in range(identifiers)
        )
        parts.append(
            select(PersonIdentifier.id, literal(_HELD).label("found"))
            .join(Person, Person.id == PersonIdentifier.person_id)
            .where(or_(*holds), Person.status != PersonStatus.MERGED)
        )
    return parts[0] if len(parts) == 1 else union_all(*parts)
