"""MAPPA Hub: the shared, need-to-know case record for public-protection agencies.

Nothing happens at import time: the application is built by :func:`create_app`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask

    from hub.settings import Settings

__all__ = ["create_app"]


def create_app(settings: Settings | None = None, **overrides: Any) -> Flask:
    """Build the WSGI application (imported lazily so `import hub` stays cheap)."""
    from hub.app import create_app as _create_app

    return _create_app(settings, **overrides)
