"""`hub audit ...`: keys, checkpoints, proofs, verification and export of the audit log."""

from __future__ import annotations

import json
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub.actor import hub_actor
from hub.audit import AuditEntry, keys, record
from hub.audit.checkpoint import load_public_key
from hub.audit.checkpoints import latest_checkpoint, write_checkpoint
from hub.audit.export import ExportError, read_export, snapshot, verify, write_export
from hub.audit.merkle import MerkleTree
from hub.audit.reports import AccessRow
from hub.errors import HubError
from hub.models.audit import AuditQueued
from hub.settings import Settings
from hub.vocabulary import AuditOperation


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


@audit.command("sequence", help="Put every appended entry still queued into the log.")
def sequence_command() -> None:
    from hub.audit.sequencer import sequence

    # Appends are sequenced moments after they commit; entries stay queued only if a process
    # stopped between its commit and sequencing. Any later append takes them too; this is for
    # operators who want them in the log now (before `verify` or `export`, say).
    with _session(write=True) as session:
        moved = sequence(session)
    click.echo(f"{moved} queued entries sequenced" if moved else "nothing was queued")


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
    queued = 0
    if export is None:
        with _session(write=False) as session:
            snap = snapshot(session)
            queued = session.scalar(select(func.count()).select_from(AuditQueued)) or 0
    verdict = verify(snap, trusted)
    click.echo(("VALID: " if verdict.ok else "INVALID: ") + verdict.message)
    if queued:
        # Not a failure: these entries are stored, but not yet in the tree verified above.
        click.echo(f"note: {queued} appended entries are queued; `hub audit sequence` adds them")
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


@audit.command(
    "accesses",
    help="Who consulted or was given what: about a person or case, or an agency's items.",
)
@click.option("--person", "person_id", type=click.UUID, help="The subject person's id.")
@click.option("--case", "case_id", type=click.UUID, help="The MAPPA case's id.")
@click.option(
    "--owning-agency",
    "agency_id",
    type=click.UUID,
    help="Accesses by other agencies to the items this agency owns.",
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
def accesses(
    person_id: uuid.UUID | None,
    case_id: uuid.UUID | None,
    agency_id: uuid.UUID | None,
    as_json: bool,
) -> None:
    from hub.audit.reports import accesses_to_agency_items, accesses_to_subject

    if agency_id is not None and (person_id or case_id):
        raise click.UsageError("give --owning-agency alone, or --person and/or --case")
    if agency_id is None and person_id is None and case_id is None:
        raise click.UsageError("give --person, --case or --owning-agency")
    with _session(write=True) as session:
        if agency_id is not None:
            rows = [r.access for r in accesses_to_agency_items(session, agency_id)]
        else:
            rows = accesses_to_subject(session, person_id=person_id, case_id=case_id)
        # Reading who accessed a person is itself a consultation about that person (s.62).
        record(
            session,
            AuditEntry(
                operation=AuditOperation.CONSULT,
                actor=hub_actor("AUDIT_OVERSIGHT"),
                record_type="audit_report",
                record_ids=tuple(str(i) for i in (person_id, case_id, agency_id) if i),
                subject_person_id=person_id,
                case_id=case_id,
                fields_returned=_REPORT_FIELDS,
            ),
        )
    for row in rows:
        click.echo(json.dumps(_report_line(row)) if as_json else _report_text(row))
    if not as_json:
        click.echo(f"{len(rows)} access(es)")


_REPORT_FIELDS = ("time", "operation", "actor", "purpose", "fields_returned", "recipients")


def _report_line(row: AccessRow) -> dict[str, object]:
    return {
        "seq": row.seq,
        "time": row.time.isoformat(),
        "operation": row.operation.value,
        "agency": str(row.actor_agency_id),
        "user": str(row.actor_user_id) if row.actor_user_id else None,
        "roles": list(row.actor_roles),
        "client": row.actor_client,
        "on_behalf_of": row.actor_on_behalf_of,
        "purpose": row.purpose,
        "justification": row.justification,
        "case": str(row.case_id) if row.case_id else None,
        "record_type": row.record_type,
        "record_ids": list(row.record_ids),
        "fields_returned": list(row.fields_returned),
        "fields_withheld": list(row.fields_withheld),
        "recipients": list(row.recipients),
        "outcome": row.outcome,
    }


def _report_text(row: AccessRow) -> str:
    who = row.actor_user_id or row.actor_client or "-"
    fields = ",".join(row.fields_returned) or "-"
    to = f" to {','.join(row.recipients)}" if row.recipients else ""
    return (
        f"{row.time:%Y-%m-%d %H:%M:%S}Z #{row.seq} {row.operation.value:<11} "
        f"agency {row.actor_agency_id} by {who} purpose {row.purpose or '-'} "
        f"{row.record_type} fields {fields}{to}"
    )
