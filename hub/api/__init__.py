"""The partner REST API v1 (docs/api.md): flask-smorest views over the gate and the services.

Every error is RFC 9457 problem+json; `/api/v1/openapi.json` serves the OpenAPI 3.1 document,
which is committed as `schemas/openapi.json` (a test fails when they drift apart).
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, request
from flask_smorest import Api
from werkzeug.exceptions import HTTPException

from hub.api.problems import field_errors, problem
from hub.api.reading import PurposeMissing
from hub.api.schemas import Problem
from hub.app import db_session
from hub.audit.proofs import LogTampered
from hub.consent.public_interest import AuditedRefusal
from hub.errors import InvalidInput, NotFound
from hub.gate.writes import WriteRefused
from hub.settings import Settings

log = logging.getLogger("hub.api")
PREFIX = "/api/v1"


class PartnerApi(Api):  # type: ignore[misc]
    """flask-smorest's Api, answering errors as problem+json, and only under /api/."""

    ERROR_SCHEMA = Problem

    def handle_http_exception(self, error: HTTPException) -> Response | HTTPException:
        if not request.path.startswith(PREFIX):
            return error  # the web UI's own pages answer its errors
        status = error.code or 500
        data: dict[str, Any] = getattr(error, "data", None) or {}
        if status == 422 and "messages" in data:
            errors = field_errors(data["messages"])
            first = errors[0]["field"] if errors else "request"
            return problem(422, "invalid-input", f"{first}: {errors[0]['detail']}", errors=errors)
        kind = {404: "not-found", 405: "method-not-allowed"}.get(status, "http-error")
        detail = error.description or ""
        if status == 404:
            detail = "no such resource"
        return problem(status, kind, detail)


def install(app: Flask, settings: Settings) -> None:
    from hub.api.ratelimit import ClientRateLimit

    app.extensions["hub.rate_limit"] = ClientRateLimit(
        settings.api_rate_limit, settings.rate_limit_storage
    )
    app.config.update(
        API_TITLE="MAPPA Hub partner API",
        API_VERSION="v1",
        OPENAPI_VERSION="3.1.0",
        OPENAPI_URL_PREFIX=PREFIX,
        OPENAPI_JSON_PATH="openapi.json",
    )
    api = PartnerApi(
        app,
        spec_kwargs={
            "info": {"description": "Agency systems read and write the shared MAPPA record."},
            "servers": [{"url": "/"}],
        },
    )
    _document_errors_as_problems(api)
    api.spec.components.security_scheme(
        "bearer", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    )
    api.spec.options["security"] = [{"bearer": []}]

    from hub.api.cases import cases
    from hub.api.items import PreconditionRequired, items

    api.register_blueprint(cases, url_prefix=f"{PREFIX}/cases")
    api.register_blueprint(items, url_prefix=PREFIX)
    from hub.api.audit import audit
    from hub.api.consents import consents

    api.register_blueprint(consents, url_prefix=PREFIX)
    from hub.api.decisions import decisions

    api.register_blueprint(decisions, url_prefix=PREFIX)
    from hub.api.persons import persons

    api.register_blueprint(persons, url_prefix=PREFIX)

    @app.errorhandler(AuditedRefusal)
    def audited_refusal(error: AuditedRefusal) -> Response:
        # The refusal's DENY entry is the only change pending: it is evidence, keep it.
        db_session().commit()
        errors = [{"field": error.field, "detail": error.problem}]
        return problem(403, "forbidden", str(error), errors=errors)

    api.register_blueprint(audit, url_prefix=f"{PREFIX}/audit")
    from hub.api.connectors import pushes

    api.register_blueprint(pushes, url_prefix=PREFIX)

    @app.errorhandler(LogTampered)
    def log_tampered(error: LogTampered) -> Response:
        log.error("audit proof refused: %s", error)
        return problem(500, "log-integrity", "the audit log does not match its signed checkpoint")

    @app.errorhandler(WriteRefused)
    def write_refused(error: WriteRefused) -> Response:
        return problem(403, "forbidden", error.reason)

    @app.errorhandler(PreconditionRequired)
    def precondition_required(error: PreconditionRequired) -> Response:
        errors = [{"field": "headers.If-Match", "detail": "missing"}]
        return problem(428, "precondition-required", str(error), errors=errors)

    @app.errorhandler(PurposeMissing)
    def purpose_missing(error: PurposeMissing) -> Response:
        return problem(400, "purpose-required", str(error), errors=[_header_error()])

    @app.errorhandler(InvalidInput)
    def invalid_input(error: InvalidInput) -> Response:
        errors = [{"field": error.field, "detail": error.problem}]
        return problem(422, "invalid-input", str(error), errors=errors)

    @app.errorhandler(NotFound)
    def not_found(error: NotFound) -> Response:
        # One answer for missing and hidden: nothing about why.
        kind = error.kind  # the gate's own words ("no case with that id"), or a record's kind
        detail = kind if kind.startswith("no ") else f"no {kind} with that id"
        return problem(404, "not-found", detail)


def _document_errors_as_problems(api: PartnerApi) -> None:
    """Say in the document what the API sends: every 4xx/5xx is application/problem+json.

    flask-smorest documents error responses as application/json; rewriting the generated
    document is simpler than declaring the media type on every response decorator, and keeps
    a new endpoint from forgetting it.
    """
    generate = api.spec.to_dict

    def to_dict() -> dict[str, Any]:
        document: dict[str, Any] = generate()
        responses: list[tuple[str, dict[str, Any]]] = list(
            document.get("components", {}).get("responses", {}).items()
        )
        for operations in document.get("paths", {}).values():
            for operation in operations.values():
                if isinstance(operation, dict):
                    responses += list(operation.get("responses", {}).items())
        for status, response in responses:
            content = response.get("content", {})
            is_error = not status.isdigit() or int(status) >= 400
            if is_error and "application/json" in content:
                content["application/problem+json"] = content.pop("application/json")
        return document

    api.spec.to_dict = to_dict


def _header_error() -> dict[str, str]:
    from hub.oauth.resource import PURPOSE

    return {"field": f"headers.{PURPOSE}", "detail": "missing"}
