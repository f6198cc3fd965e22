"""`hub import`: a bulk file through the same pipeline as a push, a chunk at a time.

A chunk (`batch_size` records) is one transaction: a commit per record would bound a
national-scale load by the disk's flush rate, and twenty statements per record by the round
trips. `hub.ingest.batch` writes a chunk with a few multi-row statements; a chunk it cannot
write is redone record by record, each record in its own SAVEPOINT, so one bad record never
blocks the good ones. A record counts as accepted only once its chunk commits; if a commit
fails, re-running the import is safe, since receipts turn what was stored into duplicates.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any, BinaryIO

import psycopg
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from connectors.base import Connector, Problem, RawRecord
from hub.actor import Actor
from hub.ingest.batch import ingest_many
from hub.ingest.pipeline import ACCEPTED, DUPLICATE, Outcome, check_sender, ingest


@dataclass
class Rejection:
    position: str
    problems: tuple[Problem, ...]
    raw: bytes


@dataclass
class Summary:
    accepted: int = 0
    duplicates: int = 0
    held_for_review: int = 0
    rejected: list[Rejection] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "accepted": self.accepted,
            "duplicates": self.duplicates,
            "held_for_review": self.held_for_review,
            "rejected": len(self.rejected),
            "reasons": [
                {"position": r.position, "problems": [str(p) for p in r.problems]}
                for r in self.rejected
            ],
        }


def file_format(path: Path, connector: Connector, given: str | None) -> str:
    chosen = given or {".csv": "csv", ".json": "json"}.get(path.suffix.lower(), "jsonl")
    if chosen not in connector.bulk_formats:
        formats = ", ".join(connector.bulk_formats)
        raise ValueError(f"the {connector.name} connector reads {formats} files, not {chosen}")
    return chosen


def _lines(stream: BinaryIO, advanced: Callable[[int], None]) -> Iterator[bytes]:
    for line in stream:
        advanced(len(line))
        yield line


def import_file(
    sessions: sessionmaker[Session],
    actor: Actor,
    connector: Connector,
    path: Path,
    *,
    fmt: str,
    batch_size: int = 1000,
    advanced: Callable[[int], None] = lambda _: None,
    batched: bool = True,
) -> Summary:
    """Import a file chunk by chunk, one transaction a chunk.

    `batched` writes each chunk with `ingest_many`; a chunk it cannot write (a constraint
    violation, a concurrent writer) is rolled back and redone record by record, as every
    chunk is when `batched` is off (then new people too go through the services). Either way
    each record's outcome is the one `ingest` gives, and counts only once its chunk has
    committed.
    """
    summary = Summary()
    with sessions() as session:
        check_sender(session, actor, connector)
    with path.open("rb") as stream:
        records = connector.split(_lines(stream, advanced), fmt)
        for chunk in _chunks(records, batch_size):
            outcomes = _batched(sessions, actor, connector, chunk) if batched else None
            if outcomes is None:
                outcomes = _one_by_one(sessions, actor, connector, chunk, newcomers=batched)
            _count(summary, chunk, outcomes)
    return summary


def _chunks(records: Iterator[RawRecord], size: int) -> Iterator[list[RawRecord]]:
    while chunk := list(islice(records, size)):
        yield chunk


def _batched(
    sessions: sessionmaker[Session], actor: Actor, connector: Connector, chunk: list[RawRecord]
) -> list[Outcome] | None:
    with sessions() as session:
        try:
            outcomes = ingest_many(session, actor, connector, chunk)
            session.commit()
        except (IntegrityError, OperationalError, psycopg.IntegrityError, psycopg.OperationalError):
            # Someone else wrote one of these people or references between our reads and
            # our writes, or the database gave up on a lock: nothing of the chunk is kept.
            # (The psycopg ones come from a COPY, which runs beneath SQLAlchemy.)
            session.rollback()
            return None
    return outcomes


def _one_by_one(
    sessions: sessionmaker[Session],
    actor: Actor,
    connector: Connector,
    chunk: list[RawRecord],
    *,
    newcomers: bool,
) -> list[Outcome]:
    # Each record has its own SAVEPOINT inside `ingest`; the chunk commits once. Unbatched
    # (`--one-at-a-time`), new people go through the services too: the reference path the
    # batch writer is held equal to (tests/connectors/test_bulk_batch.py).
    with sessions() as session, session.begin():
        return [
            ingest(
                session,
                actor,
                connector,
                raw.payload,
                position=raw.position,
                cut_problem=raw.problem,
                newcomers=newcomers,
            )
            for raw in chunk
        ]


def _count(summary: Summary, chunk: list[RawRecord], outcomes: list[Outcome]) -> None:
    for raw, outcome in zip(chunk, outcomes, strict=True):
        if outcome.status == ACCEPTED:
            summary.accepted += 1
            summary.held_for_review += outcome.held_for_review
        elif outcome.status == DUPLICATE:
            summary.duplicates += 1
        else:
            summary.rejected.append(Rejection(raw.position, outcome.problems, raw.payload))
