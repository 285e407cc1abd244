"""The 40-season demo history (``seed-demo --seasons 40``): loads, computes features and
predictions without error under the API's tightest statement deadline, and is deterministic."""

from __future__ import annotations

import subprocess

import psycopg
import pytest

from tests.helpers.relharness import cli_env, cli_path

pytestmark = pytest.mark.timeout(600)


def _one(url: str, sql: str) -> object:
    with psycopg.connect(url) as conn:
        row = conn.execute(sql).fetchone()
        assert row is not None
        return row[0]


@pytest.mark.slow
def test_forty_seasons_compute_without_error(migrated_db_url: str) -> None:
    # DB_STATEMENT_TIMEOUT_MS at its minimum: the batch commands must not be bound by it.
    env = cli_env(migrated_db_url, DB_STATEMENT_TIMEOUT_MS="100")
    done = subprocess.run([cli_path(), "seed-demo", "--seasons", "40"], env=env,
                          capture_output=True, text=True, timeout=540)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "features: 98400 team-game rows (full)" in done.stdout, done.stdout
    assert "98400 of 98400 prediction rows changed (full)" in done.stdout, done.stdout
    assert _one(migrated_db_url, "SELECT count(DISTINCT season) FROM games") == 40
    assert _one(migrated_db_url, "SELECT min(season) FROM games") == 1986
    assert _one(migrated_db_url, "SELECT count(*) FROM games GROUP BY season "
                                 "ORDER BY count(*) DESC LIMIT 1") == 1230
    # Elo carries ratings across seasons and still beats "the home team always wins".
    brier = ("SELECT avg((p.home_win_prob - (g.home_score > g.away_score)::int) ^ 2) "
             "FROM predictions p JOIN games g ON g.id = p.game_id WHERE p.model = '{}'")
    elo = _one(migrated_db_url, brier.format("elo_v1"))
    home = _one(migrated_db_url, brier.format("home_always"))
    assert isinstance(elo, float) and isinstance(home, float) and elo < home
    # Only the current season's players are on rosters; the others are kept for box scores.
    assert _one(migrated_db_url, "SELECT count(*) FROM players WHERE team_id IS NOT NULL") == \
        _one(migrated_db_url, "SELECT count(*) FROM players WHERE active")
    again = subprocess.run([cli_path(), "features"], env=env, capture_output=True, text=True,
                           timeout=120)
    assert again.returncode == 0 and "features: 0 team-game rows (incremental)" in again.stdout


def test_history_is_deterministic_and_ends_with_the_demo_season() -> None:
    from sports_analytics.ingest.demo.history import generate_history
    from sports_analytics.ingest.demo.season import generate

    first = dict(generate_history(3, workers=1))
    again = dict(generate_history(3, workers=2))
    assert first.keys() == {2023, 2024, 2025} and first == again
    demo = generate()
    _players, games, _team_lines, player_lines, oracle = first[2025]
    offset = 2 * 1230
    assert [g[0] - offset for g in games] == [g[0] for g in demo.games]
    assert [g[2] for g in games] == [g[2] for g in demo.games]  # the demo calendar itself
    assert all(g[2].year in (2023, 2024) for g in first[2023][1])
    assert len(player_lines) == len(demo.player_lines)
    assert [(g - offset, p) for g, p in oracle] == demo.oracle
