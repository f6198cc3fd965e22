"""Screenshots of the main pages, for people to look at (CI keeps the folder as an artifact).

`save_screenshot(page, "dashboard")` writes `<HUB_SCREENSHOTS_DIR>/dashboard.png`, by
default `artifacts/screenshots/` at the top of the repository (git ignores `artifacts/`).
Names are file names: lower case, digits and hyphens. Only synthetic demo data is ever on
the pages these tests visit.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,80}$")


def screenshots_dir() -> Path:
    folder = Path(os.environ.get("HUB_SCREENSHOTS_DIR") or ROOT / "artifacts" / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def save_screenshot(page: Any, name: str) -> Path:
    """The whole page as `<name>.png`; returns where it went."""
    if not _NAME.match(name):
        raise ValueError(f"screenshot name {name!r}: use lower case, digits and hyphens")
    path = screenshots_dir() / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
