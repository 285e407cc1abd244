"""A multi-season demo history: ``seed-demo --seasons N``.

N consecutive SYNTHETIC seasons ending with the demo season (2025-26): ``2025 - N + 1`` to
``2025``. Each season is generated like the single demo season (same schedule formula, box
scores that add up, a home court edge) from its own fixed seed, so the history is
deterministic. Earlier seasons are the demo calendar moved back whole years (the source season
has no 29 February, so every date exists). The last season is exactly the one-season demo;
its players form the current rosters, and the players of earlier seasons are kept, inactive
and without a team, as every box score references them.

Everything is streamed season by season with COPY inside one transaction: 40 seasons (about
49,000 games and 930,000 player lines) never sit in memory at once.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass

from sqlalchemy import Connection, text

from sports_analytics.db.writes import SEASON_MIN, bump_data_version, copy_rows
from sports_analytics.exceptions import CommandFailed
from sports_analytics.ingest.demo.season import (
    DEMO_SEASON,
    DEMO_SEED,
    ORACLE_COLUMNS,
    PLAYER_LINE_COLUMNS,
    REPLACED_TABLES,
    TEAM_LINE_COLUMNS,
    DemoData,
    generate,
)
from sports_analytics.ingest.teams import NBA_TEAMS, ensure_teams

MAX_SEASONS = DEMO_SEASON - SEASON_MIN + 1
GAMES_PER_SEASON = 1230  # the NBA formula: 30 teams x 82 games / 2
PLAYER_ID_BLOCK = 1000  # player ids of season k are k * 1000 + 1 ...: rosters are < 500
PLAYER_COLUMNS = ("id", "first_name", "last_name", "team_id", "position", "jersey_number",
                  "height_cm", "active")
GAME_COLUMNS = ("id", "season", "date", "home_team_id", "away_team_id", "home_score",
                "away_score", "status", "external_id")


@dataclass
class HistoryCounts:
    seasons: int = 0
    games: int = 0
    players: int = 0
    player_lines: int = 0


def season_seed(season: int) -> int:
    """The demo season keeps the demo seed; every other season has its own."""
    return DEMO_SEED + 7919 * (DEMO_SEASON - season)


def _shift(date: dt.date, years: int) -> dt.date:
    return date.replace(year=date.year - years)


def history_seasons(seasons: int) -> list[int]:
    return list(range(DEMO_SEASON - seasons + 1, DEMO_SEASON + 1))


def season_rows(season: int, data: DemoData, game_offset: int, player_offset: int,
                current: bool) -> tuple[list[tuple], list[tuple], list[tuple], list[tuple]]:
    """``data`` (generated for the demo calendar) as rows of ``season``, ids offset."""
    years = DEMO_SEASON - season
    players = [(p.id + player_offset, p.first_name, p.last_name,
                p.team_id if current else None, p.position, p.jersey, p.height_cm, current)
               for p in data.players]
    games = []
    for n, (gid, _season, date, home, away, hs, aw, status, _ext) in enumerate(data.games, 1):
        games.append((gid + game_offset, season, _shift(date, years), home, away, hs, aw, status,
                      f"DEMO-{season}-{n:04d}"))
    team_lines = [(line[0] + game_offset, *line[1:]) for line in data.team_lines]
    player_lines = [(line[0] + game_offset, line[1] + player_offset, *line[2:])
                    for line in data.player_lines]
    return players, games, team_lines, player_lines


def _season_job(season: int, game_offset: int, player_offset: int) -> tuple[list, ...]:
    data = generate(season_seed(season))
    assert len(data.games) == GAMES_PER_SEASON and len(data.players) < PLAYER_ID_BLOCK
    oracle = [(gid + game_offset, p) for gid, p in data.oracle]
    return (*season_rows(season, data, game_offset, player_offset, season == DEMO_SEASON),
            oracle)


def _offsets(seasons: int) -> list[tuple[int, int, int]]:
    """(season, game id offset, player id offset): fixed blocks, so seasons are independent."""
    out, game_offset, player_offset = [], 0, 0
    for season in history_seasons(seasons):
        out.append((season, game_offset, player_offset))
        game_offset += GAMES_PER_SEASON
        player_offset += PLAYER_ID_BLOCK
    return out


def generate_history(seasons: int,
                     workers: int | None = None) -> Iterator[tuple[int, tuple[list, ...]]]:
    """(season, rows) for each season, oldest first, generated ahead in worker processes.

    Seasons are independent (own seed, own id block), so up to ``workers`` of them are built
    in parallel while the caller writes the previous one; results come back in order.
    """
    jobs = _offsets(seasons)
    workers = workers if workers is not None else min(2, os.cpu_count() or 1)
    if workers <= 1 or seasons <= 2:
        for season, go, po in jobs:
            yield season, _season_job(season, go, po)
        return
    # spawn, not fork: a forked child would share the parent's open database socket.
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        pending: deque[tuple[int, Future]] = deque()
        queue = deque(jobs)
        while queue or pending:
            while queue and len(pending) < workers + 1:  # bounded: a few seasons in memory
                season, go, po = queue.popleft()
                pending.append((season, pool.submit(_season_job, season, go, po)))
            season, future = pending.popleft()
            yield season, future.result()


def load_history(conn: Connection, seasons: int) -> HistoryCounts:
    """COPY every season's players, games and box scores (the caller emptied the tables)."""
    counts = HistoryCounts()
    for _season, (players, games, team_lines, player_lines, oracle) in generate_history(seasons):
        copy_rows(conn, "players", PLAYER_COLUMNS, players)
        copy_rows(conn, "games", GAME_COLUMNS, games)
        copy_rows(conn, "demo_oracle", ORACLE_COLUMNS, oracle)
        copy_rows(conn, "team_game_stats", TEAM_LINE_COLUMNS, team_lines)
        copy_rows(conn, "player_game_stats", PLAYER_LINE_COLUMNS, player_lines)
        counts.seasons += 1
        counts.games += len(games)
        counts.players += len(players)
        counts.player_lines += len(player_lines)
    for table in ("players", "games", "team_game_stats", "player_game_stats"):
        sql = (f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
               f"(SELECT coalesce(max(id), 0) + 1 FROM {table}), false)")
        conn.execute(text(sql))
    return counts


def replace_with_history(conn: Connection, seasons: int) -> dict[str, int]:
    """Replace every game, box score and player with ``seasons`` demo seasons, in the caller's
    transaction (the same rules as the one-season demo's ``load``)."""
    if not 1 <= seasons <= MAX_SEASONS:
        raise CommandFailed(f"--seasons must be between 1 and {MAX_SEASONS}, got {seasons}")
    conn.execute(text(f"TRUNCATE {', '.join(REPLACED_TABLES)} RESTART IDENTITY CASCADE"))
    team_ids = ensure_teams(conn)
    wrong = {t.abbreviation for t in NBA_TEAMS if team_ids.get(t.abbreviation) != t.id}
    if wrong:
        raise CommandFailed(f"teams table disagrees with the NBA reference ids for {sorted(wrong)}")
    counts = load_history(conn, seasons)
    bump_data_version(conn)
    conn.execute(text(f"ANALYZE {', '.join(('teams', *REPLACED_TABLES))}"))
    return {"seasons": counts.seasons, "games": counts.games, "players": counts.players,
            "player_lines": counts.player_lines}
