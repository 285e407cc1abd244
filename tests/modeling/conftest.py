"""A two-season demo history (features and elo_v1/home_always predictions computed), built
once per module as a template; each test writes to its own copy."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from tests.helpers.pgharness import admin_execute, make_settings, with_dbname


def run_cli(url: str, *argv: str) -> int:
    from sports_analytics.cli import main

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DATABASE_URL", url)
        mp.setenv("APP_ENV", "development")
        mp.setenv("LOG_FORMAT", "json")
        return main(list(argv))


@pytest.fixture(scope="module")
def history_template(pg_admin_url: str, migrated_template: str) -> Iterator[str]:
    name = f"sa_models_tpl_{uuid.uuid4().hex[:8]}"
    admin_execute(pg_admin_url, f'CREATE DATABASE "{name}" TEMPLATE {migrated_template}')
    url = with_dbname(pg_admin_url, name)
    assert run_cli(url, "seed-demo", "--seasons", "2") == 0
    yield name
    admin_execute(pg_admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def history_url(pg_admin_url: str, history_template: str) -> Iterator[str]:
    name = f"sa_models_{uuid.uuid4().hex[:8]}"
    admin_execute(pg_admin_url, f'CREATE DATABASE "{name}" TEMPLATE {history_template}')
    yield with_dbname(pg_admin_url, name)
    admin_execute(pg_admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def engine(history_url: str) -> Iterator[sa.Engine]:
    eng = sa.create_engine(make_settings(history_url).sqlalchemy_url)
    yield eng
    eng.dispose()


def predictions(engine: sa.Engine) -> dict[tuple[int, str], tuple[float, int | None]]:
    with engine.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT game_id, model, home_win_prob, model_version_id FROM predictions"))
        return {(g, m): (p, v) for g, m, p, v in rows}
