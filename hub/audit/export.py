"""Self-contained exports of the audit log, and verification from the database or a file.

An export holds every entry (canonical bytes and stored leaf hash), every checkpoint and the
public keys. Anyone holding the hub's public key can check it offline; the keys inside the
file are a convenience and are never trusted on their own when a key is given.
"""

from __future__ import annotations

import binascii
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.audit.checkpoint import (
    Checkpoint,
    CheckpointFormatError,
    KeyFormatError,
    load_public_key,
    make_keyring,
    public_key_base64,
)
from hub.audit.verify import Entry, Verdict, verify_log
from hub.models.audit import AuditCheckpoint, AuditRecord, AuditSigningKey

FORMAT = "mappa-hub-audit-export/v1"


class ExportError(ValueError):
    """The export file is unreadable or malformed; the message says where."""


@dataclass(frozen=True)
class LogSnapshot:
    entries: list[Entry]
    checkpoints: list[Checkpoint]
    public_keys: list[Ed25519PublicKey]


def snapshot(session: Session) -> LogSnapshot:
    entries = [
        Entry(seq, canonical.encode(), leaf)
        for seq, canonical, leaf in session.execute(
            select(AuditRecord.seq, AuditRecord.canonical, AuditRecord.leaf_hash).order_by(
                AuditRecord.seq
            )
        )
    ]
    checkpoints = [
        Checkpoint(
            origin=row.origin,
            tree_size=row.tree_size,
            root_hash=row.root_hash,
            timestamp=row.signed_at,
            key_id=row.key_id,
            signature=row.signature,
        )
        for row in session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.tree_size))
    ]
    keys = [load_public_key(k) for k in session.scalars(select(AuditSigningKey.public_key))]
    return LogSnapshot(entries, checkpoints, keys)


def verify(snap: LogSnapshot, trusted: list[Ed25519PublicKey] | None = None) -> Verdict:
    """Verify against `trusted` keys when given, else against the keys the log carries."""
    return verify_log(snap.entries, snap.checkpoints, make_keyring(trusted or snap.public_keys))


def write_export(snap: LogSnapshot, path: Path) -> None:
    document = {
        "format": FORMAT,
        "entries": [
            {"seq": e.seq, "canonical": e.canonical.decode(), "leaf_hash": e.leaf_hash.hex()}
            for e in snap.entries
        ],
        "checkpoints": [c.to_dict() for c in snap.checkpoints],
        "public_keys": [public_key_base64(k) for k in snap.public_keys],
    }
    path.write_text(json.dumps(document, separators=(",", ":")))


def read_export(path: Path) -> LogSnapshot:
    try:
        document: Any = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ExportError(f"{path}: no such file") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ExportError(f"{path}: not a complete JSON export ({exc})") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ExportError(f"{path}: not a {FORMAT} file")
    try:
        entries = [_entry(raw, i) for i, raw in enumerate(document["entries"])]
        checkpoints = [Checkpoint.from_dict(raw) for raw in document["checkpoints"]]
        keys = [load_public_key(k) for k in document.get("public_keys", [])]
    except KeyError as exc:
        raise ExportError(f"{path}: missing field {exc}") from None
    except (CheckpointFormatError, KeyFormatError) as exc:
        raise ExportError(f"{path}: {exc}") from None
    return LogSnapshot(entries, checkpoints, keys)


def _entry(raw: Any, index: int) -> Entry:
    try:
        return Entry(
            int(raw["seq"]), str(raw["canonical"]).encode(), bytes.fromhex(raw["leaf_hash"])
        )
    except (KeyError, TypeError, ValueError, binascii.Error) as exc:
        raise ExportError(f"entries[{index}] is malformed ({exc})") from None
