"""Idempotency-Key for POST (the IETF httpapi draft's semantics).

A retry with the same key and the same request gets the original response again, without
doing the write twice. The same key with a different request is the caller's bug: 422 naming
the header. Keys are per client; a key is at most 200 printable characters.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from typing import Any

from flask import Response, request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from hub.api.problems import problem
from hub.app import db_session
from hub.errors import InvalidInput
from hub.models import IdempotentResponse
from hub.oauth.resource import token_actor

HEADER = "Idempotency-Key"
_KEY = re.compile(r"^[\x21-\x7e]{1,200}$")


def _digest() -> bytes:
    sha = hashlib.sha256()
    sha.update(request.method.encode() + b"\0" + request.path.encode() + b"\0")
    sha.update(request.get_data())
    return sha.digest()


def idempotent(write: Callable[[], tuple[int, dict[str, Any], str | None]]) -> Response:
    """Run `write` (status, JSON body of ids only, Location) at most once per key."""
    key = request.headers.get(HEADER)
    if key is None:
        status, body, location = write()
        db_session().commit()  # the write and its audit entries, before the answer
        return _respond(status, body, location)
    if not _KEY.match(key):
        raise InvalidInput(f"headers.{HEADER}", "1 to 200 printable characters, no spaces")
    client = token_actor().client_id or ""
    digest = _digest()
    session = db_session()
    earlier = _stored(client, key)
    if earlier is not None:
        return _replay(earlier, digest)
    status, body, location = write()
    session.add(
        IdempotentResponse(
            client_id=client,
            key=key,
            request_digest=digest,
            status=status,
            body=json.dumps(body),
            location=location,
        )
    )
    try:
        session.commit()
    except IntegrityError:
        # Another request with this key committed first: ours is rolled back, theirs replayed.
        session.rollback()
        winner = _stored(client, key)
        if winner is None:
            raise
        return _replay(winner, digest)
    return _respond(status, body, location)


def _stored(client: str, key: str) -> IdempotentResponse | None:
    return db_session().scalar(
        select(IdempotentResponse).where(
            IdempotentResponse.client_id == client, IdempotentResponse.key == key
        )
    )


def _replay(earlier: IdempotentResponse, digest: bytes) -> Response:
    if earlier.request_digest != digest:
        return problem(
            422,
            "idempotency-key-reused",
            f"{HEADER} was already used for a different request",
            errors=[{"field": f"headers.{HEADER}", "detail": "reused with a different request"}],
        )
    response = _respond(earlier.status, json.loads(earlier.body), earlier.location)
    response.headers["Idempotent-Replayed"] = "true"
    return response


def _respond(status: int, body: dict[str, Any], location: str | None) -> Response:
    response = Response(json.dumps(body), status=status, mimetype="application/json")
    if location:
        response.headers["Location"] = location
    if "version" in body:
        response.headers["ETag"] = etag(int(body["version"]))
    return response


def etag(version: int) -> str:
    return f'"v{version}"'
