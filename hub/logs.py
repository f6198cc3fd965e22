"""Structured JSON logs with a correlation id per request.

Log lines carry ids and outcomes only: never names, content or tokens. The audit trail,
not the log, records who saw what.
"""

from __future__ import annotations

import json
import logging
import sys
from contextvars import ContextVar
from datetime import UTC, datetime

correlation_id: ContextVar[str | None] = ContextVar("correlation_id", default=None)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        document: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        cid = correlation_id.get()
        if cid:
            document["correlation_id"] = cid
        for key in ("method", "path", "status", "duration_ms"):
            if hasattr(record, key):
                document[key] = getattr(record, key)
        if record.exc_info and record.exc_info[0] is not None:
            # The exception type only: messages can quote personal data from a query.
            document["exception"] = record.exc_info[0].__name__
        return json.dumps(document)


def configure(level: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger("hub")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False
