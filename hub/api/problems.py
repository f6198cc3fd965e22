"""RFC 9457 problem details for every error the partner API gives.

One shape for every failure, so an agency system handles errors in one place: `type` (a stable
id), `title`, `status`, `detail` in plain words, and `errors` naming each bad field. A hidden
record and a missing one give the same 404, word for word.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from flask import Response

PROBLEM_BASE = "https://mappa-hub.example/problems/"  # stable ids, never fetched
MEDIA_TYPE = "application/problem+json"


def problem(
    status: int,
    kind: str,
    detail: str,
    *,
    errors: list[dict[str, str]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + kind,
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
    }
    if errors:
        body["errors"] = errors
    response = Response(json.dumps(body), status=status, mimetype=MEDIA_TYPE)
    response.headers["Cache-Control"] = "no-store"
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def field_errors(messages: Mapping[str, Any]) -> list[dict[str, str]]:
    """webargs' nested {location: {field: [message]}} as a flat list naming each field."""
    found: list[dict[str, str]] = []

    def walk(prefix: str, node: Any) -> None:
        if isinstance(node, Mapping):
            for key, value in node.items():
                walk(f"{prefix}.{key}" if prefix else str(key), value)
        elif isinstance(node, list) and node and all(isinstance(m, str) for m in node):
            found.extend({"field": prefix, "detail": message} for message in node)
        elif isinstance(node, list):
            for index, value in enumerate(node):
                walk(f"{prefix}[{index}]", value)
        else:
            found.append({"field": prefix, "detail": str(node)})

    for location, fields in messages.items():
        # "json" and "query" say where; the field's own name is what a developer looks for.
        walk("" if location in ("json", "query", "headers") else str(location), fields)
    return found
