"""``sports-analytics refresh``: the nightly job. Sync (or a CSV directory), features,
predictions, then, when the data changed, training (modeling/) and the season forecast
(forecast/).

* **One at a time.** The run holds the session advisory lock ``LockKey.REFRESH`` from start to
  end. A second refresh started meanwhile exits 0 with "refresh already running" (or, with
  ``wait=True``, waits for the first to finish and then runs).
* **All or nothing.** The data and the analytics it affects are written in one transaction
  (see :mod:`sports_analytics.ingest.nba.sync`); a failure leaves every data table as it was.
* **Recorded.** Each run that got the lock is a ``refresh_runs`` row: inserted as ``running``
  and committed before any work, closed with ``success`` or ``failed``, its counts and the
  data version it left. A run that found nothing new bumps no data version, so ETags stay valid.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import structlog
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

from sports_analytics.config import Settings
from sports_analytics.db.errors import db_error_reason
from sports_analytics.db.writes import LockKey, job_engine
from sports_analytics.exceptions import SportsAnalyticsError

log = structlog.get_logger(__name__)

EASTERN = ZoneInfo("America/New_York")

_START = """
INSERT INTO refresh_runs (source, season) VALUES (:source, :season) RETURNING id
"""
_FINISH = """
UPDATE refresh_runs SET finished_at = clock_timestamp(), outcome = :outcome,
       counts = CAST(:counts AS jsonb), error = :error,
       data_version = (SELECT max(version) FROM data_versions)
WHERE id = :id
"""


# The data version ETags carry (db/writes.py); a run that wrote nothing leaves it as it was.
_CURRENT_VERSION = "SELECT coalesce(max(version), 0) FROM data_versions"


def current_season(today: dt.date | None = None) -> int:
    """The season under way (or about to start) on ``today``, in US Eastern time."""
    day = today or dt.datetime.now(EASTERN).date()
    return day.year if day.month >= 7 else day.year - 1


@contextmanager
def refresh_lock(engine: Engine, *, wait: bool) -> Iterator[bool]:
    """Hold ``LockKey.REFRESH`` on a dedicated connection; yields False if another run has it."""
    with engine.connect() as conn:
        if wait:
            conn.execute(text("SET lock_timeout = 0"))
            conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": LockKey.REFRESH})
            got = True
        else:
            got = bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"),
                                    {"k": LockKey.REFRESH}).scalar())
        conn.commit()  # the session lock outlives this transaction
        try:
            yield got
        finally:
            if got:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": LockKey.REFRESH})
                conn.commit()


# Under the lock no other run is alive: a row still "running" is from a killed process.
_CLOSE_ORPHANS = """
UPDATE refresh_runs SET outcome = 'failed', finished_at = clock_timestamp(),
       error = 'interrupted: the process ended before the run finished'
WHERE outcome = 'running'
"""


def _record_start(engine: Engine, source: str, season: int | None) -> int:
    with engine.begin() as conn:
        conn.execute(text(_CLOSE_ORPHANS))
        return int(conn.execute(text(_START), {"source": source, "season": season}).scalar_one())


def _record_finish(engine: Engine, run_id: int, outcome: str, counts: dict[str, Any],
                   error: str | None) -> None:
    with engine.begin() as conn:
        conn.execute(text(_FINISH), {"id": run_id, "outcome": outcome, "error": error,
                                     "counts": json.dumps(counts, default=str)})


def _record_failure(engine: Engine, run_id: int, exc: BaseException) -> None:
    """Close the run as failed; a second failure (database gone) must not hide the first."""
    if isinstance(exc, SportsAnalyticsError):
        reason = str(exc)
    elif isinstance(exc, DBAPIError):
        reason = f"database error: {db_error_reason(exc)}"
    else:
        reason = f"internal error ({type(exc).__name__})"
    try:
        _record_finish(engine, run_id, "failed", {}, reason)
    except Exception as second:
        log.warning("refresh failure not recorded", run_id=run_id,
                    error=db_error_reason(second) if isinstance(second, DBAPIError)
                    else type(second).__name__)


def _run(settings: Settings, engine: Engine, *, from_csv: Path | None, season: int,
         season_type: str, full: bool) -> dict[str, Any]:
    if from_csv is not None:
        from sports_analytics.ingest.csv.catchup import import_directory

        return import_directory(settings, from_csv, engine=engine)
    from sports_analytics.ingest.nba.sync import sync_season

    previous = None if full else _previous_counts(engine, season, season_type)
    summary = sync_season(settings, season, season_type, full=full, engine=engine,
                          previous=previous)
    return summary.counts()


# The last successful stats-API run of this season, if no write of any kind happened since
# (the data version it left is still the current one).
_PREVIOUS = """
SELECT r.counts FROM refresh_runs r
WHERE r.outcome = 'success' AND r.source = 'nba_stats' AND r.season = :season
  AND r.counts ->> 'season_type' = :season_type
  AND r.data_version = (SELECT max(version) FROM data_versions)
  AND r.id = (SELECT max(id) FROM refresh_runs WHERE outcome = 'success')
"""


def _previous_counts(engine: Engine, season: int, season_type: str) -> dict[str, Any] | None:
    with engine.connect() as conn:
        row = conn.execute(text(_PREVIOUS), {"season": season,
                                             "season_type": season_type}).first()
    return dict(row[0]) if row else None


def refresh(settings: Settings, *, from_csv: str | Path | None = None, season: int | None = None,
            season_type: str = "regular", full: bool = False,
            wait: bool = False) -> dict[str, Any]:
    """One refresh run; returns its outcome and counts. Raises on failure (after recording)."""
    started = time.monotonic()
    source = "csv" if from_csv is not None else "nba_stats"
    season = season if season is not None else (None if from_csv else current_season())
    with job_engine(settings, application_name="sports-analytics-refresh",
                    failure="refresh failed") as engine, refresh_lock(engine, wait=wait) as got:
        if not got:
            log.info("refresh already running", source=source, season=season)
            return {"outcome": "skipped"}
        run_id = _record_start(engine, source, season)
        try:
            before = _data_version(engine)
            counts = _run(settings, engine, from_csv=Path(from_csv) if from_csv else None,
                          season=season or current_season(), season_type=season_type, full=full)
            changed = _data_version(engine) != before
            counts["models"] = _train(engine, changed=changed)
            counts["forecast"] = _forecast(engine, season, changed=changed)
        except BaseException as exc:
            _record_failure(engine, run_id, exc)
            raise
        _record_finish(engine, run_id, "success", counts, None)
        version = _data_version(engine)
    seconds = round(time.monotonic() - started, 3)
    log.info("refresh complete", run_id=run_id, source=source, season=season,
             data_version=version, seconds=seconds)
    return {"outcome": "success", "run_id": run_id, "counts": counts, "seconds": seconds,
            "data_version": version}


def _train(engine: Engine, *, changed: bool) -> dict[str, Any]:
    """After the predictions: new versions of the trained models when the data changed
    (modeling/train.py); the forecast that follows reads the best current rating model."""
    from sports_analytics.modeling.commands import train_after_refresh

    return train_after_refresh(engine, changed=changed)


def _forecast(engine: Engine, season: int | None, *, changed: bool) -> dict[str, Any]:
    """After the predictions: a new season forecast when the data changed (or the season has
    none yet). A season that cannot be forecast (no games, too few teams) is skipped, with
    the reason in the run's counts; the refresh itself succeeded."""
    from sports_analytics.exceptions import CommandFailed
    from sports_analytics.forecast.run import has_forecast, run_forecast

    if not changed and has_forecast(engine, season):
        return {"skipped": "no new data since the last forecast"}
    try:
        done = run_forecast(engine, season)
    except CommandFailed as exc:
        log.warning("forecast skipped", season=season, reason=str(exc))
        return {"skipped": str(exc)}
    return {k: done[k] for k in ("run_id", "season", "sims", "games_remaining", "model",
                                 "seconds")}


def _data_version(engine: Engine) -> int:
    with engine.connect() as conn:
        return _last_version(conn)


def _last_version(conn: Connection) -> int:
    return int(conn.execute(text(_CURRENT_VERSION)).scalar_one())
