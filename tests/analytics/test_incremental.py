"""Incremental analytics equal a full recompute, on randomised multi-season histories.

Each case loads a three-season demo history, computes everything, then applies a seeded random
batch of edits (new results, corrected scores, restated box scores, games postponed back to
scheduled, new games, moved games, a deleted game), recomputes incrementally and compares every
feature and prediction value with a full recompute of the same data.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, text

from sports_analytics.analytics.features import compute_features
from sports_analytics.analytics.incremental import Moved, recompute_after
from sports_analytics.analytics.predictions import run_predictions
from sports_analytics.db.engine import make_job_engine
from sports_analytics.db.writes import FEATURE_COLUMNS
from sports_analytics.ingest.demo.seed import seed_demo
from tests.helpers.pgharness import make_settings

pytestmark = pytest.mark.timeout(300)

SEASONS = 3
FEATURES_SQL = (f"SELECT game_id, team_id, is_home, {', '.join(FEATURE_COLUMNS)} "
                "FROM game_features ORDER BY game_id, team_id")
PREDICTIONS_SQL = ("SELECT game_id, model, home_win_prob, away_win_prob, home_rating, "
                   "away_rating, was_correct FROM predictions ORDER BY game_id, model")


@pytest.fixture(scope="module")
def history_template(pg_admin_url: str, migrated_template: str) -> str:
    from tests.helpers.pgharness import admin_execute, with_dbname

    name = "sa_tpl_history3"
    admin_execute(pg_admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin_execute(pg_admin_url, f'CREATE DATABASE "{name}" TEMPLATE {migrated_template}')
    settings = make_settings(with_dbname(pg_admin_url, name))
    seed_demo(settings, force=True, seasons=SEASONS)
    engine = make_job_engine(settings, application_name="test-history")
    try:
        compute_features(engine)
        run_predictions(engine)
    finally:
        engine.dispose()
    return name


@pytest.fixture
def history_engine(pg_admin_url: str, history_template: str):
    import uuid

    from tests.helpers.pgharness import admin_execute, with_dbname

    name = f"sa_test_{uuid.uuid4().hex[:12]}"
    admin_execute(pg_admin_url, f'CREATE DATABASE "{name}" TEMPLATE {history_template}')
    engine = make_job_engine(make_settings(with_dbname(pg_admin_url, name)),
                             application_name="test-incremental")
    yield engine
    engine.dispose()
    admin_execute(pg_admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _snapshot(engine: Engine) -> tuple[list[Any], list[Any]]:
    with engine.connect() as conn:
        return (conn.execute(text(FEATURES_SQL)).all(), conn.execute(text(PREDICTIONS_SQL)).all())


def _games(conn: Connection) -> list[Any]:
    return conn.execute(text(
        "SELECT id, season, date, home_team_id, away_team_id, status FROM games ORDER BY id"
    )).all()


def _edit(conn: Connection, rng: random.Random) -> tuple[set[int], list[Moved]]:
    """A random batch of edits; returns the changed game ids and the old places of moved games."""
    games = _games(conn)
    finals = [g for g in games if g.status == "final"]
    changed: set[int] = set()
    moved: list[Moved] = []
    for g in rng.sample(finals, 6):  # corrected scores (never a tie)
        hs, aw = rng.randint(80, 130), rng.randint(80, 130)
        aw += int(hs == aw)
        conn.execute(text("UPDATE games SET home_score = :h, away_score = :a, updated_at = now() "
                          "WHERE id = :id"), {"h": hs, "a": aw, "id": g.id})
        changed.add(g.id)
    for g in rng.sample(finals, 3):  # restated box score lines
        conn.execute(text("UPDATE team_game_stats SET fga = fga + :d, turnovers = turnovers + 1 "
                          "WHERE game_id = :id"), {"d": rng.randint(1, 5), "id": g.id})
        changed.add(g.id)
    for g in rng.sample(finals, 2):  # back to scheduled (a result withdrawn)
        conn.execute(text("UPDATE games SET status = 'scheduled', home_score = NULL, "
                          "away_score = NULL WHERE id = :id"), {"id": g.id})
        changed.add(g.id)
    g = rng.choice(finals)  # a final game moved to another date in its season
    new_date = g.date + dt.timedelta(days=rng.choice([-9, 11]))
    taken = conn.execute(text("SELECT 1 FROM games WHERE season = :s AND date = :d "
                              "AND home_team_id = :h"),
                         {"s": g.season, "d": new_date, "h": g.home_team_id}).first()
    if taken is None:
        conn.execute(text("UPDATE games SET date = :d WHERE id = :id"), {"d": new_date, "id": g.id})
        moved += [(g.home_team_id, g.season, g.date), (g.away_team_id, g.season, g.date)]
        changed.add(g.id)
    g = rng.choice([x for x in finals if x.id not in changed])  # a deleted game
    conn.execute(text("DELETE FROM games WHERE id = :id"), {"id": g.id})
    moved += [(g.home_team_id, g.season, g.date), (g.away_team_id, g.season, g.date)]
    last = max(x.date for x in games)  # one more night: new games after the last date
    night = last + dt.timedelta(days=1)
    teams = rng.sample(range(1, 31), 8)
    for i in range(0, 8, 2):
        new_id = conn.execute(text(
            "INSERT INTO games (season, date, home_team_id, away_team_id, home_score, away_score,"
            " status) VALUES (:s, :d, :h, :a, :hs, :as, 'final') RETURNING id"),
            {"s": games[-1].season, "d": night, "h": teams[i], "a": teams[i + 1],
             "hs": 100 + i, "as": 99}).scalar_one()
        changed.add(new_id)
    return changed, moved


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_incremental_equals_full(history_engine: Engine, seed: int) -> None:
    rng = random.Random(seed)
    with history_engine.begin() as conn:
        changed, moved = _edit(conn, rng)
        result = recompute_after(conn, changed, moved)
    assert result["feature_rows"] > 0
    incremental = _snapshot(history_engine)
    compute_features(history_engine)
    run_predictions(history_engine)
    full = _snapshot(history_engine)
    assert incremental[0] == full[0], "features differ from a full recompute"
    assert incremental[1] == full[1], "predictions differ from a full recompute"


def test_incremental_touches_only_what_a_change_affects(history_engine: Engine) -> None:
    with history_engine.connect() as conn:
        last = conn.execute(text("SELECT id, season, date, home_team_id FROM games "
                                 "ORDER BY date DESC, id DESC LIMIT 1")).one()
        before = conn.execute(text("SELECT count(*) FROM game_features")).scalar_one()
    with history_engine.begin() as conn:
        conn.execute(text("UPDATE games SET home_score = home_score + 1 WHERE id = :id"),
                     {"id": last.id})
        result = recompute_after(conn, [last.id])
    # The last game of the history: only its own two rows and its own predictions change.
    assert result["feature_rows"] == 2
    assert result["prediction_games"] <= 15
    with history_engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM game_features")).scalar_one() == before


def test_detected_changes_equal_full(history_engine: Engine) -> None:
    """``features`` / ``predict`` without ``--full``: changes found through games.updated_at."""
    from sports_analytics.analytics.incremental import (
        incremental_features,
        incremental_predictions,
    )

    rng = random.Random(7)
    with history_engine.begin() as conn:
        games = _games(conn)
        for g in rng.sample([x for x in games if x.status == "final"], 5):
            conn.execute(text("UPDATE games SET home_score = 140, away_score = 80, "
                              "updated_at = now() WHERE id = :id"), {"id": g.id})
        night = max(x.date for x in games) + dt.timedelta(days=1)
        conn.execute(text("INSERT INTO games (season, date, home_team_id, away_team_id, "
                          "home_score, away_score, status) VALUES (2025, :d, 1, 2, 101, 99, "
                          "'final'), (2025, :d, 3, 4, NULL, NULL, 'scheduled')"), {"d": night})
    features = incremental_features(history_engine)
    predictions = incremental_predictions(history_engine)
    assert features is not None and features["changed_games"] == 7
    assert predictions is not None and predictions["changed_games"] == 7
    incremental = _snapshot(history_engine)
    assert incremental_features(history_engine) == {"changed_games": 0, "rows": 0}  # settled
    compute_features(history_engine)
    run_predictions(history_engine)
    assert incremental == _snapshot(history_engine)


def test_nightly_runs_resume_from_the_snapshot_and_equal_full(history_engine: Engine) -> None:
    """New nights after the last final day resume the models from the stored snapshot."""
    from sports_analytics.analytics.elo import ELO_V1
    from sports_analytics.analytics.replay import resume

    def night(conn: Connection, day: dt.date, teams: list[int], final: bool) -> list[int]:
        ids = []
        for i in range(0, len(teams), 2):
            ids.append(conn.execute(text(
                "INSERT INTO games (season, date, home_team_id, away_team_id, home_score, "
                "away_score, status) VALUES (2025, :d, :h, :a, :hs, :as, :st) RETURNING id"),
                {"d": day, "h": teams[i], "a": teams[i + 1], "hs": 104 + i if final else None,
                 "as": 100 if final else None, "st": "final" if final else "scheduled"},
            ).scalar_one())
        return ids

    with history_engine.connect() as conn:
        last = conn.execute(text("SELECT max(date) FROM games")).scalar_one()
    one, two, three = (last + dt.timedelta(days=n) for n in (1, 2, 3))
    with history_engine.begin() as conn:
        recompute_after(conn, night(conn, one, list(range(1, 13)), final=True))
    with history_engine.begin() as conn:
        state, games = resume(conn, ELO_V1, two)
        assert len(games) < 50 and state.home[1] > 3000  # resumed, not replayed
        ids = night(conn, three, list(range(13, 21)), final=False)
        ids += night(conn, two, list(range(1, 31)), final=True)
        recompute_after(conn, ids)
    incremental = _snapshot(history_engine)
    compute_features(history_engine)
    run_predictions(history_engine)
    full = _snapshot(history_engine)
    assert incremental[0] == full[0]
    assert incremental[1] == full[1]
