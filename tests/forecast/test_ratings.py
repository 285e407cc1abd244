"""The forecast takes its game model from the registry's current best rating model."""

from __future__ import annotations

import json

import sqlalchemy as sa

from sports_analytics.forecast.ratings import current_source
from sports_analytics.forecast.run import run_forecast
from tests.forecast.conftest import DEMO_SEASON

ELO_V2_PARAMS = {"k": 16.0, "carryover": 0.5, "home_window_games": 1230,
                 "home_court_points": 40.0, "ratings": {}}


def _version_id(engine: sa.Engine, model: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.text(
            "SELECT id FROM model_versions WHERE model = :m AND is_current"),
            {"m": model}).scalar_one())


def test_elo_v1_serves_by_default(engine: sa.Engine) -> None:
    run = run_forecast(engine, DEMO_SEASON, sims=200, seed=1)
    assert run["model"] == "elo_v1"
    with engine.connect() as conn:
        stored = conn.execute(sa.text("SELECT model, model_version_id FROM forecast_runs "
                                      "WHERE id = :r"), {"r": run["run_id"]}).one()
    assert tuple(stored) == ("elo_v1", _version_id(engine, "elo_v1"))


def test_a_current_elo_v2_drops_in(engine: sa.Engine) -> None:
    with engine.connect() as conn:
        v1 = current_source(conn, DEMO_SEASON)
    with engine.begin() as conn:
        conn.execute(sa.text(
            "INSERT INTO model_versions (model, version, features, params, code_version, "
            "is_current, status, holdout_brier) VALUES ('elo_v2', 1, '[]', "
            "CAST(:p AS jsonb), 'test', true, 'accepted', 0.2)"),
            {"p": json.dumps(ELO_V2_PARAMS)})
    with engine.connect() as conn:
        v2 = current_source(conn, DEMO_SEASON)
    assert v2.model == "elo_v2" and v2.model_version_id == _version_id(engine, "elo_v2")
    assert v2.params.k == 16.0 and v2.params.home_advantage != v1.params.home_advantage
    # Replayed over the season with its own constants: the ratings are its own, not elo_v1's.
    assert len(v2.ratings) == 30 and v2.ratings != v1.ratings
    run = run_forecast(engine, DEMO_SEASON, sims=200, seed=1)
    assert run["model"] == "elo_v2"


def test_replay_gives_the_snapshot_ratings(engine: sa.Engine) -> None:
    """Without the predictions' snapshot the history is replayed, to the same ratings."""
    from sports_analytics.analytics.elo import ELO_V1
    from sports_analytics.analytics.predictions import run_predictions
    from sports_analytics.forecast.ratings import elo_ratings

    run_predictions(engine)
    with engine.connect() as conn:
        snapshot = conn.execute(sa.text(
            "SELECT state FROM analytics_snapshots WHERE name = 'predictions'")).scalar_one()
        from_snapshot = elo_ratings(conn, DEMO_SEASON, ELO_V1)
        assert from_snapshot == {int(t): r for t, r in snapshot["ratings"].items()}
        conn.execute(sa.text("DELETE FROM analytics_snapshots"))
        replayed = elo_ratings(conn, DEMO_SEASON, ELO_V1)
    assert from_snapshot.keys() == replayed.keys() and len(replayed) == 30
    for team, rating in replayed.items():
        assert abs(rating - from_snapshot[team]) < 1e-9, team
