"""Write a validated season (:class:`SyncData`) in the caller's transaction, set-based.

Everything goes through temporary staging tables (COPY) and upserts guarded by
``IS DISTINCT FROM``: a row identical to what is stored is not rewritten, so a second sync of
the same data touches nothing (not even ``games.updated_at``). Games are keyed on the
league's game id (``games.external_id``): a scheduled game that goes final, or moves to
another date, is updated in place and keeps its internal id. A stored final is never turned
back into a scheduled game (the schedule can say "final" before the box score is out).

:func:`write_synced` is what every source calls (``sync``, ``refresh``, the CSV import): the
season's rows, then the analytics the changed games affect (ingest/affected.py), then the data
version, all in the caller's transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, astuple, dataclass, field
from typing import Any

from sqlalchemy import Connection, text

from sports_analytics.db.writes import bump_data_version, copy_rows
from sports_analytics.exceptions import UpstreamDataError
from sports_analytics.ingest.affected import recompute_affected
from sports_analytics.ingest.store.records import STAT_NAMES, Bio, SyncData
from sports_analytics.ingest.teams import ensure_teams

BOX = {"points": "pts", "rebounds": "reb", "offensive_rebounds": "oreb", "assists": "ast",
       "steals": "stl", "blocks": "blk", "turnovers": "tov", "fouls": "pf", "fgm": "fgm",
       "fga": "fga", "fg3m": "fg3m", "fg3a": "fg3a", "ftm": "ftm", "fta": "fta"}
_STATS_DDL = ", ".join(f"{s} int" for s in STAT_NAMES)

# Created once per transaction and emptied for each season written in it: a set of files
# spanning several seasons is written season by season in one transaction.
_STAGE = f"""
CREATE TEMP TABLE IF NOT EXISTS sync_games (external_id text, season int, date date,
    home_id smallint, away_id smallint, home_score int, away_score int, status text,
    tipoff_at timestamptz, neutral_site bool) ON COMMIT DROP;
CREATE TEMP TABLE IF NOT EXISTS sync_lines (external_id text, player text, team_id smallint,
    is_home bool, minutes numeric(5,1), plus_minus int, {_STATS_DDL}) ON COMMIT DROP;
CREATE TEMP TABLE IF NOT EXISTS sync_players (external_id text, first_name text,
    last_name text, team_id smallint, position text, jersey_number smallint, height_cm smallint)
    ON COMMIT DROP;
TRUNCATE sync_games, sync_lines, sync_players
"""

_CONFLICT = """
SELECT s.external_id, g.external_id FROM sync_games s
JOIN games g ON g.season = s.season AND g.date = s.date AND g.home_team_id = s.home_id
WHERE g.external_id IS DISTINCT FROM s.external_id LIMIT 1
"""

_GAMES = """
INSERT INTO games AS g (season, date, home_team_id, away_team_id, home_score, away_score,
                        status, external_id, tipoff_at, neutral_site)
SELECT season, date, home_id, away_id, home_score, away_score, status, external_id, tipoff_at,
       neutral_site
FROM sync_games
ON CONFLICT (external_id) DO UPDATE SET
    season = EXCLUDED.season, date = EXCLUDED.date, home_team_id = EXCLUDED.home_team_id,
    away_team_id = EXCLUDED.away_team_id, home_score = EXCLUDED.home_score,
    away_score = EXCLUDED.away_score, status = EXCLUDED.status,
    tipoff_at = EXCLUDED.tipoff_at, neutral_site = EXCLUDED.neutral_site, updated_at = now()
WHERE NOT (g.status = 'final' AND EXCLUDED.status <> 'final')
  AND (g.season, g.date, g.home_team_id, g.away_team_id, g.home_score, g.away_score,
       g.status, g.tipoff_at, g.neutral_site)
      IS DISTINCT FROM (EXCLUDED.season, EXCLUDED.date, EXCLUDED.home_team_id,
                        EXCLUDED.away_team_id, EXCLUDED.home_score, EXCLUDED.away_score,
                        EXCLUDED.status, EXCLUDED.tipoff_at, EXCLUDED.neutral_site)
RETURNING g.id, (xmax = 0) AS inserted
"""

# Where a rescheduled game (or one whose teams changed) used to be, for the analytics.
_MOVED = """
SELECT t.team_id, g.season, g.date FROM games g JOIN sync_games s ON s.external_id = g.external_id
CROSS JOIN LATERAL (VALUES (g.home_team_id), (g.away_team_id)) AS t(team_id)
WHERE (g.season, g.date, g.home_team_id, g.away_team_id, g.neutral_site)
      IS DISTINCT FROM (s.season, s.date, s.home_id, s.away_id, s.neutral_site)
  AND NOT (g.status = 'final' AND s.status <> 'final')
"""

# A scheduled game the league schedule no longer lists was postponed (or cancelled; the
# schedule would say so while it still listed it): kept, off the upcoming games, until it
# comes back with a date under the same id. Finals are never touched.
_OFF_SCHEDULE = """
UPDATE games g SET status = 'postponed', updated_at = now()
WHERE g.season = :season AND g.status = 'scheduled'
  AND left(g.external_id, 3) = ANY(:prefixes)
  AND NOT EXISTS (SELECT 1 FROM sync_games s WHERE s.external_id = g.external_id)
RETURNING g.id
"""

# Position, jersey and height come from the player index; a source without them (a CSV)
# keeps what is stored.
_PLAYERS = """
INSERT INTO players AS p (external_id, first_name, last_name, team_id, position, jersey_number,
                          height_cm)
SELECT external_id, first_name, last_name, team_id, position, jersey_number, height_cm
FROM sync_players
ON CONFLICT (external_id) DO UPDATE SET
    first_name = EXCLUDED.first_name, last_name = EXCLUDED.last_name, team_id = EXCLUDED.team_id,
    position = coalesce(EXCLUDED.position, p.position),
    jersey_number = coalesce(EXCLUDED.jersey_number, p.jersey_number),
    height_cm = coalesce(EXCLUDED.height_cm, p.height_cm)
WHERE (p.first_name, p.last_name, p.team_id, p.position, p.jersey_number, p.height_cm)
      IS DISTINCT FROM (EXCLUDED.first_name, EXCLUDED.last_name, EXCLUDED.team_id,
                        coalesce(EXCLUDED.position, p.position),
                        coalesce(EXCLUDED.jersey_number, p.jersey_number),
                        coalesce(EXCLUDED.height_cm, p.height_cm))
RETURNING p.id
"""


def _lines_sql(table: str, key: str) -> str:
    player = table == "player_game_stats"
    cols = {"minutes": "l.minutes", "plus_minus": "coalesce(l.plus_minus, 0)",
            **{c: f"l.{s}" for c, s in BOX.items()}}
    ident = "p.id, l.team_id" if player else "l.team_id, l.is_home"
    ident_cols = "player_id, team_id" if player else "team_id, is_home"
    join = "JOIN players p ON p.external_id = l.player" if player else ""
    where = "l.player IS NOT NULL" if player else "l.player IS NULL"
    compare = ["team_id"] if player else ["is_home"]
    compare += list(cols)
    return f"""
INSERT INTO {table} AS s (game_id, {ident_cols}, {", ".join(cols)})
SELECT g.id, {ident}, {", ".join(cols.values())}
FROM sync_lines l JOIN games g ON g.external_id = l.external_id {join}
WHERE {where}
ON CONFLICT ({key}) DO UPDATE SET {", ".join(f"{c} = EXCLUDED.{c}" for c in compare)}
WHERE ({", ".join(f"s.{c}" for c in compare)})
      IS DISTINCT FROM ({", ".join(f"EXCLUDED.{c}" for c in compare)})
RETURNING s.game_id
"""  # noqa: S608 (fixed column names only)


# Lines stored for a synced final that upstream no longer lists (a corrected box score).
_STALE = """
DELETE FROM {table} s USING games g
WHERE s.game_id = g.id
  AND g.external_id IN (SELECT DISTINCT external_id FROM sync_lines WHERE {scope})
  AND NOT EXISTS (SELECT 1 FROM sync_lines l {join}
                  WHERE l.external_id = g.external_id AND {match})
RETURNING s.game_id
"""


# Planner statistics are refreshed in the writing transaction after a bulk load, before the
# analytics query it; a night's dozen games leave them valid (autovacuum catches up).
ANALYZE_AFTER_NEW_GAMES = 100


@dataclass
class SyncSummary:
    season: int
    season_type: str
    games_inserted: int = 0
    games_updated: int = 0
    games_unchanged: int = 0
    final_games: int = 0
    scheduled_games: int = 0
    player_lines: int = 0
    player_lines_written: int = 0
    players_written: int = 0
    analytics: dict[str, int] = field(default_factory=dict)
    upstream_fingerprint: str | None = None
    upstream_unchanged: bool = False  # same documents as the previous run: nothing to check
    # "complete", or "unavailable" when the optional player index could not be read (the
    # players keep what is stored; a later sync fills it in)
    player_enrichment: str = "complete"
    data_version: int | None = None

    @property
    def changed(self) -> bool:
        return self.data_version is not None

    def counts(self) -> dict[str, Any]:
        out = asdict(self)
        out.pop("data_version")
        return out


@dataclass(frozen=True)
class WriteResult:
    changed_game_ids: frozenset[int]
    moved: tuple[tuple[int, int, dt.date], ...]
    games_inserted: int
    games_updated: int
    player_lines_written: int
    team_lines_written: int
    players_written: int


def _split_name(full: str) -> tuple[str, str]:
    """"Jaren Jackson Jr." -> ("Jaren", "Jackson Jr."); one word -> ("", word)."""
    first, _, last = full.strip().partition(" ")
    return (first, last) if last else ("", first)


def _stage(conn: Connection, data: SyncData, team_ids: dict[str, int]) -> None:
    for stmt in _STAGE.split(";"):
        conn.execute(text(stmt))
    for game in data.games.values():
        for abbr in (game.home, game.away):
            if abbr not in team_ids:
                raise UpstreamDataError(data.source, f"game {game.external_id}: unknown team "
                                                  f"{abbr!r}")
    copy_rows(conn, "sync_games", ("external_id", "season", "date", "home_id", "away_id",
                                   "home_score", "away_score", "status", "tipoff_at",
                                   "neutral_site"), (
        (g.external_id, data.season, g.date, team_ids[g.home], team_ids[g.away], g.home_score,
         g.away_score, "final" if g.final else g.status, g.tipoff_at, g.neutral)
        for g in data.games.values()))
    players: dict[str, tuple[str, str, int]] = {}
    for game in sorted(data.finals, key=lambda g: g.date):  # the latest team wins
        for p in game.players:
            players[str(p.player_id)] = (*_split_name(str(p.player_name)), team_ids[p.team])
    none = Bio(None, None, None)
    copy_rows(conn, "sync_players", ("external_id", "first_name", "last_name", "team_id",
                                     "position", "jersey_number", "height_cm"), (
        (pid, *v, *astuple(data.bios.get(pid, none))) for pid, v in players.items()))
    copy_rows(conn, "sync_lines", ("external_id", "player", "team_id", "is_home", "minutes",
                                   "plus_minus", *STAT_NAMES), (
        (x.game_id, x.player_id, team_ids[x.team], x.is_home, x.minutes, x.plus_minus,
         *(x.stats[s] for s in STAT_NAMES))
        for g in data.finals for x in (*g.lines, *g.players)))


def write_season(conn: Connection, data: SyncData) -> WriteResult:
    team_ids = ensure_teams(conn)
    _stage(conn, data, team_ids)
    conflict = conn.execute(text(_CONFLICT)).first()
    if conflict:
        other = conflict[1] or "(no external id)"
        hint = " (the synthetic demo season; load real data into a database without it)" \
            if other.startswith("DEMO-") else ""
        raise UpstreamDataError(data.source, f"game {conflict[0]}: the home team already has "
                                          f"game {other} that day{hint}")
    moved = tuple((int(t), int(season), d) for t, season, d in conn.execute(text(_MOVED)))
    changed = conn.execute(text(_GAMES)).all()
    ids = {row[0] for row in changed}
    inserted = sum(1 for row in changed if row[1])
    if data.complete_for:
        off = conn.execute(text(_OFF_SCHEDULE), {"season": data.season,
                                                 "prefixes": list(data.complete_for)})
        ids |= set(off.scalars())
    conn.execute(text("SELECT setval(pg_get_serial_sequence('players', 'id'), "
                      "greatest((SELECT max(id) FROM players), 1))"))
    players = len(conn.execute(text(_PLAYERS)).all())
    team_rows = conn.execute(
        text(_lines_sql("team_game_stats", "game_id, team_id"))).scalars().all()
    player_rows = list(conn.execute(
        text(_lines_sql("player_game_stats", "game_id, player_id"))).scalars())
    stale = list(conn.execute(text(_STALE.format(
        table="player_game_stats", join="JOIN players p ON p.external_id = l.player",
        scope="player IS NOT NULL", match="p.id = s.player_id"))).scalars())
    stale += list(conn.execute(text(_STALE.format(
        table="team_game_stats", join="", scope="player IS NULL",
        match="l.player IS NULL AND l.team_id = s.team_id"
    ))).scalars())
    ids |= set(team_rows) | set(player_rows) | set(stale)
    return WriteResult(frozenset(ids), moved, inserted, len(changed) - inserted,
                       len(player_rows), len(team_rows), players)


def write_synced(conn: Connection, data: SyncData, summary: SyncSummary, *, full: bool,
                 analytics: bool) -> bool:
    """Write ``data`` on ``conn`` (in its transaction); True when anything changed."""
    result = write_season(conn, data)
    ids = set(result.changed_game_ids)
    summary.games_inserted, summary.games_updated = result.games_inserted, result.games_updated
    summary.games_unchanged = len(data.games) - result.games_inserted - result.games_updated
    summary.player_lines_written, summary.players_written = (result.player_lines_written,
                                                             result.players_written)
    if full:
        ids |= set(conn.execute(text("SELECT id FROM games WHERE season = :s"),
                                {"s": data.season}).scalars())
    changed = bool(ids or result.moved or result.players_written)
    if result.games_inserted >= ANALYZE_AFTER_NEW_GAMES:  # a bulk load: plan analytics on it
        conn.execute(text("ANALYZE games, team_game_stats, player_game_stats"))
    if analytics and (ids or result.moved):
        summary.analytics = recompute_affected(conn, ids, result.moved)
    if changed:
        bump_data_version(conn)
    return changed
