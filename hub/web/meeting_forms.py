"""Form plumbing for the meeting pages: GOV.UK date inputs and values to show again.

A date is three inputs (day, month, year) in the GOV.UK pattern; the services take ISO dates,
so the three are joined here, and whatever the person typed is kept to show back on error.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from werkzeug.datastructures import MultiDict


def joined_date(form: Mapping[str, str], name: str) -> str:
    """ISO text for the service, "" when all three parts are empty, else what cannot parse."""
    parts = [form.get(f"{name}-{p}", "").strip() for p in ("year", "month", "day")]
    if not any(parts):
        return ""
    year, month, day = parts
    if all(p.isdigit() for p in parts) and len(year) == 4:
        try:
            return date(int(year), int(month), int(day)).isoformat()
        except ValueError:
            pass
    return f"not a date: {'-'.join(parts)}"


def date_parts(name: str, value: date | None) -> dict[str, str]:
    if value is None:
        return {f"{name}-day": "", f"{name}-month": "", f"{name}-year": ""}
    return {
        f"{name}-day": str(value.day),
        f"{name}-month": str(value.month),
        f"{name}-year": str(value.year),
    }


def typed(form: MultiDict[str, str]) -> dict[str, Any]:
    """What the person sent, to fill the form again (never the CSRF token)."""
    return {k: v for k, v in form.items() if k != "csrf_token"}
