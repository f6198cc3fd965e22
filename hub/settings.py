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


def default_policy_path() -> Path:
    """The checkout's `policies/` (next to the `hub` package), else `./policies`."""
    beside_package = Path(__file__).resolve().parents[1] / "policies"
    return beside_package if beside_package.is_dir() else Path("policies").resolve()


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
    # Case-management rules (docs/casework.md): timings.
    initial_meeting_deadline_working_days: int = 20
    order_expiry_warning_days: int = 90
    reactive_management_low_years: int = 3
    visit_days_very_high: int = 30
    visit_days_high: int = 91
    visit_days_medium: int = 182
    visit_days_low: int = 365
    # COSA circles (docs/portal.md): R-50 DBS validity, R-52 acknowledgement, R-54 minutes.
    cosa_dbs_validity_days: int = 1095
    cosa_acknowledge_working_days: int = 1
    cosa_minutes_working_days: int = 3
    audit_signing_key: Path | None = None  # default: <instance>/keys/audit-signing.pem
    audit_checkpoint_every: int = 1000
    audit_checkpoint_seconds: int = 300
    # Outbound events (docs/events.md): finished events are pruned once this old.
    event_retention_days: int = 30
    # Field encryption (docs/keys.md). The KEK itself is never shown in a repr or log.
    key_encryption_key: bytes | None = field(default=None, repr=False)
    key_encryption_key_file: Path | None = None  # default: <instance>/keys/key-encryption.key
    key_refresh_seconds: int = 60
    # Signed-in sessions (docs/accounts.md): idle and absolute limits.
    session_idle_seconds: int = 900
    session_max_seconds: int = 36_000
    # OAuth (docs/api.md). Unset issuer: derived from the request, except in production.
    oauth_issuer: str | None = None
    token_lifetime_seconds: int = 600  # access tokens live 10 minutes at most
    oauth_state_seconds: int = 5  # how stale revocations and disabled clients may be
    # The need-to-know policies (docs/policies.md): read at start-up, reloaded when changed.
    policy_path: Path = field(default_factory=default_policy_path)
    policy_check_seconds: int = 10
    # Partner API requests per client (`limits` notation), counted in memory or in Redis.
    api_rate_limit: str = "1200/minute"
    rate_limit_storage: str = "memory://"

    def __post_init__(self) -> None:
        if not self.database_url:
            default = f"sqlite:///{self.instance_path / 'hub.sqlite3'}"
            object.__setattr__(self, "database_url", default)
        if self.audit_signing_key is None:
            key = self.instance_path / "keys" / "audit-signing.pem"
            object.__setattr__(self, "audit_signing_key", key)
        if self.key_encryption_key_file is None:
            kek = self.instance_path / "keys" / "key-encryption.key"
            object.__setattr__(self, "key_encryption_key_file", kek)

    @property
    def audit_origin(self) -> str:
        """Names this hub's log in every checkpoint, so heads of two hubs never mix."""
        return f"mappa-hub/{self.mappa_area}"

    @property
    def signing_key_path(self) -> Path:
        assert self.audit_signing_key is not None
        return self.audit_signing_key

    @property
    def kek_path(self) -> Path:
        assert self.key_encryption_key_file is not None
        return self.key_encryption_key_file

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
        if env.get("HUB_KEY_ENCRYPTION_KEY") and env.get("HUB_KEY_ENCRYPTION_KEY_FILE"):
            # Two sources for one key: which one wraps the data keys would be a guess.
            raise SettingsError(
                "HUB_KEY_ENCRYPTION_KEY", "and HUB_KEY_ENCRYPTION_KEY_FILE are both set; set one"
            )
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
            initial_meeting_deadline_working_days=_read(
                env, "HUB_INITIAL_MEETING_DEADLINE_WORKING_DAYS", _int_between(1, 120), 20
            ),
            order_expiry_warning_days=_read(
                env, "HUB_ORDER_EXPIRY_WARNING_DAYS", _int_between(1, 730), 90
            ),
            reactive_management_low_years=_read(
                env, "HUB_REACTIVE_MANAGEMENT_LOW_YEARS", _int_between(1, 20), 3
            ),
            visit_days_very_high=_read(env, "HUB_VISIT_DAYS_VERY_HIGH", _int_between(1, 730), 30),
            visit_days_high=_read(env, "HUB_VISIT_DAYS_HIGH", _int_between(1, 730), 91),
            visit_days_medium=_read(env, "HUB_VISIT_DAYS_MEDIUM", _int_between(1, 730), 182),
            visit_days_low=_read(env, "HUB_VISIT_DAYS_LOW", _int_between(1, 730), 365),
            event_retention_days=_read(env, "HUB_EVENT_RETENTION_DAYS", _int_between(1, 3650), 30),
            cosa_dbs_validity_days=_read(
                env, "HUB_COSA_DBS_VALIDITY_DAYS", _int_between(30, 3650), 1095
            ),
            cosa_acknowledge_working_days=_read(
                env, "HUB_COSA_ACKNOWLEDGE_WORKING_DAYS", _int_between(1, 20), 1
            ),
            cosa_minutes_working_days=_read(
                env, "HUB_COSA_MINUTES_WORKING_DAYS", _int_between(1, 20), 3
            ),
            audit_signing_key=_read(env, "HUB_AUDIT_SIGNING_KEY", _path, None),
            audit_checkpoint_every=_read(
                env, "HUB_AUDIT_CHECKPOINT_EVERY", _int_between(1, 1_000_000), 1000
            ),
            audit_checkpoint_seconds=_read(
                env, "HUB_AUDIT_CHECKPOINT_SECONDS", _int_between(1, 86_400), 300
            ),
            key_encryption_key=_read(env, "HUB_KEY_ENCRYPTION_KEY", _kek, None),
            key_encryption_key_file=_read(env, "HUB_KEY_ENCRYPTION_KEY_FILE", _path, None),
            key_refresh_seconds=_read(env, "HUB_KEY_REFRESH_SECONDS", _int_between(1, 3600), 60),
            session_idle_seconds=_read(
                env, "HUB_SESSION_IDLE_SECONDS", _int_between(60, 86_400), 900
            ),
            session_max_seconds=_read(
                env, "HUB_SESSION_MAX_SECONDS", _int_between(300, 604_800), 36_000
            ),
            oauth_issuer=_read(env, "HUB_OAUTH_ISSUER", _issuer, None),
            token_lifetime_seconds=_read(
                env, "HUB_TOKEN_LIFETIME_SECONDS", _int_between(30, 600), 600
            ),
            oauth_state_seconds=_read(env, "HUB_OAUTH_STATE_SECONDS", _int_between(1, 30), 5),
            policy_path=_read(env, "HUB_POLICY_PATH", _path, None) or default_policy_path(),
            api_rate_limit=_read(env, "HUB_API_RATE_LIMIT", _rate, "1200/minute"),
            rate_limit_storage=_read(env, "HUB_RATE_LIMIT_STORAGE", _rate_storage, "memory://"),
            policy_check_seconds=_read(env, "HUB_POLICY_CHECK_SECONDS", _int_between(1, 3600), 10),
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


def _issuer(raw: str) -> str | None:
    # RFC 8414 §2: an https URL without query or fragment; plain http only on loopback.
    from urllib.parse import urlsplit

    parts = urlsplit(raw)
    loopback = parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost", "::1")
    if not (parts.scheme == "https" or loopback) or not parts.hostname:
        raise ValueError(f"must be an https URL (http only on loopback); got {raw!r}")
    if parts.query or parts.fragment:
        raise ValueError("must have no query or fragment")
    return raw.rstrip("/")


def _path(raw: str) -> Path | None:
    return Path(raw).resolve()


def _rate(raw: str) -> str:
    from limits import parse

    parse(raw)  # its ValueError says what is wrong ("600/minute", "10 per second")
    return raw


def _rate_storage(raw: str) -> str:
    if not raw.startswith(("memory://", "redis://", "rediss://")):
        raise ValueError("must be memory:// or a redis:// URL")
    return raw


def _kek(raw: str) -> bytes | None:
    from hub.crypto.kek import decode_secret

    return decode_secret(raw)  # its ValueError never quotes the value: it is a secret


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
