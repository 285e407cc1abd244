"""``sports-analytics ingest PATH``: import finished games from a team game-log CSV.

The whole file is validated first (:mod:`.game_log`); any bad row aborts before the database
is touched. The load itself is one transaction (COPY into a temporary table, then set-based
upserts keyed on the file's ``game_id``), so a failure there also leaves the database as it
was. Rows identical to what is stored are not rewritten: importing the same file twice changes
nothing, and the data version is bumped only when something changed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import structlog
from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from sports_analytics.config import Settings
from sports_analytics.db.errors import db_error_reason
from sports_analytics.db.writes import (
    bump_data_version,
    bump_data_version_after_commit,
    copy_rows,
    job_engine,
)
from sports_analytics.exceptions import IngestError
from sports_analytics.ingest.csv.game_log import STAT_COLUMNS, Row, validate
from sports_analytics.ingest.teams import ensure_teams

log = structlog.get_logger(__name__)

STAGE_COLUMNS = ("line", "season", "date", "external_id", "team_id", "opp_id", "is_home",
                 "neutral", "minutes", *STAT_COLUMNS)

@dataclass(frozen=True)
class IngestSummary:
    path: str
    rows: int
    games: int
    games_inserted: int
    games_updated: int
    team_lines_written: int
    data_version: int | None

    @property
    def changed(self) -> bool:
        return bool(self.games_inserted or self.games_updated or self.team_lines_written)


_UPSERT_GAMES = """
INSERT INTO games AS g (season, date, home_team_id, away_team_id, home_score, away_score,
                        status, external_id, neutral_site)
SELECT h.season, h.date, h.team_id, h.opp_id, h.pts, a.pts, 'final', h.external_id, h.neutral
FROM ingest_rows h JOIN ingest_rows a ON a.external_id = h.external_id AND NOT a.is_home
WHERE h.is_home
ON CONFLICT (external_id) DO UPDATE SET
    season = EXCLUDED.season, date = EXCLUDED.date, home_team_id = EXCLUDED.home_team_id,
    away_team_id = EXCLUDED.away_team_id, home_score = EXCLUDED.home_score,
    away_score = EXCLUDED.away_score, status = EXCLUDED.status,
    neutral_site = EXCLUDED.neutral_site, updated_at = now()
WHERE (g.season, g.date, g.home_team_id, g.away_team_id, g.home_score, g.away_score, g.status,
       g.neutral_site)
      IS DISTINCT FROM (EXCLUDED.season, EXCLUDED.date, EXCLUDED.home_team_id,
                        EXCLUDED.away_team_id, EXCLUDED.home_score, EXCLUDED.away_score,
                        EXCLUDED.status, EXCLUDED.neutral_site)
RETURNING (xmax = 0) AS inserted
"""

_LINE_COLUMNS = {  # team_game_stats column -> staging expression
    "minutes": "r.minutes", "points": "r.pts", "rebounds": "r.reb",
    "offensive_rebounds": "r.oreb", "assists": "r.ast", "steals": "r.stl", "blocks": "r.blk",
    "turnovers": "r.tov", "fouls": "r.pf", "fgm": "r.fgm", "fga": "r.fga", "fg3m": "r.fg3m",
    "fg3a": "r.fg3a", "ftm": "r.ftm", "fta": "r.fta", "plus_minus": "r.pts - o.pts",
}
_UPSERT_LINES = f"""
INSERT INTO team_game_stats AS s (game_id, team_id, is_home, {", ".join(_LINE_COLUMNS)})
SELECT g.id, r.team_id, r.is_home, {", ".join(_LINE_COLUMNS.values())}
FROM ingest_rows r
JOIN ingest_rows o ON o.external_id = r.external_id AND o.is_home <> r.is_home
JOIN games g ON g.external_id = r.external_id
ON CONFLICT (game_id, team_id) DO UPDATE SET
    is_home = EXCLUDED.is_home, {", ".join(f"{c} = EXCLUDED.{c}" for c in _LINE_COLUMNS)}
WHERE (s.is_home, {", ".join(f"s.{c}" for c in _LINE_COLUMNS)})
      IS DISTINCT FROM (EXCLUDED.is_home, {", ".join(f"EXCLUDED.{c}" for c in _LINE_COLUMNS)})
RETURNING s.id
"""  # noqa: S608 (fixed column names only)

# A re-imported game whose teams changed must not keep lines of a team no longer in it.
_DELETE_STALE = """
DELETE FROM {table} s USING games g, ingest_rows r
WHERE r.is_home AND g.external_id = r.external_id AND s.game_id = g.id
  AND s.team_id NOT IN (g.home_team_id, g.away_team_id)
"""

_CONFLICTS = """
SELECT r.line, g.id, g.external_id FROM ingest_rows r
JOIN games g ON g.season = r.season AND g.date = r.date AND g.home_team_id = r.team_id
WHERE r.is_home AND g.external_id IS DISTINCT FROM r.external_id
ORDER BY r.line LIMIT 1
"""


def load_games(conn: Connection, path: Path,
               games: list[tuple[Row, Row]]) -> tuple[int, int, int]:
    """Upsert ``games``; returns (games inserted, games updated, team lines written)."""
    team_ids = ensure_teams(conn)
    for home, away in games:  # in file order: the first bad line is the one reported
        for row in sorted((home, away), key=lambda r: r.line):
            for name, abbr in (("team", row.team), ("opponent", row.opponent)):
                if abbr not in team_ids:
                    raise IngestError(f"{path}:{row.line}: unknown {name} {abbr!r} "
                                      f"(not in the teams table)")
    conn.execute(text(f"CREATE TEMP TABLE ingest_rows (line int, season int, date date, "
                      f"external_id text, team_id smallint, opp_id smallint, is_home boolean, "
                      f"neutral boolean, "
                      f"minutes numeric(5,1), {', '.join(f'{c} int' for c in STAT_COLUMNS)}) "
                      f"ON COMMIT DROP"))
    copy_rows(conn, "ingest_rows", STAGE_COLUMNS, (
        (r.line, r.season, r.date, r.external_id, team_ids[r.team], team_ids[r.opponent],
         r.is_home, r.neutral, r.minutes, *(r.stats[c] for c in STAT_COLUMNS))
        for pair in games for r in pair))
    conflict = conn.execute(text(_CONFLICTS)).first()
    if conflict:
        line, game_id, other = conflict
        raise IngestError(f"{path}:{line}: the home team already has game {game_id} "
                          f"(external id {other or 'none'}) on that date")
    changed_games = conn.execute(text(_UPSERT_GAMES)).scalars().all()
    inserted = sum(1 for x in changed_games if x)
    updated = len(changed_games) - inserted
    for table in ("team_game_stats", "player_game_stats"):
        conn.execute(text(_DELETE_STALE.format(table=table)))
    lines = len(conn.execute(text(_UPSERT_LINES)).scalars().all())
    return inserted, updated, lines


def ingest_csv(settings: Settings, path: str | Path) -> IngestSummary:
    """Validate ``path`` completely, then load it in one transaction. Raises IngestError."""
    started = time.monotonic()
    path = Path(path)
    games = validate(path)
    rows = 2 * len(games)
    version: int | None = None

    def rejected(exc: DBAPIError) -> IngestError | None:
        if isinstance(exc, IntegrityError):  # a constraint the file's data breaks
            return IngestError(f"{path}: the database rejected the data: {db_error_reason(exc)}")
        return None

    with job_engine(settings, application_name="sports-analytics-ingest",
                    failure=f"{path}: import failed", map_error=rejected) as engine:
        with engine.begin() as conn:
            # wait for a concurrent writer (a seed's TRUNCATE, another import), not 5 s
            conn.execute(text("SET LOCAL lock_timeout = '120s'"))
            inserted, updated, lines = load_games(conn, path, games)
            if inserted or updated or lines:
                bump_data_version(conn)
                conn.execute(text("ANALYZE games, team_game_stats"))
        if inserted or updated or lines:
            version = bump_data_version_after_commit(engine)
    summary = IngestSummary(str(path), rows, len(games), inserted, updated, lines, version)
    log.info("ingest complete", path=str(path), rows=rows, games=len(games),
             games_inserted=inserted, games_updated=updated, team_lines_written=lines,
             unchanged=not summary.changed, seconds=round(time.monotonic() - started, 2))
    return summary
