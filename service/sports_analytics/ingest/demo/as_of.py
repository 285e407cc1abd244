"""``seed-demo --as-of DATE``: the synthetic season around a given day, half played.

The season is the one whose calendar contains DATE (the demo calendar, 21 October to
12 April, moved to that season's years); between seasons it is the next one. It is generated
like any demo season (its own seed, as in ``--seasons``), then cut at DATE: games before DATE
are final, with their box scores; games on DATE and later are scheduled, without scores. Every
game has a tip-off time (7, 7:30, 8, 9 or 10 PM US Eastern), so the first page a user opens
shows today's games with their tip-off and yesterday's results. Predictions for the scheduled
games come from the usual analytics run after the seed.

``--as-of today`` means today's date in US Eastern time, the league's calendar.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, text

from sports_analytics.db.writes import SEASON_MAX, SEASON_MIN, bump_data_version, copy_rows
from sports_analytics.exceptions import CommandFailed
from sports_analytics.ingest.demo.history import (
    GAME_COLUMNS,
    PLAYER_COLUMNS,
    season_rows,
    season_seed,
)
from sports_analytics.ingest.demo.schedule import SEASON_END, SEASON_START
from sports_analytics.ingest.demo.season import (
    DEMO_SEASON,
    ORACLE_COLUMNS,
    PLAYER_LINE_COLUMNS,
    REPLACED_TABLES,
    TEAM_LINE_COLUMNS,
    generate,
)
from sports_analytics.ingest.teams import NBA_TEAMS, ensure_teams

EASTERN = ZoneInfo("America/New_York")
TIPOFF_TIMES = (dt.time(19, 0), dt.time(19, 30), dt.time(20, 0), dt.time(21, 0), dt.time(22, 0))


def parse_as_of(value: str) -> dt.date:
    """``YYYY-MM-DD``, or ``today`` (US Eastern); anything else is a one-line error."""
    if value.strip().lower() == "today":
        return dt.datetime.now(EASTERN).date()
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise CommandFailed(f"--as-of must be a date written YYYY-MM-DD or 'today', "
                            f"got {value!r}") from None


def season_bounds(season: int) -> tuple[dt.date, dt.date]:
    """First and last game day of ``season`` in the demo calendar."""
    years = season - DEMO_SEASON
    return (SEASON_START.replace(year=SEASON_START.year + years),
            SEASON_END.replace(year=SEASON_END.year + years))


def season_for(day: dt.date) -> int:
    """The season whose calendar contains ``day``; between seasons, the next one."""
    season = day.year if day.month >= 7 else day.year - 1
    if day > season_bounds(season)[1]:
        season += 1
    if not SEASON_MIN <= season <= SEASON_MAX:
        raise CommandFailed(f"--as-of {day} falls in season {season}, outside the supported "
                            f"{SEASON_MIN}-{SEASON_MAX}")
    return season


def tipoff(day: dt.date, game_id: int) -> dt.datetime:
    """A deterministic evening tip-off in US Eastern time, as a UTC instant."""
    local = dt.datetime.combine(day, TIPOFF_TIMES[game_id % len(TIPOFF_TIMES)], EASTERN)
    return local.astimezone(dt.UTC)


def load_as_of(conn: Connection, day: dt.date) -> dict[str, int]:
    """Replace every game, box score and player with the demo season around ``day``, in the
    caller's transaction (the same rules as the one-season demo's ``load``)."""
    season = season_for(day)
    data = generate(season_seed(season))
    players, games, team_lines, player_lines = season_rows(season, data, 0, 0, current=True)
    played = {g[0] for g in games if g[2] < day}
    rows = [(gid, s, date, home, away, *((hs, aw, "final") if gid in played
                                         else (None, None, "scheduled")),
             ext, tipoff(date, gid))
            for gid, s, date, home, away, hs, aw, _status, ext in games]
    conn.execute(text(f"TRUNCATE {', '.join(REPLACED_TABLES)} RESTART IDENTITY CASCADE"))
    team_ids = ensure_teams(conn)
    wrong = {t.abbreviation for t in NBA_TEAMS if team_ids.get(t.abbreviation) != t.id}
    if wrong:
        raise CommandFailed(f"teams table disagrees with the NBA reference ids for {sorted(wrong)}")
    copy_rows(conn, "players", PLAYER_COLUMNS, players)
    copy_rows(conn, "games", (*GAME_COLUMNS, "tipoff_at"), rows)
    copy_rows(conn, "demo_oracle", ORACLE_COLUMNS, data.oracle)
    copy_rows(conn, "team_game_stats", TEAM_LINE_COLUMNS,
              [line for line in team_lines if line[0] in played])
    copy_rows(conn, "player_game_stats", PLAYER_LINE_COLUMNS,
              [line for line in player_lines if line[0] in played])
    for table in ("players", "games", "team_game_stats", "player_game_stats"):
        sql = (f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
               f"(SELECT coalesce(max(id), 0) + 1 FROM {table}), false)")
        conn.execute(text(sql))
    bump_data_version(conn)
    conn.execute(text(f"ANALYZE {', '.join(('teams', *REPLACED_TABLES))}"))
    return {"season": season, "games": len(rows), "final": len(played),
            "scheduled": len(rows) - len(played), "players": len(players)}
