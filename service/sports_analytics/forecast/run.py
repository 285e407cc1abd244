"""``sports-analytics forecast``: simulate the rest of a season and store the odds.

:func:`run_forecast` is the whole run on an engine (``refresh`` calls it after the predictions,
under its own lock); :func:`forecast_cli` adds the command's engine, its bounded wait for a
running refresh and its one-line summary. Arguments are checked in forecast/commands.py.
"""

from __future__ import annotations

import secrets
import time
from typing import Any

import structlog
from sqlalchemy import Engine, text

from sports_analytics.config import Settings
from sports_analytics.db.writes import job_engine
from sports_analytics.exceptions import CommandFailed
from sports_analytics.forecast.odds import simulate_odds
from sports_analytics.forecast.store import read_season, store_run

log = structlog.get_logger(__name__)

DEFAULT_SIMS = 10_000

_LATEST_SEASON = text("SELECT max(season) FROM games")


def run_forecast(engine: Engine, season: int | None = None, *, sims: int = DEFAULT_SIMS,
                 seed: int | None = None, lock_wait: float | None = None) -> dict[str, Any]:
    """Simulate ``season`` (default: the latest with games) and store the run."""
    started = time.perf_counter()
    if season is None:
        with engine.connect() as conn:
            season = conn.execute(_LATEST_SEASON).scalar()
        if season is None:
            raise CommandFailed("no games in the database: nothing to forecast "
                                "(load games with seed-demo, ingest, sync or refresh)")
    seed = seed if seed is not None else secrets.randbelow(2**63)
    data, source = read_season(engine, season, lock_wait=lock_wait)
    odds = simulate_odds(data, source, sims, seed)
    computed = time.perf_counter() - started  # stored with the run: reading and simulating
    stored = store_run(engine, data, source, sims=sims, seed=seed, seconds=computed, odds=odds)
    result = {"season": season, "sims": sims, "seed": seed, "model": source.model,
              "data_version": data.data_version, "games_remaining": data.games_remaining,
              "seconds": round(time.perf_counter() - started, 3), **stored}
    log.info("forecast stored", **{k: v for k, v in result.items() if k != "generated_at"})
    return result


_HAS_RUN = text("SELECT EXISTS (SELECT 1 FROM forecast_runs WHERE season = "
               "coalesce(:season, (SELECT max(season) FROM games)))")


def has_forecast(engine: Engine, season: int | None) -> bool:
    """Whether a run of ``season`` (default: the latest with games) is stored."""
    with engine.connect() as conn:
        return bool(conn.execute(_HAS_RUN, {"season": season}).scalar())


def forecast_cli(settings: Settings, *, season: int | None, sims: int, seed: int | None,
                 lock_wait: float) -> dict[str, Any]:
    with job_engine(settings, application_name="sports-analytics-forecast",
                    failure="forecast failed") as engine:
        result = run_forecast(engine, season, sims=sims, seed=seed, lock_wait=lock_wait)
    print(f"forecast: season {result['season']}, {result['sims']:,} simulations "
          f"(seed {result['seed']}, {result['model']}), {result['games_remaining']} games left, "
          f"run {result['run_id']} stored in {result['seconds']:.2f}s")
    return result
