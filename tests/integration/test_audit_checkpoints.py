"""Signed checkpoints: written every N entries at commit, extend incrementally, verify."""

from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from hub.audit import keys
from hub.audit.checkpoint import generate_signing_key
from hub.audit.checkpoints import CheckpointPolicy, install, write_checkpoint
from hub.audit.export import read_export, snapshot, verify, write_export
from hub.audit.merkle import root
from hub.demo.agencies import create_organisation
from hub.models import AuditCheckpoint, AuditRecord
from tests.helpers import new_case, savepoint_sessions

ORIGIN = "mappa-hub/Test Area"


def test_checkpoint_signs_the_log_as_it_stands(session: Session) -> None:
    signer = generate_signing_key()
    org = create_organisation(session, "Test Area")
    first = write_checkpoint(session, signer, ORIGIN)
    new_case(session, org)
    second = write_checkpoint(session, signer, ORIGIN)
    assert first is not None
    assert second is not None
    leaves = list(session.scalars(select(AuditRecord.leaf_hash).order_by(AuditRecord.seq)))
    assert second.tree_size == len(leaves) > first.tree_size
    assert second.root_hash == root(leaves)  # the incremental frontier agrees with a rebuild
    assert write_checkpoint(session, signer, ORIGIN) is None  # nothing new, nothing signed
    verdict = verify(snapshot(session), [signer.public_key()])
    assert verdict.ok, verdict.message


def test_checkpoints_are_written_every_n_entries_at_commit(session: Session) -> None:
    factory = savepoint_sessions(session)
    install(
        factory,
        CheckpointPolicy(generate_signing_key(), ORIGIN, every_entries=20, every_seconds=3600),
    )
    with factory() as writer:
        org = create_organisation(writer, "Test Area")  # 13 agencies + 22 users = 35 entries
        writer.commit()
        for _ in range(3):
            new_case(writer, org)
            writer.commit()
    sizes = list(session.scalars(select(AuditCheckpoint.tree_size)))
    entries = session.scalar(select(AuditRecord.seq).order_by(AuditRecord.seq.desc()).limit(1))
    assert sizes, "no checkpoint was written"
    assert entries is not None
    assert entries + 1 - max(sizes) < 20


def test_rotated_keys_keep_old_checkpoints_verifiable(session: Session, tmp_path: Path) -> None:
    path = tmp_path / "audit-signing.pem"
    keys.generate(path)
    org = create_organisation(session, "Test Area")
    write_checkpoint(session, keys.load(path), ORIGIN)
    old_public = keys.load(path).public_key()
    keys.rotate(path)
    new_case(session, org)
    write_checkpoint(session, keys.load(path), ORIGIN)
    assert not path.with_suffix(".new").exists()
    assert (tmp_path / "retired").is_dir()
    assert verify(snapshot(session), [old_public, keys.load(path).public_key()]).ok
    assert verify(snapshot(session)).ok  # the keys registered in the database


def test_export_round_trip_and_empty_log(session: Session, tmp_path: Path) -> None:
    empty = verify(snapshot(session))
    assert empty.ok
    signer = generate_signing_key()
    create_organisation(session, "Test Area")
    write_checkpoint(session, signer, ORIGIN)
    write_export(snapshot(session), tmp_path / "log.json")
    assert verify(read_export(tmp_path / "log.json"), [signer.public_key()]).ok


def test_checkpoints_are_append_only(session: Session) -> None:
    create_organisation(session, "Test Area")
    write_checkpoint(session, generate_signing_key(), ORIGIN)
    with pytest.raises(DBAPIError, match="append-only"), session.begin_nested():
        session.execute(AuditCheckpoint.__table__.delete())


def test_signing_key_errors_are_clear(tmp_path: Path) -> None:
    with pytest.raises(keys.SigningKeyError, match="hub audit keygen"):
        keys.load(tmp_path / "missing.pem")
    (tmp_path / "junk.pem").write_text("not a key")
    with pytest.raises(keys.SigningKeyError, match="not an Ed25519 private key"):
        keys.load(tmp_path / "junk.pem")
    keys.generate(tmp_path / "k.pem")
    with pytest.raises(keys.SigningKeyError, match="already exists"):
        keys.generate(tmp_path / "k.pem")
