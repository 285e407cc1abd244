"""The rules every writer follows (seed, CSV ingest, features, predictions, migrations).

* **Data version.** A write bumps ``data_version_seq`` inside its transaction
  (:func:`bump_data_version`) and once more after commit
  (:func:`bump_data_version_after_commit`). ETags embed the version (api/caching.py); the
  second bump invalidates ETags that a reader paired with the pre-commit version and the old rows.
* **Advisory locks.** Each kind of writer serialises on one key of :class:`LockKey`. The
  values are fixed: every copy of the service, old or new, must use the same keys.
* **Seasons** are start years between :data:`SEASON_MIN` and :data:`SEASON_MAX`.
* **Features.** :data:`FEATURE_COLUMNS` is the one list of ``game_features`` value columns.
* **Batch commands** get their engine from :func:`job_engine`, which maps database errors to
  the error hierarchy (and so to CLI exit codes).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Final

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError, OperationalError

from sports_analytics.config import Settings
from sports_analytics.db.deadline import WATCHDOG
from sports_analytics.db.engine import is_deadline_error, job_deadline_message, make_job_engine
from sports_analytics.db.errors import db_error_reason
from sports_analytics.exceptions import (
    CommandFailed,
    DatabaseUnavailable,
    SportsAnalyticsError,
)

SEASON_MIN, SEASON_MAX = 1946, 2100

FEATURE_COLUMNS = (
    "games_played", "win_pct_last5", "win_pct_last10", "point_diff_last5", "point_diff_last10",
    "season_win_pct", "h2h_win_pct", "h2h_avg_margin", "rest_days", "back_to_back",
    "off_rating_last5", "def_rating_last5", "pace_last5", "efg_pct_last5", "ts_pct_last5",
    "streak",
)


class LockKey:
    """PostgreSQL advisory-lock keys, one per kind of writer (plain ints: bind parameters)."""

    MIGRATION: Final = 7_351_940_021  # session lock around ``alembic upgrade``
    SEED: Final = 7_351_940_022  # demo seed: a second seeder waits, then finds the games
    FEATURES: Final = 7_351_940_101
    PREDICTIONS: Final = 7_351_940_102
    REFRESH: Final = 7_351_940_201  # session lock around ``refresh``: one run at a time
    FORECAST: Final = 7_351_940_301  # transaction lock around writing a forecast run


_RECORD_VERSION = text("INSERT INTO data_versions (version) VALUES (:v) ON CONFLICT DO NOTHING")
# Old rows go without waiting on a concurrent writer (SKIP LOCKED): only the newest matters.
_PRUNE_VERSIONS = text(
    "DELETE FROM data_versions WHERE version IN (SELECT version FROM data_versions "
    "WHERE version < :keep FOR UPDATE SKIP LOCKED)")


def bump_data_version(conn: Connection) -> int:
    """Advance the data version on ``conn`` (inside the writing transaction: a crash can't
    lose it) and return the new value.

    The value comes from ``data_version_seq`` and is recorded in ``data_versions``, which
    readers use (``max(version)``): a table row commits with the data it describes and a read
    replica replays it exactly, while a sequence is WAL-logged up to 32 values ahead, so a
    standby's ``last_value`` would not follow the writes."""
    version = int(conn.execute(text("SELECT nextval('data_version_seq')")).scalar_one())
    conn.execute(_RECORD_VERSION, {"v": version})
    if version % 100 == 0:
        conn.execute(_PRUNE_VERSIONS, {"keep": version - 100})
    return version


def bump_data_version_after_commit(engine: Engine) -> int:
    """The second bump, after the writing transaction committed."""
    with engine.begin() as conn:
        return bump_data_version(conn)


def copy_rows(conn: Connection, table: str, columns: Sequence[str],
              rows: Iterable[Sequence[object]]) -> None:
    """COPY rows into ``table`` on the connection's current transaction."""
    raw = conn.connection.driver_connection
    assert raw is not None
    sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    with raw.cursor() as cur, cur.copy(sql) as copy:
        for row in rows:
            copy.write_row(row)


ErrorMapper = Callable[[DBAPIError], SportsAnalyticsError | None]


@contextmanager
def job_engine(settings: Settings, *, application_name: str, failure: str,
               map_error: ErrorMapper | None = None) -> Iterator[Engine]:
    """An engine for one batch command, disposed afterwards.

    It runs under ``JOB_STATEMENT_TIMEOUT_MS`` rather than the API's per-request deadline. A
    database error leaves as one line of the error hierarchy: ``map_error`` may claim it first
    (an ingest maps constraint violations to bad data); then a deadline or any other failure is
    ``CommandFailed("<failure>: <reason>")`` (exit 1), an unreachable database is
    ``DatabaseUnavailable`` (exit 3).
    """
    engine = make_job_engine(settings, application_name=application_name)
    severed_before = WATCHDOG.severed
    try:
        yield engine
    except DBAPIError as exc:
        mapped = map_error(exc) if map_error is not None else None
        if mapped is not None:
            raise mapped from None
        if is_deadline_error(exc) or WATCHDOG.severed != severed_before:
            raise CommandFailed(f"{failure}: {job_deadline_message(settings)}") from None
        if isinstance(exc, OperationalError):
            raise DatabaseUnavailable(f"database unavailable: {db_error_reason(exc)}") from None
        raise CommandFailed(f"{failure}: {db_error_reason(exc)}") from None
    finally:
        engine.dispose()
