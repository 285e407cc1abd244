"""A real browser against the real server: headless Chromium (Debian's ``chromium`` package)
driven by Playwright for Python, with the system browser (Playwright downloads none).

The server is ``sports-analytics serve`` on loopback against a seeded copy of the demo database.
axe-core comes from the npm lock in ``tools/browser`` (``npm ci`` there). Without Chromium or
axe-core the tests skip with the reason, unless ``RUN_E2E=1`` (set by ``.ci/run``, which installs
both): then a missing tool fails.

Screenshots go to ``$SCREENSHOT_DIR`` (default ``artifacts/screenshots``), one per page and width.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.helpers.pgharness import admin_execute, make_settings, with_dbname
from tests.helpers.serving import BIN, ServeProcess, inherited_env, with_password

REPO = Path(__file__).resolve().parents[2]
AXE_JS = REPO / "tools" / "browser" / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_NAMES = ("chromium", "chromium-browser")


def _required() -> bool:
    return os.environ.get("RUN_E2E", "").strip().lower() in {"1", "true", "yes"}


def missing(what: str) -> None:
    if _required():
        pytest.fail(f"RUN_E2E=1 but {what}", pytrace=False)
    pytest.skip(f"{what}; RUN_E2E=1 turns this into a failure")


def chromium_path() -> str | None:
    """``$CHROMIUM_PATH``, else Debian's ``chromium`` on PATH."""
    explicit = os.environ.get("CHROMIUM_PATH")
    if explicit:
        if not os.access(explicit, os.X_OK):
            pytest.fail(f"CHROMIUM_PATH={explicit} is not an executable", pytrace=False)
        return explicit
    return next((p for p in map(shutil.which, CHROMIUM_NAMES) if p), None)


def screenshot_dir() -> Path:
    return Path(os.environ.get("SCREENSHOT_DIR") or REPO / "artifacts" / "screenshots")


@pytest.fixture(scope="session")
def chromium() -> str:
    path = chromium_path()
    if path is None:
        missing("Chromium is not installed (apt-get install chromium chromium-driver)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing("Playwright is not installed (make install)")
    assert path is not None
    return path


@pytest.fixture(scope="session")
def axe_source() -> str:
    if not AXE_JS.is_file():
        missing("axe-core is not installed (npm ci --prefix tools/browser)")
    return AXE_JS.read_text(encoding="utf-8")


@dataclass(frozen=True)
class Site:
    base_url: str
    host: str  # host:port every request must go to
    team: str  # an abbreviation with a team page
    game_id: int  # a finished game with a box score
    final_day: str  # its date: a day of finished games, with results next to the picks


def compute_analytics(env: dict[str, str]) -> None:
    """Features, win probabilities and a season forecast, so the pages show ratings, bars,
    picks and the standings' odds columns (the widest tables)."""
    for command in (["features"], ["predict"], ["forecast", "--sims", "500", "--seed", "1"]):
        done = subprocess.run([str(BIN), *command], env=env, capture_output=True, text=True,
                              timeout=300, check=False)
        assert done.returncode == 0, f"{command} exited {done.returncode}: {done.stderr}"


@pytest.fixture(scope="session")
def browser_db_url(pg_admin_url: str, migrated_template: str) -> Iterator[str]:
    """The demo as a new user first sees it (``seed-demo --as-of today``, the Compose quick
    start): today's games scheduled with predictions, the days before them final."""
    from sports_analytics.ingest.demo.as_of import parse_as_of
    from sports_analytics.ingest.demo.seed import seed_demo

    name = f"sa_browser_{uuid.uuid4().hex[:8]}"
    admin_execute(pg_admin_url, f'CREATE DATABASE "{name}" TEMPLATE {migrated_template}')
    url = with_dbname(pg_admin_url, name)
    seed_demo(make_settings(url), as_of=parse_as_of("today"))
    yield url
    admin_execute(pg_admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def site(browser_db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """One server for every browser test (pages and Lighthouse)."""
    env = {**inherited_env(), "APP_ENV": "production", "WEB_CONCURRENCY": "2",
           # trust auth ignores it; production refuses a URL without one
           "DATABASE_URL": with_password(browser_db_url, "browser-tests")}
    compute_analytics(env)
    served = ServeProcess(env, tmp_path_factory.mktemp("browser-serve"), ready_timeout=90)
    try:
        api = served.base_url + "/api/v1"
        team = httpx.get(api + "/teams", params={"limit": 1}).json()["items"][0]
        game = httpx.get(api + "/games", params={"status": "final", "limit": 1}).json()["items"][0]
        yield Site(served.base_url, f"127.0.0.1:{served.port}", team["abbreviation"],
                   game["game_id"], str(game["date"]))
    finally:
        served.terminate()


@pytest.fixture(scope="module")
def browser(chromium: str) -> Iterator:
    """Per module: Playwright's sync API keeps an event loop running in this thread while it
    is open, and other test files on the same xdist worker call asyncio.run()."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        # As root (CI) Chromium needs --no-sandbox, which Playwright passes by default.
        launched = pw.chromium.launch(executable_path=chromium, headless=True)
        yield launched
        launched.close()
