"""`hub audit ...`: keys, checkpoints, proofs, verification and export of the audit log."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from sqlalchemy.orm import Session

from hub.audit import keys
from hub.audit.checkpoint import load_public_key
from hub.audit.checkpoints import latest_checkpoint, write_checkpoint
from hub.audit.export import ExportError, read_export, snapshot, verify, write_export
from hub.audit.merkle import MerkleTree
from hub.errors import HubError
from hub.settings import Settings


@click.group(help="The tamper-evident audit trail (DPA 2018 s.62).")
def audit() -> None:
    pass


@contextmanager
def _session(*, write: bool) -> Iterator[Session]:
    from hub.db import make_engine, make_sessionmaker

    engine = make_engine(Settings.from_env().database_url)
    try:
        sessions = make_sessionmaker(engine)
        with sessions.begin() if write else sessions() as session:
            yield session
    finally:
        engine.dispose()


@audit.command("keygen", help="Create the checkpoint signing key (once, at set-up).")
@click.option("--if-missing", is_flag=True, help="Do nothing if a key already exists.")
def keygen(if_missing: bool) -> None:
    path = Settings.from_env().signing_key_path
    if if_missing and path.exists():
        click.echo(f"audit signing key already at {path}")
        return
    kid = keys.generate(path)
    click.echo(
        f"audit signing key {kid} written to {path}; public key in {path.with_suffix('.pub')}"
    )


@audit.command("rotate-key", help="Sign future checkpoints with a new key; old ones still verify.")
def rotate_key() -> None:
    from hub.actor import hub_actor
    from hub.audit import AuditEntry, record
    from hub.vocabulary import AuditOperation

    settings = Settings.from_env()
    old, new = keys.rotate(settings.signing_key_path)
    with _session(write=True) as session:
        record(
            session,
            AuditEntry(
                operation=AuditOperation.KEY_ROTATION,
                actor=hub_actor(),
                record_type="audit_key",
                record_ids=(new,),
                extra={"retired_key": old},
            ),
        )
        write_checkpoint(session, keys.load(settings.signing_key_path), settings.audit_origin)
    click.echo(f"checkpoint signing key rotated: {old} retired, {new} in use")


@audit.command("checkpoint", help="Sign a checkpoint over the log as it stands now.")
def checkpoint() -> None:
    settings = Settings.from_env()
    signer = keys.load(settings.signing_key_path)
    with _session(write=True) as session:
        row = write_checkpoint(session, signer, settings.audit_origin)
        size = row.tree_size if row else None
    click.echo(f"checkpoint signed at tree size {size}" if size else "no new entries to sign")


@audit.command("verify", help="Recompute the tree and check every checkpoint signature.")
@click.option(
    "--from-export",
    "export",
    type=click.Path(path_type=Path),
    default=None,
    help="Verify an export file offline instead of the database.",
)
@click.option(
    "--public-key",
    "public_key",
    default=None,
    help="Trusted public key (file or base64). Required with --from-export.",
)
def verify_command(export: Path | None, public_key: str | None) -> None:
    trusted = None
    if public_key:
        try:
            trusted = [load_public_key(public_key)]
        except ValueError as exc:
            raise HubError(f"--public-key: {exc}") from None
    if export is not None:
        if trusted is None:
            raise click.UsageError("--from-export needs --public-key: trust no key from the file")
        try:
            snap = read_export(export)
        except ExportError as exc:
            raise HubError(f"export unreadable: {exc}") from None
    else:
        with _session(write=False) as session:
            snap = snapshot(session)
    verdict = verify(snap, trusted)
    click.echo(("VALID: " if verdict.ok else "INVALID: ") + verdict.message)
    if not verdict.ok:
        sys.exit(1)


@audit.command("export", help="Write entries, checkpoints and public keys to FILE.")
@click.argument("file", type=click.Path(path_type=Path))
def export_command(file: Path) -> None:
    with _session(write=False) as session:
        snap = snapshot(session)
    write_export(snap, file)
    click.echo(f"exported {len(snap.entries)} entries and {len(snap.checkpoints)} checkpoints")


@audit.command("prove", help="Inclusion proof of entry SEQ in the latest checkpoint.")
@click.argument("seq", type=click.IntRange(min=0))
def prove(seq: int) -> None:
    with _session(write=False) as session:
        head = latest_checkpoint(session)
        snap = snapshot(session)
    if head is None or seq >= head.tree_size:
        raise HubError(
            f"entry {seq} is not covered by a checkpoint yet; run `hub audit checkpoint`"
        )
    tree = MerkleTree(e.leaf_hash for e in snap.entries[: head.tree_size])
    click.echo(f"entry {seq} in tree of size {head.tree_size}, root {head.root_hash.hex()}")
    for node in tree.inclusion_proof(seq, head.tree_size):
        click.echo(node.hex())


@audit.command("consistency", help="Consistency proof between two checkpointed sizes.")
@click.argument("old_size", type=click.IntRange(min=0))
@click.argument("new_size", type=click.IntRange(min=0))
def consistency(old_size: int, new_size: int) -> None:
    with _session(write=False) as session:
        snap = snapshot(session)
    sizes = {c.tree_size for c in snap.checkpoints}
    for size in (old_size, new_size):
        if size not in sizes:
            raise HubError(f"no checkpoint at size {size}; checkpoints: {sorted(sizes)[-5:]}")
    tree = MerkleTree(e.leaf_hash for e in snap.entries[:new_size])
    for node in tree.consistency_proof(old_size, new_size):
        click.echo(node.hex())
