"""Fixtures for the reliability suite.

- The e2e plumbing (``docker_engine``, ``app_image``, ``compose_project``) is the image helper's
  ``tests/e2e/conftest.py``, imported as ``e2e.conftest``; its skip/fail rule (skip without
  an engine unless ``RUN_E2E=1``) is applied here to the ``e2e``-marked tests of this directory.
- ``seeded_cluster``: a private PostgreSQL cluster holding a migrated, seeded database, for tests
  that stop, start or freeze the database.
- ``live_server``: ``sports-analytics serve`` on a loopback port against a seeded copy.

Measured figures go to benchmarks/results/reliability-figures.json and are printed at the end
of the run (``benchmarks/faults.py`` prints them as a table).
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator

import pytest

# tests/ is a package, so this is the very module pytest loaded as tests/e2e's conftest.
from tests.e2e import conftest as e2e
from tests.helpers.relharness import (
    FIGURES_FILE,
    LiveServer,
    PgCluster,
    cli_path,
    wait_for,
)

docker_engine = e2e.docker_engine
app_image = e2e.app_image
compose_project = e2e.compose_project


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("e2e") is None:
        return
    ok, why = e2e.engine_status()
    if ok:
        return
    if e2e.run_e2e_required():
        pytest.fail(f"RUN_E2E=1 but no usable Docker engine: {why}", pytrace=False)
    pytest.skip(f"no Docker engine ({why}); RUN_E2E=1 turns this into a failure")


def _snapshot() -> dict:
    try:
        return json.loads(FIGURES_FILE.read_text())
    except (OSError, ValueError):
        return {}


# Taken when this conftest is imported (collection), so the summary shows this run's figures.
_figures_at_start = _snapshot()


def pytest_terminal_summary(terminalreporter) -> None:  # type: ignore[no-untyped-def]
    figures = _snapshot()
    fresh = {k: v for k, v in figures.items() if _figures_at_start.get(k) != v}
    if not fresh:
        return
    terminalreporter.section("reliability figures (this run)")
    for name, fig in sorted(fresh.items()):
        terminalreporter.write_line(f"{name:<44} {fig['value']!s:>10} {fig['unit']:<6} {fig['note']}")


@pytest.fixture(scope="module")
def seeded_cluster() -> Iterator[tuple[PgCluster, str]]:
    """A private cluster with database ``sports_analytics`` migrated and seeded via the CLI."""
    cluster = PgCluster()
    try:
        cluster.start()
        wait_for(cluster.url)
        subprocess.run(
            [str(cluster.bindir / "createdb"), "-h", "127.0.0.1", "-p", str(cluster.port), "-U",
             cluster.user, "sports_analytics"], check=True, capture_output=True, timeout=60)
        url = cluster.url.rsplit("/", 1)[0] + "/sports_analytics"
        from tests.helpers.relharness import prepare_database

        prepare_database(url)
        yield cluster, url
    finally:
        cluster.destroy()


@pytest.fixture(scope="module")
def live_server(shared_seeded_db_url: str) -> Iterator[LiveServer]:
    server = LiveServer(shared_seeded_db_url, workers=2)
    try:
        server.start()
        server.wait_ready(30)
        yield server
    finally:
        server.close()


__all__ = ["app_image", "cli_path", "compose_project", "docker_engine"]
