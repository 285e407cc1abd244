"""Win probabilities for every game (``predictions``) and their tracked accuracy.

Models:

* ``elo_v1``: see :mod:`sports_analytics.analytics.elo` (parameters in ``EloParams``).
* ``home_always``: the baseline. It always picks the home team, with the league's home win
  rate over all games finished on earlier days as its probability, shrunk toward
  ``HomeAlwaysParams.prior_rate`` by ``prior_games`` pseudo-games and kept in
  ``[0.5, max_prob]``. Its Brier score is what "just pick the home team" is worth.

Both use prior games only. ``run_predictions`` upserts on ``(game_id, model)`` and only
rewrites rows whose values differ, so a second run changes nothing. ``was_correct`` is set
for final games (NULL for scheduled games and ties).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, text

from sports_analytics.analytics.elo import ELO_V1, EloParams, GameResult, run_elo
from sports_analytics.analytics.replay import resume, save
from sports_analytics.analytics.watermark import advance_watermark
from sports_analytics.db.writes import (
    LockKey,
    bump_data_version,
    bump_data_version_after_commit,
)

MODELS = ("elo_v1", "home_always")


@dataclass(frozen=True)
class HomeAlwaysParams:
    prior_rate: float = 0.6
    """Long-run NBA home win rate, used before any game has been played."""
    prior_games: float = 20.0
    """Weight of the prior, in games."""
    max_prob: float = 0.99


HOME_ALWAYS = HomeAlwaysParams()


def home_always_probs(games: list[GameResult], params: HomeAlwaysParams = HOME_ALWAYS,
                      counts: list[int] | None = None) -> dict[int, float]:
    """League home win rate from games final on earlier days, for each game. ``counts``
    (home wins, games) after earlier days is resumed and left at the totals after the last."""
    out: dict[int, float] = {}
    ordered = sorted(games, key=lambda g: (g.date, g.id))
    wins, played = counts if counts is not None else (0, 0)
    i = 0
    while i < len(ordered):
        j = i
        while j < len(ordered) and ordered[j].date == ordered[i].date:
            j += 1
        rate = (wins + params.prior_rate * params.prior_games) / (played + params.prior_games)
        prob = min(params.max_prob, max(0.5, rate))
        for g in ordered[i:j]:
            out[g.id] = 0.5 if g.neutral else prob  # no home side at a neutral site
        for g in ordered[i:j]:
            if g.final and g.home_score is not None and g.away_score is not None \
                    and g.home_score != g.away_score and not g.neutral:
                played += 1
                wins += int(g.home_score > g.away_score)
        i = j
    if counts is not None:
        counts[:] = [wins, played]
    return out


def _was_correct(g: GameResult, home_prob: float) -> bool | None:
    if not g.final or g.home_score is None or g.away_score is None \
            or g.home_score == g.away_score:
        return None
    return (home_prob >= 0.5) == (g.home_score > g.away_score)


# Each row names its model's current version (model_versions: version 1 of both reference
# models, created by migration 0006).
_UPSERT = text("""
INSERT INTO predictions (game_id, model, home_win_prob, away_win_prob, home_rating, away_rating,
                         was_correct, model_version_id)
SELECT x.*, (SELECT v.id FROM model_versions v WHERE v.model = x.model AND v.is_current)
FROM unnest(CAST(:game_id AS bigint[]), CAST(:model AS varchar[]),
            CAST(:home AS float8[]), CAST(:away AS float8[]),
            CAST(:home_rating AS float8[]), CAST(:away_rating AS float8[]),
            CAST(:was_correct AS boolean[])) AS x(game_id, model, home, away, hr, ar, wc)
ON CONFLICT (game_id, model) DO UPDATE SET
    home_win_prob = excluded.home_win_prob,
    away_win_prob = excluded.away_win_prob,
    home_rating = excluded.home_rating,
    away_rating = excluded.away_rating,
    was_correct = excluded.was_correct,
    model_version_id = excluded.model_version_id,
    created_at = now()
WHERE (predictions.home_win_prob, predictions.away_win_prob, predictions.home_rating,
       predictions.away_rating, predictions.was_correct)
      IS DISTINCT FROM
      (excluded.home_win_prob, excluded.away_win_prob, excluded.home_rating,
       excluded.away_rating, excluded.was_correct)
""")


def lock_predictions(conn: Connection) -> None:
    conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": LockKey.PREDICTIONS})


def _run(conn: Connection, season: int | None, params: EloParams) -> dict[str, int]:
    lock_predictions(conn)
    result = write_predictions(conn, params, season=season)
    if season is None:  # every game examined: current as of now, and planned on fresh stats
        advance_watermark(conn, "predictions")
        conn.execute(text("ANALYZE predictions"))
    return result


def write_predictions(conn: Connection, params: EloParams = ELO_V1, *, season: int | None = None,
                      since: dt.date | None = None) -> dict[str, int]:
    """Upsert both models' rows for games of ``season`` (or all), or only games on or after
    ``since``: earlier forecasts depend on nothing later, so they cannot have changed."""
    # Elo carries ratings across seasons: every earlier game counts. A snapshot of the last
    # run's end state stands in for them when it ends before ``since`` (analytics/replay.py).
    state, games = resume(conn, params, since)
    wanted = {g.id: g for g in games if (season is None or g.season == season)
              and (since is None or g.date >= since)}
    elo = {f.game_id: f for f in run_elo(games, params, since=since, state=state.elo)}
    home_rate = home_always_probs(games, counts=state.home)
    save(conn, params, state, games)
    cols: dict[str, list[Any]] = {k: [] for k in (
        "game_id", "model", "home", "away", "home_rating", "away_rating", "was_correct")}

    def add(g: GameResult, model: str, p: float, hr: float | None, ar: float | None) -> None:
        p = round(p, 6)
        cols["game_id"].append(g.id)
        cols["model"].append(model)
        cols["home"].append(p)
        cols["away"].append(round(1.0 - p, 6))
        cols["home_rating"].append(None if hr is None else round(hr, 2))
        cols["away_rating"].append(None if ar is None else round(ar, 2))
        cols["was_correct"].append(_was_correct(g, p))

    for gid, g in wanted.items():
        f = elo[gid]
        add(g, "elo_v1", f.home_win_prob, f.home_rating, f.away_rating)
        add(g, "home_always", home_rate[gid], None, None)
    changed = 0
    if cols["game_id"]:
        changed = int(conn.execute(_UPSERT, cols).rowcount or 0)
    if changed:
        bump_data_version(conn)
    return {"games": len(wanted), "rows": len(cols["game_id"]), "changed": changed}


def run_predictions(engine_or_conn: Engine | Connection, season: int | None = None,
                    params: EloParams = ELO_V1) -> dict[str, int]:
    """Fill both models' predictions for every game of ``season`` (or all) in one transaction."""
    if isinstance(engine_or_conn, Engine):
        with engine_or_conn.begin() as conn:
            result = _run(conn, season, params)
        if result["changed"]:
            bump_data_version_after_commit(engine_or_conn)
        return result
    conn = engine_or_conn
    if conn.in_transaction():
        return _run(conn, season, params)
    with conn.begin():
        return _run(conn, season, params)


# --- accuracy ---------------------------------------------------------------------------------

# Each season game's predictions by index (``OFFSET 0`` keeps the planner from turning this
# into a hash join over every prediction in history): the cost follows the season, not the
# history.
_SEASON_PREDICTIONS = ("SELECT p.model, p.home_win_prob, p.was_correct FROM predictions p "
                       "WHERE p.game_id = g.id {model_filter} OFFSET 0")

_ACCURACY_SQL = """
WITH scored AS (
    SELECT p.model, p.home_win_prob AS p, p.was_correct,
           (g.home_score > g.away_score)::int AS y
    FROM games g CROSS JOIN LATERAL ({season_predictions}) p
    WHERE g.status = 'final' AND g.home_score IS NOT NULL AND g.away_score IS NOT NULL
      AND g.home_score <> g.away_score AND g.season = :season
)
SELECT model,
       count(*) AS games,
       avg(was_correct::int) AS accuracy,
       avg((p - y) * (p - y)) AS brier_score,
       -avg(CASE WHEN y = 1 THEN ln(greatest(p, 1e-15)) ELSE ln(greatest(1 - p, 1e-15)) END)
           AS log_loss
FROM scored GROUP BY model ORDER BY model
"""

_CALIBRATION_SQL = """
WITH scored AS (
    SELECT p.model, p.home_win_prob AS p, (g.home_score > g.away_score)::int AS y
    FROM games g CROSS JOIN LATERAL ({season_predictions}) p
    WHERE g.status = 'final' AND g.home_score IS NOT NULL AND g.away_score IS NOT NULL
      AND g.home_score <> g.away_score AND g.season = :season
),
bucketed AS (
    SELECT model, least(floor(p * 10)::int, 9) AS bucket, p, y FROM scored
)
SELECT m.model, b.bucket, count(x.p) AS games, avg(x.p) AS mean_predicted,
       avg(x.y) AS observed_rate
FROM (SELECT DISTINCT model FROM scored) m
CROSS JOIN generate_series(0, 9) AS b(bucket)
LEFT JOIN bucketed x ON x.model = m.model AND x.bucket = b.bucket
GROUP BY m.model, b.bucket ORDER BY m.model, b.bucket
"""


def _f(value: Any, digits: int = 4) -> float | None:
    return None if value is None else round(float(value), digits)


def latest_predicted_season(conn: Connection) -> int | None:
    # Newest season first, stopping at the first game with a prediction: flat in history.
    return conn.execute(text(
        "SELECT g.season FROM games g WHERE EXISTS "
        "(SELECT 1 FROM predictions p WHERE p.game_id = g.id) "
        "ORDER BY g.season DESC LIMIT 1"
    )).scalar()


def accuracy_report(conn: Connection, season: int, model: str | None = None) -> list[dict]:
    """Per model: games, accuracy, Brier score, log loss and a 10-bucket calibration table."""
    params: dict[str, Any] = {"season": season}
    model_filter = ""
    if model is not None:
        model_filter = "AND p.model = :model"
        params["model"] = model
    lateral = _SEASON_PREDICTIONS.format(model_filter=model_filter)
    summary = conn.execute(text(_ACCURACY_SQL.format(season_predictions=lateral)),
                           params).mappings()
    calibration: dict[str, list[dict]] = {}
    cal_sql = text(_CALIBRATION_SQL.format(season_predictions=lateral))
    for row in conn.execute(cal_sql, params).mappings():
        calibration.setdefault(row["model"], []).append({
            "bucket": row["bucket"],
            "lower": round(row["bucket"] / 10, 1),
            "upper": round((row["bucket"] + 1) / 10, 1),
            "games": row["games"],
            "mean_predicted": _f(row["mean_predicted"]),
            "observed_rate": _f(row["observed_rate"]),
        })
    return [{
        "model": r["model"],
        "games": r["games"],
        "accuracy": _f(r["accuracy"]),
        "brier_score": _f(r["brier_score"], 5),
        "log_loss": _f(r["log_loss"], 5),
        "calibration": calibration.get(r["model"], []),
    } for r in summary]
