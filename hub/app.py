"""The application factory: nothing runs at import time."""

from __future__ import annotations

import logging
import re
import time
import uuid
from typing import TYPE_CHECKING, Any

from flask import Flask, Response, g, request
from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker

from hub import logs
from hub.db import make_engine, make_sessionmaker
from hub.settings import Settings

if TYPE_CHECKING:
    from hub.gate.policies import PolicyStore

log = logging.getLogger("hub.request")
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9\-]{8,64}$")


def create_app(
    settings: Settings | None = None, *, session_factory: sessionmaker[Session] | None = None
) -> Flask:
    settings = settings or Settings.from_env()
    app = Flask(__name__, instance_path=str(settings.instance_path))
    app.config["HUB_SETTINGS"] = settings
    logs.configure(settings.log_level)

    engine = None
    if session_factory is None:
        engine = make_engine(settings.database_url)
        session_factory = make_sessionmaker(engine)
    app.extensions["hub.sessions"] = session_factory
    if engine is not None:
        app.extensions["hub.engine"] = engine  # so its owner can dispose of its pool

    _install_checkpointing(settings, session_factory)
    _install_keyring(app, settings, session_factory, engine)
    _install_policies(app, settings, session_factory)
    _install_request_context(app)

    from hub.web.assets import govuk_assets
    from hub.web.case_tabs import case_tabs
    from hub.web.concerns import concerns
    from hub.web.dashboard import dashboard
    from hub.web.health import health
    from hub.web.landing import landing
    from hub.web.workspace import workspace

    app.register_blueprint(health)
    app.register_blueprint(landing)
    app.register_blueprint(govuk_assets)
    app.register_blueprint(workspace)
    app.register_blueprint(dashboard)
    app.register_blueprint(case_tabs)
    app.register_blueprint(concerns)
    from hub.web.circle_pages import circle_pages  # COSA circles: propose, brief (docs/portal.md)

    app.register_blueprint(circle_pages)
    from hub.web.casework import casework  # tasks, visit plans, their dashboard panels

    app.register_blueprint(casework)
    from hub.web.meetings import meetings  # level 2/3 meetings, minutes, actions (docs/meetings.md)

    app.register_blueprint(meetings)

    from hub import oauth

    oauth.install(app, settings, session_factory)  # /oauth/* and /.well-known/* (docs/api.md)

    from hub import api

    api.install(app, settings)  # /api/v1/* (docs/api.md)

    from hub.accounts.web import accounts

    app.register_blueprint(accounts)
    from hub.portal import portal

    app.register_blueprint(portal)  # /portal/*: the COSA coordinators' realm (docs/portal.md)
    return app


def _install_checkpointing(settings: Settings, factory: sessionmaker[Session]) -> None:
    """Sign checkpoints every N entries or T seconds, at commit time (fail closed on no key)."""
    from hub.audit import keys
    from hub.audit.checkpoints import CheckpointPolicy, install

    path = settings.signing_key_path
    if not path.exists() and settings.environment in ("development", "test"):
        log.warning("no audit signing key: checkpoints are not signed automatically")
        return
    policy = CheckpointPolicy(
        signer=keys.load(path),
        origin=settings.audit_origin,
        every_entries=settings.audit_checkpoint_every,
        every_seconds=settings.audit_checkpoint_seconds,
    )
    install(factory, policy)


def _install_keyring(
    app: Flask, settings: Settings, factory: sessionmaker[Session], engine: Engine | None
) -> None:
    """Load the field-encryption keys: a missing or wrong KEK stops start-up (fail closed)."""
    from hub import crypto
    from hub.crypto import kek, runtime

    if settings.environment in ("development", "test"):
        if crypto.installed() is not None:
            return  # a test or a tool already installed this process's keyring
        if not kek.configured(settings):
            log.warning("no key-encryption key: encrypted fields can be neither read nor written")
            return
    if engine is None:
        bind = factory.kw.get("bind")
        engine = bind.engine if isinstance(bind, Connection) else bind
    if not isinstance(engine, Engine):
        raise crypto.KeyringError("cannot load the keys: the session factory has no engine")
    try:
        keyring = runtime.open_keyring(settings, engine, strict=False)
    except crypto.KeyringError:
        if "hub.engine" in app.extensions:
            app.extensions["hub.engine"].dispose()  # start-up stops: release the pool now
        raise
    crypto.install(keyring)
    app.extensions["hub.keyring"] = keyring


def _install_policies(app: Flask, settings: Settings, factory: sessionmaker[Session]) -> None:
    """The policy set in force; a set that does not load stops start-up (fail closed)."""
    from hub.gate.policies import PolicyStore

    app.extensions["hub.policies"] = PolicyStore(
        settings.policy_path, factory, check_seconds=settings.policy_check_seconds
    )


def policies() -> PolicyStore:
    """The running hub's policy store (hub/gate/policies.py)."""
    from flask import current_app

    store: PolicyStore = current_app.extensions["hub.policies"]
    return store


def db_session() -> Session:
    """The request's session, opened on first use and closed when the request ends."""
    if "db" not in g:
        from flask import current_app

        g.db = current_app.extensions["hub.sessions"]()
    session: Session = g.db
    return session


def _install_request_context(app: Flask) -> None:
    @app.before_request
    def _start() -> None:
        given = request.headers.get("X-Request-ID", "")
        cid = given if _SAFE_REQUEST_ID.match(given) else uuid.uuid4().hex
        g.correlation_id = cid
        g.started = time.perf_counter()
        logs.correlation_id.set(cid)

    @app.after_request
    def _finish(response: Response) -> Response:
        response.headers["X-Request-ID"] = g.get("correlation_id", "")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self'; style-src 'self'; script-src 'self'; "
            "frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
        )
        response.headers.setdefault("Cache-Control", "no-store")
        elapsed = (time.perf_counter() - g.get("started", time.perf_counter())) * 1000
        # The route's rule, not the URL: URLs can hold ids a reader should not learn.
        rule = request.url_rule.rule if request.url_rule else "(unmatched)"
        log.info(
            "request",
            extra={
                "method": request.method,
                "path": rule,
                "status": response.status_code,
                "duration_ms": round(elapsed, 1),
            },
        )
        return response

    @app.teardown_appcontext
    def _close(_exc: BaseException | None) -> None:
        session: Any = g.pop("db", None)
        if session is not None:
            session.close()
