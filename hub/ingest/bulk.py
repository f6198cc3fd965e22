"""`hub import`: a bulk file through the same pipeline as a push, record by record.

Each record has its own SAVEPOINT, so one bad record never blocks the good ones; commits
group `batch_size` records, because a commit per record would bound a national-scale load by
the disk's flush rate. A record counts as accepted only once its batch commits; if a commit
fails, re-running the import is safe, since receipts turn what was stored into duplicates.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy.orm import Session, sessionmaker

from connectors.base import Connector, Problem, RawRecord
from hub.actor import Actor
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
    batch_size: int = 500,
    advanced: Callable[[int], None] = lambda _: None,
) -> Summary:
    summary = Summary()
    with sessions() as session:
        check_sender(session, actor, connector)
    with path.open("rb") as stream:
        records = connector.split(_lines(stream, advanced), fmt)
        session = sessions()
        try:
            pending: list[Outcome] = []
            for raw in records:
                pending.append(_one(session, actor, connector, raw, summary))
                if len(pending) >= batch_size:
                    _commit(session, pending, summary)
            _commit(session, pending, summary)
        finally:
            session.close()
    return summary


def _one(
    session: Session, actor: Actor, connector: Connector, raw: RawRecord, summary: Summary
) -> Outcome:
    if not session.in_transaction():
        session.begin()
    outcome = ingest(
        session, actor, connector, raw.payload, position=raw.position, cut_problem=raw.problem
    )
    if outcome.problems:
        summary.rejected.append(Rejection(raw.position, outcome.problems, raw.payload))
    return outcome


def _commit(session: Session, pending: list[Outcome], summary: Summary) -> None:
    if session.in_transaction():
        session.commit()
    for outcome in pending:
        if outcome.status == ACCEPTED:
            summary.accepted += 1
            summary.held_for_review += outcome.held_for_review
        elif outcome.status == DUPLICATE:
            summary.duplicates += 1
    pending.clear()
    # Forget the batch's objects: a national-scale import must not keep them all in memory.
    session.expunge_all()
