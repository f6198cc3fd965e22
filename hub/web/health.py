"""Liveness and readiness for load balancers and orchestrators."""

from __future__ import annotations

import logging

from alembic.runtime.migration import MigrationContext
from flask import Blueprint, Response, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from hub import crypto
from hub.app import db_session, policies
from hub.migrations import head_revision

health = Blueprint("health", __name__)
log = logging.getLogger("hub.health")


@health.get("/healthz")
def healthz() -> Response:
    """The process is up. Says nothing about the database, on purpose."""
    return jsonify(status="ok")


@health.get("/readyz")
def readyz() -> tuple[Response, int]:
    """Ready only when the database answers and its schema is at the code's head revision."""
    head = head_revision()
    try:
        connection = db_session().connection()
        connection.execute(text("SELECT 1"))
        current = MigrationContext.configure(connection).get_current_revision()
    except SQLAlchemyError as exc:
        log.warning("database unreachable: %s", type(exc).__name__)
        return jsonify(status="unavailable", database="unreachable"), 503
    if current != head:
        return jsonify(
            status="unavailable",
            database="reachable",
            migrations={"current": current, "head": head},
            detail="run `hub db upgrade`",
        ), 503
    keys = _field_keys()
    if keys != "loaded":
        return jsonify(
            status="unavailable",
            database="reachable",
            migrations={"current": current},
            keys=keys,
            detail="the field-encryption keys cannot be loaded: see the log and `hub keys list`",
        ), 503
    store = policies()
    policy = {"bundle_hash": store.current.bundle_hash, "change_refused": store.refusal is not None}
    return jsonify(
        status="ready",
        database="reachable",
        migrations={"current": current},
        keys=keys,
        policy=policy,
    ), 200


def _field_keys() -> str:
    """A server that cannot open sealed fields cannot serve a case: not ready (fail closed)."""
    keyring = crypto.installed()
    if keyring is None:
        return "not configured"
    try:
        _ = keyring.key_set  # loads them if start-up could not reach the database
    except crypto.KeyringError as exc:
        log.warning("field-encryption keys unavailable: %s", type(exc).__name__)
        return "unavailable"
    return "loaded"
