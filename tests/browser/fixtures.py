"""A real hub for a real browser: gunicorn on a loopback port over a demo-loaded database,
and Debian's chromium driven by Playwright (never a downloaded browser).

A pytest plugin of the whole suite (tests/conftest.py loads it), not a conftest: Playwright's
sync API allows one running instance per process, so every folder's browser tests must use
these fixtures rather than define their own.

Under CI=true a missing chromium or Playwright fails the tests; elsewhere they are skipped
with the reason, so a laptop without chromium can still run the rest of the suite.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import scratch_database

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
HUB = [sys.executable, "-m", "hub.cli"]
# Seed 2 of 70 cases, dated six weeks back: the demo chair and coordinator see under one
# page of cases, two of them with a review date already past, whatever today is.
DEMO = ["demo", "load", "--count", "70", "--seed", "2"]
AS_OF = timedelta(weeks=6)


def _missing(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI: {reason}")  # a required component is missing: fail, never skip
    pytest.skip(reason)


@dataclass
class Hub:
    base: str
    database_url: str
    keys: dict[str, str]  # username -> TOTP key printed by the demo load


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    if not CHROMIUM.exists():
        _missing(f"{CHROMIUM} is missing: apt-get install -y chromium")
    return CHROMIUM


# Per module, not per session: Playwright's sync API keeps an event loop running in this
# thread while it is open, and a later test that runs asyncio itself (the procrastinate
# worker, tests/events) would find that loop. Each module starts its chromium and stops it.
@pytest.fixture(scope="module")
def browser(chromium_path: Path) -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("playwright is not installed: pip install -e '.[dev]'")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(chromium_path), args=CHROMIUM_ARGS, headless=True
        )
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def served_database(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with scratch_database(database_url, tmp_path_factory.mktemp("browser")) as url:
        yield url


@pytest.fixture(scope="module")
def hub(served_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    """Set up as `make demo` does, then served by gunicorn until the module ends."""
    instance = tmp_path_factory.mktemp("instance")
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env.update(HUB_DATABASE_URL=served_database, HUB_INSTANCE_PATH=str(instance), HUB_ENV="demo")
    as_of = (date.today() - AS_OF).isoformat()  # noqa: DTZ011  (the CLI's own default)
    loaded = ""
    for args in (
        ["audit", "keygen"],
        ["db", "upgrade"],
        ["keys", "init", "--if-missing"],
        [*DEMO, "--as-of", as_of],
    ):
        result = subprocess.run(
            [*HUB, *args], env=env, capture_output=True, text=True, timeout=300, check=False
        )
        assert result.returncode == 0, result.stderr
        loaded = result.stdout
    keys = dict(re.findall(r"^\s+(\S+)\s+key ([A-Z2-7]+)$", loaded, re.MULTILINE))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    log = instance / "serve.log"
    with log.open("wb") as output:
        server = subprocess.Popen(
            [*HUB, "serve", "--bind", f"127.0.0.1:{port}"],
            env={**env, "HUB_WORKERS": "2"},
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_for(base + "/readyz")
            yield Hub(base, served_database, keys)
        finally:
            server.terminate()
            server.wait(timeout=30)
    assert server.returncode == 0, log.read_text()


def _wait_for(url: str) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            if time.monotonic() > deadline:
                pytest.fail(f"{url} never answered")
            time.sleep(0.2)


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh browser profile per test: its own cookies, nothing carried over."""
    context = browser.new_context()
    opened = context.new_page()
    opened.set_default_timeout(15_000)
    yield opened
    context.close()
