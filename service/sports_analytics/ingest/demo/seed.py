"""``sports-analytics seed-demo``: replace the data with the synthetic demo season(s).

One season is :mod:`.season`; ``--seasons N`` loads the history of :mod:`.history`;
``--as-of DATE`` the season around DATE, played up to the day before (:mod:`.as_of`).
"""

from __future__ import annotations

import datetime as dt
import time

import structlog
from sqlalchemy import text

from sports_analytics.config import Settings
from sports_analytics.db.writes import LockKey, bump_data_version_after_commit, job_engine
from sports_analytics.exceptions import CommandFailed
from sports_analytics.ingest.demo.as_of import load_as_of
from sports_analytics.ingest.demo.history import replace_with_history
from sports_analytics.ingest.demo.season import DEMO_SEASON, generate, load

log = structlog.get_logger(__name__)


def seed_demo(settings: Settings, force: bool = False, seasons: int = 1,
              as_of: dt.date | None = None) -> bool:
    """Load the synthetic demo season (or ``seasons`` consecutive ones, ending with it: see
    ingest/demo/history.py; or, with ``as_of``, the season around that day, played up to the
    day before: ingest/demo/as_of.py). Returns True if it loaded, False if games existed.

    With ``force`` every game, box score, player and derived row is replaced by the demo, in
    one transaction: readers see the old data or the new, never a mix.
    """
    if as_of is not None and seasons != 1:
        raise CommandFailed("--as-of loads one season; it cannot be combined with --seasons")
    started = time.monotonic()
    with job_engine(settings, application_name="sports-analytics-seed",
                    failure="demo seed failed") as engine:
        with engine.begin() as conn:
            # JOB_STATEMENT_TIMEOUT_MS bounds statements and the wait for a concurrent seeder
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": LockKey.SEED})
            has_games = conn.execute(text("SELECT EXISTS (SELECT 1 FROM games)")).scalar()
            if has_games and not force:
                log.info("demo seed skipped: games already exist (use --force to replace)")
                return False
            if as_of is not None:
                loaded = load_as_of(conn, as_of)
            elif seasons == 1:
                data = generate()
                load(conn, data)
                loaded = {"seasons": 1, "games": len(data.games), "players": len(data.players),
                          "player_lines": len(data.player_lines)}
            else:
                loaded = replace_with_history(conn, seasons)
        bump_data_version_after_commit(engine)
    log.info("demo season loaded (synthetic data)", **{"season": DEMO_SEASON, **loaded},
             replaced=bool(has_games), seconds=round(time.monotonic() - started, 2))
    return True
