"""Reading policy files: one place turns a missing or unparsable file into a PolicyLoadError."""

from __future__ import annotations

from pathlib import Path

import yaml

from .errors import LoadProblem, PolicyLoadError


def read_yaml(path: Path) -> object:
    """The parsed YAML of a policy file (safe loader: data only, never objects)."""
    try:
        with path.open(encoding="utf-8") as fh:
            return yaml.safe_load(fh)
    except OSError as exc:
        raise PolicyLoadError(
            [LoadProblem(str(path), None, "", f"cannot be read: {exc.strerror}")]
        ) from exc
    except yaml.YAMLError as exc:
        raise PolicyLoadError([LoadProblem(str(path), None, "", f"not valid YAML: {exc}")]) from exc
