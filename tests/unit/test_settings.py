from pathlib import Path

import pytest

from hub.errors import SettingsError
from hub.settings import Settings


def test_defaults_put_an_sqlite_file_under_instance(tmp_path: Path) -> None:
    settings = Settings.from_env({"HUB_INSTANCE_PATH": str(tmp_path)})
    assert settings.database_url == f"sqlite:///{tmp_path / 'hub.sqlite3'}"
    assert settings.environment == "production"
    assert settings.public_statistics is False  # fail closed: nothing published by default


def test_postgres_url_switches_database() -> None:
    url = "postgresql+psycopg://hub@db:5432/hub"
    assert Settings.from_env({"HUB_DATABASE_URL": url}).database_url == url


@pytest.mark.parametrize(
    ("variable", "value", "fragment"),
    [
        ("HUB_DATABASE_URL", "mysql://x", "sqlite:/// or postgresql+psycopg://"),
        ("HUB_ENV", "staging", "must be one of production"),
        ("HUB_LOG_LEVEL", "LOUD", "must be one of DEBUG"),
        ("HUB_PUBLIC_STATISTICS", "perhaps", "true or false"),
        ("HUB_MAX_REVIEW_INTERVAL_WEEKS_L2", "sixteen", "whole number"),
        ("HUB_MAX_REVIEW_INTERVAL_WEEKS_L3", "0", "between 1 and 52"),
    ],
)
def test_a_bad_value_names_its_variable(variable: str, value: str, fragment: str) -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.from_env({variable: value})
    assert caught.value.variable == variable
    assert str(caught.value).startswith(f"setting {variable} ")
    assert fragment in str(caught.value)


def test_review_intervals_are_configuration_not_constants() -> None:
    settings = Settings.from_env(
        {"HUB_MAX_REVIEW_INTERVAL_WEEKS_L2": "12", "HUB_MAX_REVIEW_INTERVAL_WEEKS_L3": "6"}
    )
    assert settings.max_review_interval_weeks(2) == 12
    assert settings.max_review_interval_weeks(3) == 6
