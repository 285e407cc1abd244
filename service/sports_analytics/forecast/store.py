"""Reading a season for a run, and writing the run: one transaction, never half a run.

* **Read.** The season's games, the ratings and the data version come from one repeatable-read
  snapshot. Outside a refresh, the read first waits (at most ``lock_wait`` seconds) for a
  running refresh to finish, by taking ``LockKey.REFRESH`` shared for that transaction: a
  forecast never reads a database that a refresh is half-way through updating, and does not
  hold the refresh up while it simulates.
* **Write.** The run row and its team rows are inserted in one transaction under
  ``LockKey.FORECAST``, which also bumps the data version (inside and after commit, as every
  writer does: db/writes.py), so the forecast's ETag changes with the run.
"""

from __future__ import annotations

from dataclasses import astuple
from typing import Any

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

from sports_analytics.db.writes import LockKey, bump_data_version, bump_data_version_after_commit
from sports_analytics.exceptions import CommandFailed
from sports_analytics.forecast.odds import TeamOdds
from sports_analytics.forecast.ratings import RatingSource, current_source
from sports_analytics.forecast.season import SeasonArrays, load_season

LOCK_NOT_AVAILABLE = "55P03"

_INSERT_RUN = text("""
INSERT INTO forecast_runs (season, sims, seed, data_version, model, model_version_id,
                           games_remaining, seconds)
VALUES (:season, :sims, :seed, :data_version, :model, :model_version_id, :games_remaining,
        :seconds)
RETURNING id, generated_at
""")
_INSERT_TEAMS = text("""
INSERT INTO forecast_teams (run_id, team_id, wins, losses, mean_wins, wins_p10, wins_p90,
                            p_top6, p_playin, p_playoffs, p_first_seed, p_conf_finals, p_title)
SELECT :run_id, * FROM unnest(
    CAST(:team_id AS smallint[]), CAST(:wins AS smallint[]), CAST(:losses AS smallint[]),
    CAST(:mean_wins AS float8[]), CAST(:wins_p10 AS float8[]), CAST(:wins_p90 AS float8[]),
    CAST(:p_top6 AS float8[]), CAST(:p_playin AS float8[]), CAST(:p_playoffs AS float8[]),
    CAST(:p_first_seed AS float8[]), CAST(:p_conf_finals AS float8[]),
    CAST(:p_title AS float8[]))
""")
_TEAM_COLUMNS = ("team_id", "abbreviation", "wins", "losses", "mean_wins", "wins_p10",
                 "wins_p90", "p_top6", "p_playin", "p_playoffs", "p_first_seed",
                 "p_conf_finals", "p_title")


def refresh_busy(lock_wait: float) -> CommandFailed:
    return CommandFailed(f"a refresh is running and did not finish within {lock_wait:g} s; "
                         "run forecast again when it has finished (or with a longer --wait)")


def read_season(engine: Engine, season: int, *,
                lock_wait: float | None) -> tuple[SeasonArrays, RatingSource]:
    """The season and the ratings, in one snapshot. ``lock_wait``: seconds to wait for a
    running refresh (None inside a refresh, which already holds its lock)."""
    try:
        with engine.connect() as conn, conn.begin():
            conn.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY"))
            if lock_wait is not None:
                # 0 would mean "wait forever" to PostgreSQL: --wait 0 waits a millisecond
                timeout_ms = max(int(lock_wait * 1000), 1)
                conn.execute(text(f"SET LOCAL lock_timeout = {timeout_ms}"))
                conn.execute(text("SELECT pg_advisory_xact_lock_shared(:k)"),
                             {"k": LockKey.REFRESH})
                conn.execute(text("SET LOCAL lock_timeout TO DEFAULT"))
            data = load_season(conn, season)
            return data, current_source(conn, season)
    except DBAPIError as exc:
        if getattr(exc.orig, "sqlstate", None) == LOCK_NOT_AVAILABLE and lock_wait is not None:
            raise refresh_busy(lock_wait) from None
        raise


def write_run(conn: Connection, data: SeasonArrays, source: RatingSource, *, sims: int,
              seed: int, seconds: float, odds: list[TeamOdds]) -> dict[str, Any]:
    """Insert the run and its team rows on ``conn`` (the caller's transaction)."""
    conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": LockKey.FORECAST})
    run_id, generated_at = conn.execute(_INSERT_RUN, {
        "season": data.season, "sims": sims, "seed": seed, "data_version": data.data_version,
        "model": source.model, "model_version_id": source.model_version_id,
        "games_remaining": data.games_remaining, "seconds": round(seconds, 3)}).one()
    columns: dict[str, list[Any]] = {c: [] for c in _TEAM_COLUMNS}
    for team in odds:
        for name, value in zip(_TEAM_COLUMNS, astuple(team), strict=True):
            columns[name].append(value)
    del columns["abbreviation"]
    conn.execute(_INSERT_TEAMS, {"run_id": run_id, **columns})
    bump_data_version(conn)
    return {"run_id": int(run_id), "generated_at": generated_at}


def store_run(engine: Engine, data: SeasonArrays, source: RatingSource, *, sims: int, seed: int,
              seconds: float, odds: list[TeamOdds]) -> dict[str, Any]:
    """Write the run in one transaction, then the second data-version bump."""
    with engine.begin() as conn:
        stored = write_run(conn, data, source, sims=sims, seed=seed, seconds=seconds, odds=odds)
    bump_data_version_after_commit(engine)
    return stored
