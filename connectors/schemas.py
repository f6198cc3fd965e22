"""The published contracts: `schemas/connectors/<connector>/<type>.json`, generated here.

`python -m connectors.schemas` rewrites them; the drift test fails when the files on disk
differ from what the code generates, so a sender never reads a stale contract.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from connectors.registry import installed

ROOT = Path(__file__).resolve().parent.parent / "schemas" / "connectors"
ID_BASE = "https://mappa-hub.example/schemas/connectors"


def generated() -> dict[Path, str]:
    """Every schema file's relative path and text, as the code defines them now."""
    files: dict[Path, str] = {}
    for name, connector in installed().items():
        for kind, schema in connector.schemas().items():
            document = {
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "$id": f"{ID_BASE}/{name}/{kind}.json",
                **schema,
            }
            files[Path(name) / f"{kind}.json"] = json.dumps(document, indent=2) + "\n"
    return files


def write(root: Path = ROOT) -> list[Path]:
    written = []
    for relative, text in generated().items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
            written.append(path)
    return written


def drift(root: Path = ROOT) -> list[str]:
    """Paths whose published file differs from the code, is missing, or is left over."""
    expected = generated()
    differing = [
        str(p)
        for p, text in expected.items()
        if not (root / p).exists() or (root / p).read_text() != text
    ]
    published = {p.relative_to(root) for p in root.rglob("*.json")} if root.exists() else set()
    differing += [str(p) for p in sorted(published - set(expected))]
    return differing


if __name__ == "__main__":
    for path in write():
        sys.stdout.write(f"wrote {path}\n")
