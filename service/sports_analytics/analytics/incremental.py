"""Incremental analytics: recompute only what a change can affect, with results identical to a
full recompute (tests/analytics/test_incremental.py proves it on randomised histories).

* **Features.** A team's row for a game depends only on that team's final games of the same
  season on earlier dates (analytics/features.py). A change to game G (season S, date D)
  therefore invalidates the rows of G's two teams in season S dated D or later, and nothing
  else: those team-seasons are recomputed from D on.
* **Predictions.** Elo ratings and the home-court baseline flow through the whole league and
  into later seasons, so every game dated on or after the earliest changed date is rewritten.
  Forecasts before that date depend on nothing that changed; the earlier games are replayed in
  memory (cheap) but not written.

Entry points for writers that know what they changed (ingest, sync, refresh):

* ``recompute_after(conn, changed_game_ids, moved=())`` inside the caller's transaction (it
  bumps ``data_version_seq`` there; the caller bumps once more after commit);
* ``run_incremental(settings, changed_game_ids, moved=())`` in its own transaction, on a batch
  engine (``JOB_STATEMENT_TIMEOUT_MS``).

``changed_game_ids`` are games inserted or updated (scores, status, date, teams, box score).
``moved`` lists ``(team_id, season, old_date)`` for a game that was deleted, moved off a date or
lost a team: the ids only say where games are now.

Without ids (the ``features`` / ``predict`` commands without ``--full``), :func:`detect_changes`
takes games that have no rows yet, or whose ``games.updated_at`` is newer than their rows.

Change tracking keeps a watermark per kind (``analytics_snapshots`` ``watermark:features`` /
``watermark:predictions``): every game written before it has been examined, so detection only
looks at games with ``updated_at`` at or after it (an index range on ``games.updated_at``).
Without it, detection fell back on the oldest row's timestamp: after a bulk import into a
database with older analytics that bound stays before every imported game, and each plain run
re-examined all of them (45 s for 30 imported seasons on the demo). The watermark advances
after a detection run, and after a writer's recompute when nothing else was pending. A bulk
recompute also refreshes the planner's statistics of the table it rewrote.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, text

from sports_analytics.analytics.elo import ELO_V1, EloParams
from sports_analytics.analytics.features import lock_features, write_features
from sports_analytics.analytics.predictions import MODELS, lock_predictions, write_predictions
from sports_analytics.analytics.watermark import (
    KINDS,
    advance_if_current,
    advance_watermark,
    analyze_if_stale,
    watermark,
)
from sports_analytics.config import Settings
from sports_analytics.db.writes import (
    bump_data_version,
    bump_data_version_after_commit,
    job_engine,
)

Moved = tuple[int, int, dt.date]  # team_id, season, the date the team's game used to be on

_SCOPE_TABLE = """
CREATE TEMP TABLE IF NOT EXISTS feature_scope (
    team_id smallint NOT NULL, season smallint NOT NULL, from_date date NOT NULL,
    PRIMARY KEY (team_id, season)) ON COMMIT DROP
"""

_FILL_SCOPE = """
INSERT INTO feature_scope (team_id, season, from_date)
SELECT team_id, season, min(date) FROM (
    SELECT home_team_id AS team_id, season, date FROM games WHERE id = ANY(:ids)
    UNION ALL
    SELECT away_team_id, season, date FROM games WHERE id = ANY(:ids)
    UNION ALL
    SELECT * FROM unnest(CAST(:m_team AS smallint[]), CAST(:m_season AS smallint[]),
                         CAST(:m_date AS date[]))
) x GROUP BY team_id, season
"""

# A game that changed teams must not keep a row for a team that no longer plays in it.
_DELETE_ORPHANS = """
DELETE FROM game_features f USING games g
WHERE g.id = f.game_id AND g.id = ANY(:ids) AND f.team_id NOT IN (g.home_team_id, g.away_team_id)
"""

_EARLIEST = "SELECT min(date) FROM games WHERE id = ANY(:ids)"

# Keeps detect_changes from finding a game again once its unchanged predictions were checked.
_TOUCH_PREDICTIONS = """
UPDATE predictions p SET created_at = now() FROM games g
WHERE g.id = p.game_id AND g.id = ANY(:ids) AND p.created_at < g.updated_at
"""

# Games written since the watermark (all games without one) that have no rows at all, plus
# those (or, without a watermark, every game written after the oldest row) whose rows are
# incomplete or older than the game: an index range on games.updated_at, empty when nothing
# changed. Rows disappear only with their game or in a rewrite that stamps it again.
_DETECT = """
WITH recent AS (
    SELECT g.id, g.updated_at FROM games g
    WHERE g.updated_at >= greatest(CAST(:since AS timestamptz),
                                   (SELECT min({stamp}) FROM {table}), '-infinity')
)
SELECT g.id FROM games g
WHERE g.updated_at >= coalesce(CAST(:since AS timestamptz), '-infinity')
  AND NOT EXISTS (SELECT 1 FROM {table} x WHERE x.game_id = g.id)
UNION
SELECT r.id FROM recent r
WHERE (SELECT count(*) FROM {table} x WHERE x.game_id = r.id) < :rows
   OR r.updated_at > (SELECT min({stamp}) FROM {table} x WHERE x.game_id = r.id)
"""
_DETECT_FEATURES = _DETECT.format(table="game_features", stamp="computed_at")
_DETECT_PREDICTIONS = _DETECT.format(table="predictions", stamp="created_at")

# Detection examines the games written since the watermark one by one; when they are most of
# the games (no watermark yet, after a bulk load), recomputing everything costs less.
FALLBACK_SHARE = 0.5
_CANDIDATES = """
SELECT count(*) > :share * greatest((SELECT reltuples FROM pg_class
                                     WHERE oid = CAST('games' AS regclass)), 1)
FROM games WHERE updated_at >= greatest(CAST(:since AS timestamptz),
                                        (SELECT min({stamp}) FROM {table}), '-infinity')
"""
_TOO_MANY = {"features": _CANDIDATES.format(table="game_features", stamp="computed_at"),
             "predictions": _CANDIDATES.format(table="predictions", stamp="created_at")}

# A game that changed teams was stamped when it did: since the watermark, like the above.
_DETECT_ORPHANS = """
SELECT f.team_id, g.season, g.date FROM game_features f JOIN games g ON g.id = f.game_id
WHERE g.updated_at >= coalesce(CAST(:since AS timestamptz), '-infinity')
  AND f.team_id NOT IN (g.home_team_id, g.away_team_id)
"""

def _moved_params(moved: Sequence[Moved]) -> dict[str, list[Any]]:
    return {"m_team": [m[0] for m in moved], "m_season": [m[1] for m in moved],
            "m_date": [m[2] for m in moved]}


def recompute_features_after(conn: Connection, changed_game_ids: Iterable[int],
                             moved: Iterable[Moved] = ()) -> int:
    """Rewrite the feature rows a change can affect; returns rows written."""
    ids, moved_list = sorted(set(changed_game_ids)), list(moved)
    if not ids and not moved_list:
        return 0
    lock_features(conn)
    conn.execute(text(_SCOPE_TABLE))
    conn.execute(text("TRUNCATE feature_scope"))
    conn.execute(text(_FILL_SCOPE), {"ids": ids, **_moved_params(moved_list)})
    conn.execute(text("ANALYZE feature_scope"))  # so the planner sees a handful of rows
    conn.execute(text(_DELETE_ORPHANS), {"ids": ids})
    rows = write_features(conn, "scope")
    analyze_if_stale(conn, "game_features", rows)
    return rows


def recompute_predictions_after(conn: Connection, changed_game_ids: Iterable[int],
                                moved: Iterable[Moved] = (),
                                params: EloParams = ELO_V1) -> dict[str, int]:
    """Rewrite predictions of every game on or after the earliest changed date."""
    ids = sorted(set(changed_game_ids))
    dates = [m[2] for m in moved]
    if ids:
        earliest = conn.execute(text(_EARLIEST), {"ids": ids}).scalar()
        if earliest is not None:
            dates.append(earliest)
    if not dates:
        return {"games": 0, "rows": 0, "changed": 0}
    lock_predictions(conn)
    result = write_predictions(conn, params, since=min(dates))
    if ids:
        conn.execute(text(_TOUCH_PREDICTIONS), {"ids": ids})
    analyze_if_stale(conn, "predictions", result["changed"])
    return result


def recompute_after(conn: Connection, changed_game_ids: Iterable[int],
                    moved: Iterable[Moved] = (), params: EloParams = ELO_V1) -> dict[str, int]:
    """Features, then predictions, for a change, in the caller's transaction.

    Bumps ``data_version_seq`` when anything was written; bump once more after commit (the
    convention in api/caching.py). Returns ``feature_rows``, ``prediction_games`` and
    ``prediction_changed``.
    """
    ids, moved_list = list(changed_game_ids), list(moved)
    feature_rows = recompute_features_after(conn, ids, moved_list)
    predicted = recompute_predictions_after(conn, ids, moved_list, params)
    for what in KINDS:
        advance_if_current(conn, what)
    if feature_rows or predicted["changed"]:
        bump_data_version(conn)
    return {"feature_rows": feature_rows, "prediction_games": predicted["games"],
            "prediction_changed": predicted["changed"]}


def run_incremental(settings: Settings, changed_game_ids: Iterable[int],
                    moved: Iterable[Moved] = ()) -> dict[str, int]:
    """:func:`recompute_after` in its own transaction on a batch engine."""
    with job_engine(settings, application_name="sports-analytics-analytics",
                        failure="analytics recompute failed") as engine:
        with engine.begin() as conn:
            result = recompute_after(conn, changed_game_ids, moved)
        if result["feature_rows"] or result["prediction_changed"]:
            bump_data_version_after_commit(engine)
    return result


def detect_changes(conn: Connection, what: str) -> tuple[list[int], list[Moved]]:
    """Games whose ``what`` (``features`` or ``predictions``) rows are missing or older than
    the game, plus the old positions of rows left on a game that changed teams."""
    since = watermark(conn, what)
    if what == "features":
        ids = list(conn.execute(text(_DETECT_FEATURES), {"rows": 2, "since": since}).scalars())
        moved = [(int(t), int(s), d)
                 for t, s, d in conn.execute(text(_DETECT_ORPHANS), {"since": since})]
        return ids, moved
    return list(conn.execute(text(_DETECT_PREDICTIONS),
                             {"rows": len(MODELS), "since": since}).scalars()), []


def detection_costs_more(conn: Connection, what: str) -> bool:
    """True when detection would examine more games than a full recompute is worth."""
    return bool(conn.execute(text(_TOO_MANY[what]), {"share": FALLBACK_SHARE,
                                                      "since": watermark(conn, what)}).scalar())


def _has_games(conn: Connection) -> bool:
    return bool(conn.execute(text("SELECT EXISTS (SELECT 1 FROM games)")).scalar())


def incremental_features(engine: Any) -> dict[str, int] | None:
    """Detect and recompute changed feature rows in one transaction; None when no games."""
    with engine.begin() as conn:
        lock_features(conn)
        if not _has_games(conn):
            return None
        ids: list[int] = []
        if detection_costs_more(conn, "features"):
            rows = write_features(conn, "all")
            analyze_if_stale(conn, "game_features", rows)
        else:
            ids, moved = detect_changes(conn, "features")
            rows = recompute_features_after(conn, ids, moved)
        advance_watermark(conn, "features")
        if rows:
            bump_data_version(conn)
    if rows:
        bump_data_version_after_commit(engine)
    return {"changed_games": len(ids), "rows": rows}


def incremental_predictions(engine: Any, params: EloParams = ELO_V1) -> dict[str, int] | None:
    """Detect and recompute changed predictions in one transaction; None when no games."""
    with engine.begin() as conn:
        lock_predictions(conn)
        if not _has_games(conn):
            return None
        ids: list[int] = []
        if detection_costs_more(conn, "predictions"):
            result = write_predictions(conn, params)
            analyze_if_stale(conn, "predictions", result["changed"])
        else:
            ids, _ = detect_changes(conn, "predictions")
            result = recompute_predictions_after(conn, ids, (), params)
        advance_watermark(conn, "predictions")
        if result["changed"]:
            bump_data_version(conn)
    if result["changed"]:
        bump_data_version_after_commit(engine)
    return {"changed_games": len(ids), **result}
