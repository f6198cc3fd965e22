"""RFC 6750 bearer-token errors, with an RFC 9457 problem+json body.

The `WWW-Authenticate` header tells an OAuth client library what went wrong; the body
tells a person. Neither repeats the token.
"""

from __future__ import annotations

import json
from http import HTTPStatus

from flask import Response

REALM = "mappa-hub"
PROBLEM_BASE = "https://mappa-hub.example/problems/"  # stable ids, not fetched


def bearer_problem(status: int, error: str | None, description: str, scope: str = "") -> Response:
    params = [f'realm="{REALM}"']
    if error:  # RFC 6750 §3.1: no error code when the request had no credentials at all
        params.append(f'error="{error}"')
        params.append(f'error_description="{_quoted(description)}"')
    if scope:
        params.append(f'scope="{scope}"')
    problem = {
        "type": PROBLEM_BASE + (error or "missing_token").replace("_", "-"),
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": description,
    }
    response = Response(json.dumps(problem), status=status, mimetype="application/problem+json")
    if status in (400, 401, 403):
        response.headers["WWW-Authenticate"] = "Bearer " + ", ".join(params)
    response.headers["Cache-Control"] = "no-store"
    return response


def _quoted(text: str) -> str:
    # RFC 6750 §3: error_description is %x20-21 / %x23-5B / %x5D-7E: no quote, no backslash.
    return "".join(c for c in text if 0x20 <= ord(c) <= 0x7E and c not in '"\\')
