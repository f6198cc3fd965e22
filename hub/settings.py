"""Every HUB_* setting, typed and validated in one place.

A bad value stops start-up with a message naming the variable: operators fix configuration
from the error line alone, without reading code.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from hub.errors import SettingsError

T = TypeVar("T")

ENVIRONMENTS = ("production", "development", "test", "demo")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


@dataclass(frozen=True)
class Settings:
    """The hub's configuration. Build it with :meth:`from_env`; tests build it directly."""

    instance_path: Path = field(default_factory=lambda: Path("instance").resolve())
    database_url: str = ""
    environment: str = "production"
    log_level: str = "INFO"
    mappa_area: str = "Demo Area"
    public_statistics: bool = False
    # Domain timing defaults are configuration, not constants: domain.md marks them [verify].
    max_review_interval_weeks_level2: int = 16
    max_review_interval_weeks_level3: int = 8
    audit_signing_key: Path | None = None  # default: <instance>/keys/audit-signing.pem
    audit_checkpoint_every: int = 1000
    audit_checkpoint_seconds: int = 300

    def __post_init__(self) -> None:
        if not self.database_url:
            default = f"sqlite:///{self.instance_path / 'hub.sqlite3'}"
            object.__setattr__(self, "database_url", default)
        if self.audit_signing_key is None:
            key = self.instance_path / "keys" / "audit-signing.pem"
            object.__setattr__(self, "audit_signing_key", key)

    @property
    def audit_origin(self) -> str:
        """Names this hub's log in every checkpoint, so heads of two hubs never mix."""
        return f"mappa-hub/{self.mappa_area}"

    @property
    def signing_key_path(self) -> Path:
        assert self.audit_signing_key is not None
        return self.audit_signing_key

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def max_review_interval_weeks(self, level: int) -> int:
        return {
            2: self.max_review_interval_weeks_level2,
            3: self.max_review_interval_weeks_level3,
        }[level]

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        instance = Path(env.get("HUB_INSTANCE_PATH", "instance")).resolve()
        return cls(
            instance_path=instance,
            database_url=_read(env, "HUB_DATABASE_URL", _database_url, ""),
            environment=_read(env, "HUB_ENV", _choice(ENVIRONMENTS), "production"),
            log_level=_read(env, "HUB_LOG_LEVEL", _choice(LOG_LEVELS, upper=True), "INFO"),
            mappa_area=_read(env, "HUB_MAPPA_AREA", _non_empty, "Demo Area"),
            public_statistics=_read(env, "HUB_PUBLIC_STATISTICS", _boolean, False),
            max_review_interval_weeks_level2=_read(
                env, "HUB_MAX_REVIEW_INTERVAL_WEEKS_L2", _int_between(1, 52), 16
            ),
            max_review_interval_weeks_level3=_read(
                env, "HUB_MAX_REVIEW_INTERVAL_WEEKS_L3", _int_between(1, 52), 8
            ),
            audit_signing_key=_read(env, "HUB_AUDIT_SIGNING_KEY", _path, None),
            audit_checkpoint_every=_read(
                env, "HUB_AUDIT_CHECKPOINT_EVERY", _int_between(1, 1_000_000), 1000
            ),
            audit_checkpoint_seconds=_read(
                env, "HUB_AUDIT_CHECKPOINT_SECONDS", _int_between(1, 86_400), 300
            ),
        )


def _read(env: Mapping[str, str], name: str, parse: Callable[[str], T], default: T) -> T:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return parse(raw.strip())
    except ValueError as exc:
        raise SettingsError(name, str(exc)) from None


def _database_url(raw: str) -> str:
    if raw.startswith(("sqlite:///", "postgresql+psycopg://")):
        return raw
    raise ValueError("must start with sqlite:/// or postgresql+psycopg://")


def _path(raw: str) -> Path | None:
    return Path(raw).resolve()


def _choice(options: tuple[str, ...], *, upper: bool = False) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        value = raw.upper() if upper else raw.lower()
        if value not in options:
            raise ValueError(f"must be one of {', '.join(options)}; got {raw!r}")
        return value

    return parse


def _non_empty(raw: str) -> str:
    if len(raw) > 100:
        raise ValueError("must be at most 100 characters")
    return raw


def _boolean(raw: str) -> bool:
    lowered = raw.lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ValueError(f"must be true or false; got {raw!r}")


def _int_between(low: int, high: int) -> Callable[[str], int]:
    def parse(raw: str) -> int:
        try:
            value = int(raw)
        except ValueError:
            raise ValueError(f"must be a whole number; got {raw!r}") from None
        if not low <= value <= high:
            raise ValueError(f"must be between {low} and {high}; got {value}")
        return value

    return parse
