"""The running hub's policy set: loaded at start-up, reloaded when its files change.

A policy set that does not load never replaces the one in force: the hub keeps deciding under
the last good set and says why the new one was refused (file, rule and path, never data). A set
that loads and differs from the last one recorded is audited as POLICY_CHANGE with both bundle
hashes, so every decision's `policy_bundle_hash` can be traced to the moment it took effect.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.actor import HUB_ITSELF, hub_actor
from hub.audit import AuditEntry, record
from hub.audit.lock import take_append_lock
from hub.audit.sequencer import sequence
from hub.models import AuditRecord
from hub.policy import PolicyLoadError, PolicySet
from hub.vocabulary import AuditOperation

log = logging.getLogger("hub.policy")


@dataclass(frozen=True)
class Refusal:
    """Why the newest files were not put in force."""

    files_signature: tuple[tuple[str, int, int], ...]
    problems: tuple[str, ...]


class PolicyStore:
    """Holds the policy set in force for one process. Thread-safe; reads are lock-free."""

    def __init__(
        self,
        directory: Path,
        sessions: Callable[[], Session],
        *,
        check_seconds: float = 10.0,
    ) -> None:
        self.directory = directory
        self._sessions = sessions
        self._check_seconds = check_seconds
        self._lock = threading.Lock()
        self._signature = self._files_signature()
        # Start-up fails closed: with no good set there is nothing to decide with.
        self._policy = PolicySet.load(directory)
        self._checked_at = time.monotonic()
        self.refusal: Refusal | None = None
        self._recorded = False

    @property
    def current(self) -> PolicySet:
        return self._policy

    def in_force(self) -> PolicySet:
        """The set to decide with now: changed files picked up, and the set known to the log.

        Raises if the log cannot be written: a decision under a set the trail has not
        recorded could not be traced to its rules (fail closed).
        """
        self.refresh_if_due()
        if not self._recorded:
            with self._lock:
                if not self._recorded:
                    self.record_in_force()
        return self._policy

    def record_in_force(self) -> bool:
        """Audit POLICY_CHANGE if the set in force is not the last one the log recorded."""
        with self._sessions() as session, session.begin():
            # Two workers starting together record it once: _last_recorded_bundle takes the
            # log's locks, in the order the sequencer does (leadership, then the head).
            last = _last_recorded_bundle(session)
            changed = last != self._policy.bundle_hash
            if changed:
                _record_change(session, last, self._policy)
        self._recorded = True
        return changed

    def refresh_if_due(self) -> None:
        """Cheap enough for every request: looks at the files at most every few seconds."""
        if time.monotonic() - self._checked_at < self._check_seconds:
            return
        if not self._lock.acquire(blocking=False):
            return  # another thread is checking; the set in force serves meanwhile
        try:
            self._checked_at = time.monotonic()
            signature = self._files_signature()
            if signature != self._signature:
                self._reload(signature)
        finally:
            self._lock.release()

    def reload(self) -> bool:
        """Reload now; True if a new set was put in force."""
        with self._lock:
            self._checked_at = time.monotonic()
            return self._reload(self._files_signature())

    def _reload(self, signature: tuple[tuple[str, int, int], ...]) -> bool:
        try:
            policy = PolicySet.load(self.directory)
        except PolicyLoadError as exc:
            if self.refusal is None or self.refusal.files_signature != signature:
                problems = tuple(str(p) for p in exc.problems)
                self.refusal = Refusal(signature, problems)
                log.error(
                    "policy change refused, keeping bundle %s: %s",
                    self._policy.bundle_hash[:12],
                    "; ".join(problems),
                )
            return False
        self._signature, self.refusal = signature, None
        if policy.bundle_hash == self._policy.bundle_hash:
            return False  # files touched, rules the same
        with self._sessions() as session, session.begin():
            _record_change(session, self._policy.bundle_hash, policy)
        # Only after the change is in the log: no decision under a set the trail never saw.
        self._policy = policy
        log.info("policy bundle %s in force", policy.bundle_hash[:12])
        return True

    def _files_signature(self) -> tuple[tuple[str, int, int], ...]:
        # Names, sizes and modification times: a change to any rule file changes it.
        paths = [self.directory / "schema.yaml", *sorted((self.directory / "rules").glob("*"))]
        signature = []
        for path in paths:
            try:
                stat = path.stat()
            except FileNotFoundError:
                continue
            signature.append((path.name, stat.st_size, stat.st_mtime_ns))
        return tuple(signature)


def _last_recorded_bundle(session: Session) -> str | None:
    # Sequencing, then holding the log's lock to the end of this transaction: processes
    # starting together record a changed bundle once, not once each.
    sequence(session)
    take_append_lock(session)
    canonical = session.scalar(
        select(AuditRecord.canonical)
        .where(
            AuditRecord.actor_agency_id == str(HUB_ITSELF),
            AuditRecord.operation == AuditOperation.POLICY_CHANGE,
        )
        .order_by(AuditRecord.seq.desc())
        .limit(1)
    )
    if canonical is None:
        return None
    bundle = json.loads(canonical).get("policy_bundle")
    return bundle if isinstance(bundle, str) else None


def _record_change(session: Session, previous: str | None, policy: PolicySet) -> None:
    record(
        session,
        AuditEntry(
            operation=AuditOperation.POLICY_CHANGE,
            actor=hub_actor(),
            record_type="policy_bundle",
            record_ids=(policy.bundle_hash,),
            policy_bundle_hash=policy.bundle_hash,
            extra={"previous_bundle_hash": previous or "", "rules": str(len(policy.rules))},
        ),
    )
