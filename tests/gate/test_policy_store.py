"""The running hub's policy set: last good set kept, changes audited as POLICY_CHANGE (issue 4)."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from hub.gate.policies import PolicyStore
from hub.models import AuditRecord
from hub.policy import PolicyLoadError
from hub.vocabulary import AuditOperation
from tests.gate.conftest import POLICIES
from tests.helpers import savepoint_sessions


@pytest.fixture
def policies(tmp_path: Path) -> Path:
    root = tmp_path / "policies"
    shutil.copytree(POLICIES, root)
    return root


@pytest.fixture
def sessions(session: Session) -> sessionmaker[Session]:
    # The store commits its entries; here they are savepoints of the test's transaction.
    return savepoint_sessions(session)


def _policy_changes(session: Session) -> list[dict[str, object]]:
    rows = session.scalars(
        select(AuditRecord.canonical)
        .where(AuditRecord.operation == AuditOperation.POLICY_CHANGE)
        .order_by(AuditRecord.seq)
    )
    return [json.loads(row) for row in rows]


def _edit_description(root: Path) -> None:
    path = root / "rules" / "cosa.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("COSA support\n", "COSA support only\n", 1), encoding="utf-8")


def test_the_set_in_force_is_recorded_once(
    policies: Path, sessions: sessionmaker[Session], session: Session
) -> None:
    before = len(_policy_changes(session))
    store = PolicyStore(policies, sessions)
    assert store.in_force() is store.current
    assert store.in_force() is store.current
    changes = _policy_changes(session)[before:]
    assert [c["policy_bundle"] for c in changes] == [store.current.bundle_hash]
    # A second process starting with the same files adds nothing to the log.
    assert PolicyStore(policies, sessions).record_in_force() is False
    assert len(_policy_changes(session)) == before + 1


def test_a_changed_rule_file_is_put_in_force_and_audited(
    policies: Path, sessions: sessionmaker[Session], session: Session
) -> None:
    store = PolicyStore(policies, sessions, check_seconds=0)
    old = store.in_force().bundle_hash
    _edit_description(policies)
    new = store.in_force().bundle_hash
    assert new != old
    last = _policy_changes(session)[-1]
    assert last["policy_bundle"] == new
    assert last["extra"] == {"previous_bundle_hash": old, "rules": str(len(store.current.rules))}
    assert last["operation"] == "POLICY_CHANGE"


def test_a_malformed_policy_keeps_the_last_good_set_and_names_the_place(
    policies: Path,
    sessions: sessionmaker[Session],
    session: Session,
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = PolicyStore(policies, sessions, check_seconds=0)
    good = store.in_force()
    recorded = len(_policy_changes(session))
    path = policies / "rules" / "cosa.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("value: COSA_SUPPORT", "value: COSA_SUPORT"),
        encoding="utf-8",
    )
    with caplog.at_level(logging.ERROR, logger="hub.policy"):
        assert store.in_force() is good  # still deciding under the last good set
    assert store.refusal is not None
    problem = " ".join(store.refusal.problems)
    assert "cosa.yaml" in problem
    assert "R-51-cosa-read-circle-profile" in problem
    assert "COSA_SUPORT" in problem
    assert "policy change refused" in caplog.text
    assert len(_policy_changes(session)) == recorded  # nothing recorded for a set never loaded

    # Fixing the file puts the fixed set in force and clears the refusal.
    path.write_text(
        path.read_text(encoding="utf-8").replace("COSA_SUPORT", "COSA_SUPPORT"), encoding="utf-8"
    )
    _edit_description(policies)
    assert store.in_force() is not good
    assert store.refusal is None
    assert len(_policy_changes(session)) == recorded + 1


def test_files_are_looked_at_only_every_few_seconds(
    policies: Path, sessions: sessionmaker[Session]
) -> None:
    store = PolicyStore(policies, sessions, check_seconds=3600)
    first = store.in_force()
    _edit_description(policies)
    assert store.in_force() is first  # not yet due
    assert store.reload() is True  # an explicit reload does not wait
    assert store.current is not first


def test_start_up_with_a_malformed_policy_fails_closed(
    policies: Path, sessions: sessionmaker[Session]
) -> None:
    (policies / "rules" / "broken.yaml").write_text("rules: [{id: X}]\n", encoding="utf-8")
    with pytest.raises(PolicyLoadError, match=r"broken\.yaml"):
        PolicyStore(policies, sessions)
