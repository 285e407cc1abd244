"""The ``features`` and ``predict`` commands: change detection by default, full on request.

Without ``--full`` or ``--season`` only what changed since the last run is recomputed
(:mod:`.incremental`); otherwise a season, or everything, is rewritten (:mod:`.features`,
:mod:`.predictions`).
"""

from __future__ import annotations

import time

import structlog

from sports_analytics.analytics.features import compute_features
from sports_analytics.analytics.incremental import incremental_features, incremental_predictions
from sports_analytics.analytics.predictions import run_predictions
from sports_analytics.config import Settings
from sports_analytics.db.writes import job_engine
from sports_analytics.exceptions import CommandFailed

log = structlog.get_logger(__name__)


def no_games_message(season: int | None) -> str:
    where = "" if season is None else f" in season {season}"
    return f"no games{where}; load some with `sports-analytics seed-demo` or `ingest PATH`"


def compute_features_cli(settings: Settings, season: int | None = None,
                         full: bool = False) -> int:
    """``features``: only games whose inputs changed, unless ``full`` or a ``season`` is given."""
    started = time.perf_counter()
    incremental = season is None and not full
    with job_engine(settings, application_name="sports-analytics-features",
                        failure="feature computation failed") as engine:
        result = incremental_features(engine) if incremental else None
        rows = result["rows"] if result else 0 if incremental else compute_features(engine, season)
    if (incremental and result is None) or (not incremental and rows == 0):
        raise CommandFailed(no_games_message(season))
    elapsed = time.perf_counter() - started
    mode = "incremental" if incremental else "full"
    log.info("features computed", season=season, rows=rows, mode=mode,
             seconds=round(elapsed, 3))
    print(f"features: {rows} team-game rows"
          f"{'' if season is None else f' for season {season}'} ({mode}) in {elapsed:.2f}s")
    return rows


def run_predictions_cli(settings: Settings, season: int | None = None,
                        full: bool = False) -> dict[str, int]:
    """``predict``: only games on or after the earliest changed one, unless ``full``/``season``."""
    started = time.perf_counter()
    incremental = season is None and not full
    with job_engine(settings, application_name="sports-analytics-predict",
                        failure="prediction run failed") as engine:
        found = incremental_predictions(engine) if incremental else run_predictions(engine, season)
    if found is None or (not incremental and found["games"] == 0):
        raise CommandFailed(no_games_message(season))
    result = {k: found[k] for k in ("games", "rows", "changed")}
    elapsed = time.perf_counter() - started
    mode = "incremental" if incremental else "full"
    log.info("predictions computed", season=season, seconds=round(elapsed, 3), mode=mode,
             **result)
    print(f"predict: {result['games']} games, {result['changed']} of {result['rows']} "
          f"prediction rows changed ({mode}) in {elapsed:.2f}s")
    return result
