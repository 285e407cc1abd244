"""Shared fixtures: a real PostgreSQL (local cluster or TEST_DATABASE_URL) and databases on it.

Databases are cheap: each test that writes gets its own, cloned from a migrated (and, for
``seeded_db_url``, seeded) template database built once per test run.

Under pytest-xdist (``make test`` runs several workers) the cluster and the template databases
are still built once: the first worker that needs them builds them and the others reuse them
(tests/helpers/runshare.py). Every worker clones its own databases from the templates.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import runshare
from tests.helpers.pgharness import PgCluster, admin_execute, make_settings, wait_for, with_dbname

TEMPLATE_MIGRATED = "sa_tpl_migrated"
TEMPLATE_SEEDED = "sa_tpl_seeded"


_RUN_DIR = pytest.StashKey[Path]()


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_RUN_DIR] = runshare.open_run_dir(is_worker=hasattr(config, "workerinput"))


def pytest_unconfigure(config: pytest.Config) -> None:
    # The controlling process ends after its workers: it releases what they shared.
    if not hasattr(config, "workerinput") and _RUN_DIR in config.stash:
        runshare.release_all(config.stash[_RUN_DIR])


def _start_cluster() -> dict:
    cluster = PgCluster()
    try:
        cluster.start()
        wait_for(cluster.url)
    except BaseException:
        cluster.destroy()
        raise
    return {"url": cluster.url, "release": cluster.release_spec()}


@pytest.fixture(scope="session")
def pg_admin_url() -> str:
    """URL of a maintenance database on a running server (one cluster per test run)."""
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        wait_for(url)
        return url
    return str(runshare.once("pg_cluster", _start_cluster)["url"])


def _create_db(admin_url: str, template: str | None = None) -> str:
    name = f"sa_test_{uuid.uuid4().hex[:12]}"
    suffix = f" TEMPLATE {template}" if template else ""
    admin_execute(admin_url, f'CREATE DATABASE "{name}"{suffix}')
    return name


def _drop_db(admin_url: str, name: str) -> None:
    admin_execute(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def migrated_template(pg_admin_url: str) -> str:
    """A database at the migrations' head; nothing connects to it once it is built."""
    def build() -> dict:
        from sports_analytics.db.migrate import upgrade

        admin_execute(pg_admin_url, f'DROP DATABASE IF EXISTS "{TEMPLATE_MIGRATED}" WITH (FORCE)')
        admin_execute(pg_admin_url, f'CREATE DATABASE "{TEMPLATE_MIGRATED}"')
        upgrade(make_settings(with_dbname(pg_admin_url, TEMPLATE_MIGRATED)))
        return {"name": TEMPLATE_MIGRATED}

    return str(runshare.once("migrated_template", build)["name"])


@pytest.fixture(scope="session")
def seeded_template(pg_admin_url: str, migrated_template: str) -> str:
    """The migrated template plus the demo season."""
    def build() -> dict:
        from sports_analytics.ingest.demo.seed import seed_demo

        admin_execute(pg_admin_url, f'DROP DATABASE IF EXISTS "{TEMPLATE_SEEDED}" WITH (FORCE)')
        admin_execute(pg_admin_url,
                      f'CREATE DATABASE "{TEMPLATE_SEEDED}" TEMPLATE {migrated_template}')
        seed_demo(make_settings(with_dbname(pg_admin_url, TEMPLATE_SEEDED)), force=False)
        return {"name": TEMPLATE_SEEDED}

    return str(runshare.once("seeded_template", build)["name"])


@pytest.fixture
def empty_db_url(pg_admin_url: str) -> Iterator[str]:
    name = _create_db(pg_admin_url)
    yield with_dbname(pg_admin_url, name)
    _drop_db(pg_admin_url, name)


@pytest.fixture
def migrated_db_url(pg_admin_url: str, migrated_template: str) -> Iterator[str]:
    name = _create_db(pg_admin_url, migrated_template)
    yield with_dbname(pg_admin_url, name)
    _drop_db(pg_admin_url, name)


@pytest.fixture
def seeded_db_url(pg_admin_url: str, seeded_template: str) -> Iterator[str]:
    """A private copy of the seeded demo database: tests may write to it."""
    name = _create_db(pg_admin_url, seeded_template)
    yield with_dbname(pg_admin_url, name)
    _drop_db(pg_admin_url, name)


@pytest.fixture(scope="module")
def shared_seeded_db_url(pg_admin_url: str, seeded_template: str) -> Iterator[str]:
    """One seeded copy per test module, for read-only tests."""
    name = _create_db(pg_admin_url, seeded_template)
    yield with_dbname(pg_admin_url, name)
    _drop_db(pg_admin_url, name)


@pytest.fixture(scope="module")
def client(shared_seeded_db_url: str):
    from fastapi.testclient import TestClient

    from sports_analytics.app import create_app

    with TestClient(create_app(make_settings(shared_seeded_db_url))) as test_client:
        yield test_client
