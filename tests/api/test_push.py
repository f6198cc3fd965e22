"""POST /api/v1/connectors/{name}/messages: the push path of the ingest pipeline (issue 7).

A message counts as accepted only once it is stored with its COLLECT entry and its receipt;
the same Idempotency-Key or source reference never makes a second record; a bad message is
answered with problem+json naming every failing field, and kept as a dead letter.
"""

from __future__ import annotations

import base64
import contextlib
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Connection, func, select
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from hub.audit.sequencer import sequence_now
from hub.db import make_engine, make_sessionmaker
from hub.ingest.models import DeadLetter, IngestReceipt
from hub.models import AuditRecord, Person
from tests.api.conftest import TokenFor
from tests.connectors.messages import nominal
from tests.helpers import statements_sent

PUSH = "/api/v1/connectors/police/messages"


def _push(
    client: FlaskClient, token: str, body: Any, key: str | None = "k-1", path: str = PUSH
) -> TestResponse:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    if key is not None:
        headers["Idempotency-Key"] = key
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return client.post(path, data=data, headers=headers)


def _count(session: Session, model: type[Any]) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_a_pushed_message_is_stored_with_its_collect_entry_and_answered_202(
    session: Session, client: FlaskClient, token_for: TokenFor
) -> None:
    token = token_for("DEMO-POL", scopes="ingest:write")
    response = _push(client, token, nominal("NOM-P1", pnc="2001/0000001A"))
    assert response.status_code == 202, response.json
    body = response.json
    assert body is not None
    assert body["status"] == "ACCEPTED"
    receipt = session.get_one(IngestReceipt, uuid.UUID(body["receipt_id"]))
    assert receipt.source_reference == "NOM-P1"
    assert receipt.idempotency_key == "k-1"
    assert receipt.subject_person_id is not None
    assert session.get(Person, receipt.subject_person_id) is not None
    entries = session.scalars(
        select(AuditRecord.canonical).where(AuditRecord.operation == "COLLECT")
    ).all()
    assert any(str(receipt.id) in entry for entry in entries)


def test_the_same_key_again_gets_the_same_receipt_and_writes_nothing(
    session: Session, client: FlaskClient, token_for: TokenFor
) -> None:
    token = token_for("DEMO-POL", scopes="ingest:write")
    message = nominal("NOM-P2", pnc="2001/0000002B")
    first = _push(client, token, message, key="same-key")
    again = _push(client, token, message, key="same-key")
    assert first.status_code == again.status_code == 202
    assert first.json is not None
    assert again.json is not None
    assert again.json["receipt_id"] == first.json["receipt_id"]
    assert again.json["status"] == "DUPLICATE"
    assert again.headers["Idempotent-Replayed"] == "true"
    # The same source reference under another key is the same message too.
    other = _push(client, token, message, key="another-key")
    assert other.json is not None
    assert other.json["receipt_id"] == first.json["receipt_id"]
    assert _count(session, IngestReceipt) == 1


def test_the_same_key_with_another_message_is_refused_naming_the_header(
    session: Session, client: FlaskClient, token_for: TokenFor
) -> None:
    token = token_for("DEMO-POL", scopes="ingest:write")
    assert _push(client, token, nominal("NOM-P3", pnc="2001/0000003C"), key="k").status_code == 202
    response = _push(client, token, nominal("NOM-P4", pnc="2001/0000004D"), key="k")
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert response.json is not None
    assert response.json["errors"][0]["field"] == "headers.Idempotency-Key"
    assert _count(session, IngestReceipt) == 1


def test_without_an_idempotency_key_nothing_is_taken(
    session: Session, client: FlaskClient, token_for: TokenFor
) -> None:
    token = token_for("DEMO-POL", scopes="ingest:write")
    for key in (None, "has space"):
        response = _push(client, token, nominal("NOM-P5"), key=key)
        assert response.status_code == 400
        assert response.json is not None
        assert response.json["errors"][0]["field"] == "headers.Idempotency-Key"
    assert _count(session, IngestReceipt) == 0
    assert _count(session, DeadLetter) == 0


def test_an_invalid_message_lists_every_failing_field_and_is_dead_lettered(
    session: Session, client: FlaskClient, token_for: TokenFor
) -> None:
    token = token_for("DEMO-POL", scopes="ingest:write")
    message = nominal("NOM-P6", date_of_birth="14/03/1979")
    del message["pnc_id"]
    message["names"][0]["family"] = ""
    response = _push(client, token, message, key="bad-1")
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert response.json is not None
    paths = {e["field"] for e in response.json["errors"]}
    assert {"pnc_id", "date_of_birth", "names[0].family"} <= paths
    assert _count(session, IngestReceipt) == 0
    letter = session.scalars(select(DeadLetter)).one()
    assert letter.stage == "validate"
    assert letter.idempotency_key == "bad-1"
    not_json = _push(client, token, b"{not json", key="bad-2")
    assert not_json.status_code == 422
    assert not_json.json is not None
    assert not_json.json["errors"][0]["field"] == "message"


def test_only_a_token_of_a_sending_agency_with_the_scope_may_push(
    session: Session, client: FlaskClient, token_for: TokenFor
) -> None:
    message = nominal("NOM-P7", pnc="2001/0000007G")
    no_scope = token_for("DEMO-POL", scopes="cases:read")
    probation = token_for("DEMO-PRB", scopes="ingest:write")
    police = token_for("DEMO-POL", scopes="ingest:write")
    assert _push(client, "", message).status_code in (400, 401)
    assert _push(client, no_scope, message).status_code == 403
    refused = _push(client, probation, message)
    assert refused.status_code == 403
    assert refused.json is not None
    assert refused.json["type"].endswith("wrong-sender")
    unknown = _push(client, police, message, path="/api/v1/connectors/nosuch/messages")
    assert unknown.status_code == 404
    assert _count(session, IngestReceipt) == 0


# -- crash recovery: kill -9 the real server during 1,000 pushes ------------------------------

CRASH_MESSAGES = 1000
CRASH_SENDERS = 4


def _hub(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "hub.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, f"hub {' '.join(args)}: {done.stderr}"
    return done.stdout


def _serve(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    # Its own session, so that the gunicorn master and its workers can be killed together.
    return subprocess.Popen(
        [sys.executable, "-m", "hub.cli", "serve", "--bind", f"127.0.0.1:{port}"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def _ready(base: str) -> None:
    deadline = time.monotonic() + 90
    while True:
        try:
            with urllib.request.urlopen(base + "/readyz", timeout=2):
                return
        except OSError:
            assert time.monotonic() < deadline, "the hub never became ready"
            time.sleep(0.3)


def _access_token(base: str, client_id: str, secret: str) -> str:
    pair = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    request = urllib.request.Request(
        base + "/oauth/token",
        data=b"grant_type=client_credentials",
        headers={"Authorization": f"Basic {pair}"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return str(json.load(response)["access_token"])


def crash_message(n: int) -> tuple[str, bytes]:
    """The n-th synthetic nominal: its own reference, PNC id and Idempotency-Key."""
    body = nominal(f"CRASH-{n:05d}", pnc=f"2010/{n:07d}K")
    return f"crash-key-{n:05d}", json.dumps(body).encode()


def _sender(
    port: int, token: str, numbers: list[int], told: dict[int, str], deadline: float
) -> None:
    """Push each message until the hub says 202, retrying on any failure, as a real sender
    would: a dropped connection or a 5xx means "not known to be stored, send it again"."""
    connection: http.client.HTTPConnection | None = None
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    for n in numbers:
        key, body = crash_message(n)
        while time.monotonic() < deadline:
            try:
                connection = connection or http.client.HTTPConnection("127.0.0.1", port, timeout=20)
                connection.request(
                    "POST", PUSH, body=body, headers={**headers, "Idempotency-Key": key}
                )
                response = connection.getresponse()
                answer = response.read()
            except (OSError, http.client.HTTPException):
                if connection is not None:
                    connection.close()
                connection = None
                time.sleep(0.2)
                continue
            if response.status == 202:
                told[n] = json.loads(answer)["receipt_id"]
                break
            assert response.status >= 500, (response.status, answer[:200])
            time.sleep(0.2)
    if connection is not None:
        connection.close()


@pytest.mark.postgres_only
def test_kill_9_during_1000_pushes_loses_and_duplicates_nothing(
    scratch_database_url: str, is_postgres: bool, tmp_path: Path
) -> None:
    """Exactly once across a crash: every message the hub answered 202 is stored once, and
    every message is stored once after the senders' retries (issue 7, crash recovery)."""
    if not is_postgres:
        pytest.skip("needs PostgreSQL: the crash test runs the production server")
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    base = f"http://127.0.0.1:{port}"
    env.update(
        HUB_DATABASE_URL=scratch_database_url,
        HUB_INSTANCE_PATH=str(tmp_path),
        HUB_OAUTH_ISSUER=base,
        HUB_LOG_LEVEL="WARNING",
        HUB_WORKERS="2",
        HUB_API_RATE_LIMIT="100000/minute",
    )
    _hub(env, "audit", "keygen")
    _hub(env, "db", "upgrade")
    _hub(env, "demo", "load", "--count", "1")
    created = _hub(
        env, "clients", "create", "DEMO-POL", "--name", "crash sender",
        "--auth-method", "client_secret_basic", "--scopes", "ingest:write",
    )  # fmt: skip
    client_id = re.search(r"^client_id: (\S+)$", created, re.MULTILINE)
    secret = re.search(r"^client_secret: (\S+)$", created, re.MULTILINE)
    assert client_id is not None
    assert secret is not None

    server = _serve(env, port)
    told: dict[int, str] = {}
    try:
        _ready(base)
        token = _access_token(base, client_id[1], secret[1])
        deadline = time.monotonic() + 600
        senders = [
            threading.Thread(
                target=_sender,
                args=(port, token, list(range(i, CRASH_MESSAGES, CRASH_SENDERS)), told, deadline),
            )
            for i in range(CRASH_SENDERS)
        ]
        for sender in senders:
            sender.start()
        while len(told) < CRASH_MESSAGES * 3 // 10:  # part-way: about 300 accepted
            time.sleep(0.01)
        os.killpg(server.pid, signal.SIGKILL)  # the master and every worker, mid-request
        server.wait()
        accepted_before_crash = len(told)
        time.sleep(1)
        server = _serve(env, port)
        for sender in senders:
            sender.join()
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGKILL)
        server.wait()

    assert accepted_before_crash < CRASH_MESSAGES
    assert len(told) == CRASH_MESSAGES  # every sender got its 202 in the end
    engine = make_engine(scratch_database_url)
    try:
        # The server was killed at the end too: entries it committed but had not yet
        # sequenced wait in the queue for the next sequencing anywhere, which this is.
        sequence_now(make_sessionmaker(engine))
        with engine.connect() as connection:
            stored = dict(
                connection.execute(
                    select(IngestReceipt.source_reference, IngestReceipt.id).where(
                        IngestReceipt.source_reference.like("CRASH-%")
                    )
                ).all()
            )
            collected = [
                json.loads(c)
                for c in connection.scalars(
                    select(AuditRecord.canonical).where(AuditRecord.operation == "COLLECT")
                )
            ]
            people = connection.scalar(
                select(func.count(func.distinct(IngestReceipt.subject_person_id))).where(
                    IngestReceipt.source_reference.like("CRASH-%")
                )
            )
    finally:
        engine.dispose()
    # 0 lost: every receipt a sender was given is stored, under its own message.
    for n, receipt_id in told.items():
        assert str(stored[f"CRASH-{n:05d}"]) == receipt_id
    # 0 duplicated: one receipt, one person and one COLLECT entry per message.
    assert len(stored) == CRASH_MESSAGES
    assert people == CRASH_MESSAGES
    receipt_entries = [
        d for d in collected if d["record_type"] == "ingest_receipt"
        and d["record_ids"][0] in {str(r) for r in stored.values()}
    ]  # fmt: skip
    assert len(receipt_entries) == CRASH_MESSAGES


def test_a_new_persons_nominal_takes_a_handful_of_statements(
    session: Session, client: FlaskClient, token_for: TokenFor
) -> None:
    """A nominal naming nobody is written as `hub import` writes newcomers: one look-up for
    the key, the reference and the identifiers together, one INSERT a table (the person,
    names, identifiers, address, receipt); it took 22 statements a push before. On PostgreSQL the
    INSERTs, the COLLECT entries' with them, leave together in one round trip.
    The audit append is counted apart: its statements are the audit log's own business."""
    token = token_for("DEMO-POL", scopes="ingest:write")
    warm = _push(client, token, nominal("NOM-W1", pnc="2001/0000091W"), key="k-w1")
    assert warm.status_code == 202  # the agency types and the token's client, now in memory
    engine = session.get_bind()
    assert isinstance(engine, Connection)
    with statements_sent(engine.engine) as sent:
        response = _push(client, token, nominal("NOM-W2", pnc="2001/0000092W"), key="k-w2")
    assert response.status_code == 202, response.json
    # The sequencer's leadership lock is the audit log's too.
    audit = [s for s in sent if re.search(r"\baudit_\w+|pg_advisory_xact_lock", s.sql)]
    ours = [s for s in sent if s not in audit]
    writes = [s for s in ours if s.sql.lstrip().upper().startswith("INSERT")]
    tables = [re.findall(r"INSERT INTO \W?(\w+)", s.sql)[0] for s in writes]
    assert tables == ["person", "person_name", "person_identifier", "address", "ingest_receipt"]
    reads = [s for s in ours if s.sql.lstrip().upper().startswith("SELECT")]
    assert len(reads) == 1, [s.sql for s in reads]
    # The test's session adds a SAVEPOINT and its release around the request's transaction.
    assert len(ours) <= 8, [s.sql for s in ours]
    assert audit  # the three COLLECT entries; how the log appends them is hub.audit's
    if engine.dialect.name == "postgresql":
        appended = [s for s in audit if s.sql.lstrip().upper().startswith("INSERT")]
        assert [s.pipelined for s in writes + appended] == [True] * 6
