"""Helpers for sync/refresh tests: run the real CLI against a fake stats server, digest tables."""

from __future__ import annotations

import datetime as dt
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa

from tests.helpers.fake_stats import FakeStats, round_robin_season
from tests.helpers.pgharness import make_settings
from tests.helpers.relharness import cli_env, cli_path, json_lines

DATA_TABLES = ("teams", "players", "games", "team_game_stats", "player_game_stats",
               "game_features", "predictions", "insights", "data_versions")


def stats_env(fake: FakeStats | None, **extra: str) -> dict[str, str]:
    """Points the CLI at ``fake``; with None, at a port where nothing listens."""
    base = fake.base_url if fake is not None else "http://127.0.0.1:9"
    return {"NBA_STATS_BASE_URL": base, "NBA_STATS_TIMEOUT_SECONDS": "1",
            "NBA_STATS_REQUEST_DELAY_SECONDS": "0", "NBA_STATS_MAX_RETRIES": "2", **extra}


def run_cli(db_url: str, fake: FakeStats | None, *args: str, timeout: float = 120,
            **extra: str) -> subprocess.CompletedProcess[str]:
    env = cli_env(db_url, **stats_env(fake, **extra))
    return subprocess.run([cli_path(), *args], env=env, capture_output=True, text=True,
                          timeout=timeout)


@contextmanager
def round_robin_stats(first_day: dt.date, nights: int, final_nights: int) -> Iterator[FakeStats]:
    """A fake stats API serving :func:`round_robin_season` (two players a team) while open."""
    server = FakeStats(first_day=first_day,
                       games=round_robin_season(first_day, nights, final_nights),
                       roster_size=2).start()
    try:
        yield server
    finally:
        server.stop()


def refresh_season(db_url: str, fake: FakeStats, season: int, timeout: float) -> dict[str, Any]:
    """``refresh --season`` against ``fake``, which must succeed; the counts of its run."""
    done = run_cli(db_url, fake, "refresh", "--season", str(season), timeout=timeout)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return dict(rows(db_url, "SELECT counts FROM refresh_runs ORDER BY id")[-1].counts)


def start_cli(db_url: str, fake: FakeStats, *args: str, **extra: str) -> subprocess.Popen[str]:
    env = cli_env(db_url, **stats_env(fake, **extra))
    return subprocess.Popen([cli_path(), *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def log_lines(done: subprocess.CompletedProcess[str]) -> list[dict[str, Any]]:
    return json_lines(done.stdout + "\n" + done.stderr)


def engine(db_url: str) -> sa.Engine:
    return sa.create_engine(make_settings(db_url).sqlalchemy_url)


def digest(db_url: str) -> dict[str, Any]:
    """Every data table's full content (md5 of its rows in a fixed order) and the data version."""
    eng = engine(db_url)
    try:
        with eng.connect() as conn:
            out: dict[str, Any] = {}
            for table in DATA_TABLES:
                out[table] = conn.execute(sa.text(
                    f"SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) "
                    f"FROM {table} t")).one()
            out["data_version"] = conn.execute(
                sa.text("SELECT last_value FROM data_version_seq")).scalar()
            return out
    finally:
        eng.dispose()


def scalar(db_url: str, sql: str, **params: Any) -> Any:
    eng = engine(db_url)
    try:
        with eng.connect() as conn:
            return conn.execute(sa.text(sql), params).scalar()
    finally:
        eng.dispose()


def rows(db_url: str, sql: str, **params: Any) -> list[Any]:
    eng = engine(db_url)
    try:
        with eng.connect() as conn:
            return list(conn.execute(sa.text(sql), params).all())
    finally:
        eng.dispose()
