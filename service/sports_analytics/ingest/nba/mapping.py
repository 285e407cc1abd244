"""Map and validate NBA stats API documents before anything is written.

Input: the team and player ``LeagueGameLog`` tables (headers + rows) and the flattened
``ScheduleLeagueV2`` games. Output: the store's records (ingest/store/records.py) of every
game of the season (final or scheduled), its two team lines and its player lines. Every
check that fails raises :class:`UpstreamDataError` naming the endpoint, the row and the
reason, so a bad payload never reaches the database.

Rules: the CSV import's arithmetic (made <= attempted, 3PM <= FGM, OREB <= REB, PTS = 2*FGM +
3PM + FTM, no negative count), the two lines of a game agree (one home, one away, same date,
no tie, plus-minus equals the margin), players sum exactly to their team for PTS, FGM/FGA,
FG3M/FG3A and FTM/FTA, and team REB/TOV are at least the players' sum (team rebounds and
turnovers are credited to no player). A game's date is ``gameDateEst``, the league's US
Eastern date. Preseason (``001...`` ids) and All-Star (``003...``) games are skipped.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sports_analytics.exceptions import UpstreamDataError
from sports_analytics.ingest.store.records import (
    MADE_ATTEMPTED,
    STAT_MAX,
    STAT_NAMES,
    Bio,
    Line,
)
from sports_analytics.ingest.teams import ALIASES

T_LOG, P_LOG, SCHEDULE = "leaguegamelog[T]", "leaguegamelog[P]", "scheduleleaguev2"
INDEX = "playerindex"
INDEX_COLUMNS = ("PERSON_ID", "POSITION", "JERSEY_NUMBER", "HEIGHT")
POSITION_MAX = 8
# --season-type -> (LeagueGameLog SeasonType, game id prefixes). Other prefixes (preseason 001,
# All-Star 003, play-in 005, NBA Cup final 006) are not in that season type's game log.
SEASON_TYPES = {"regular": ("Regular Season", ("002",)), "playoffs": ("Playoffs", ("004",))}
# API column -> our stat name (the store's names, in its order).
STATS = dict(zip(("PTS", "FGM", "FGA", "FG3M", "FG3A", "FTM", "FTA", "OREB", "REB", "AST", "STL",
                  "BLK", "TOV", "PF"), STAT_NAMES, strict=True))
LOG_COLUMNS = ("GAME_ID", "GAME_DATE", "TEAM_ABBREVIATION", "MATCHUP", "MIN", *STATS)
PLAYER_COLUMNS = ("PLAYER_ID", "PLAYER_NAME", *LOG_COLUMNS)
SCHEDULE_KEYS = ("gameId", "gameStatus", "gameDateEst", "gameDateTimeUTC",
                 "homeTeam_teamTricode", "awayTeam_teamTricode", "homeTeam_score",
                 "awayTeam_score")
FINAL_STATUS = 3


def _int(endpoint: str, where: str, name: str, value: Any, lo: int, hi: int) -> int:
    if type(value) is int and lo <= value <= hi:  # the common case, first (20k rows a season)
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value):
        raise UpstreamDataError(endpoint, f"{where}: {name} must be an integer, got {value!r}")
    if not lo <= int(value) <= hi:
        raise UpstreamDataError(endpoint, f"{where}: {name} must be between {lo} and {hi}, "
                                          f"got {int(value)}")
    return int(value)


def _team(abbr: Any) -> str:
    text = str(abbr or "").strip().upper()
    return ALIASES.get(text, text)


def _records(endpoint: str, headers: list[str], rows: list[list[Any]],
             required: tuple[str, ...]) -> list[dict[str, Any]]:
    missing = [c for c in required if c not in headers]
    if missing:
        raise UpstreamDataError(endpoint, f"missing column(s): {', '.join(missing)}")
    out = []
    for i, row in enumerate(rows, start=1):
        if not isinstance(row, list) or len(row) != len(headers):
            raise UpstreamDataError(endpoint, f"row {i}: expected {len(headers)} values")
        out.append(dict(zip(headers, row, strict=True)))
    return out


def parse_line(endpoint: str, i: int, rec: dict[str, Any], wanted: tuple[str, ...]) -> Line | None:
    """One game-log row; None for a game type that is not imported."""
    game_id = str(rec["GAME_ID"] or "").strip()
    if not game_id.startswith(wanted):
        return None
    where = f"row {i} (game {game_id}, {rec['TEAM_ABBREVIATION']})"
    matchup = str(rec["MATCHUP"] or "")
    if " vs. " in matchup:
        team, opponent, is_home = *matchup.split(" vs. ", 1), True
    elif " @ " in matchup:
        team, opponent, is_home = *matchup.split(" @ ", 1), False
    else:
        raise UpstreamDataError(endpoint, f"{where}: MATCHUP {matchup[:30]!r} is neither "
                                          f"'A vs. B' nor 'A @ B'")
    try:
        date = dt.date.fromisoformat(str(rec["GAME_DATE"])[:10])
    except ValueError:
        raise UpstreamDataError(endpoint, f"{where}: GAME_DATE {rec['GAME_DATE']!r} is not a "
                                          f"date") from None
    stats = {ours: _int(endpoint, where, col, rec[col], 0, STAT_MAX) for col, ours in STATS.items()}
    for made, attempted in MADE_ATTEMPTED:
        if stats[made] > stats[attempted]:
            raise UpstreamDataError(endpoint, f"{where}: {made} ({stats[made]}) is greater than "
                                              f"{attempted} ({stats[attempted]})")
    expected = 2 * stats["fgm"] + stats["fg3m"] + stats["ftm"]
    if stats["pts"] != expected:
        raise UpstreamDataError(endpoint, f"{where}: PTS ({stats['pts']}) does not equal "
                                          f"2*FGM + FG3M + FTM ({expected})")
    minutes = Decimal(_int(endpoint, where, "MIN", round(rec["MIN"] or 0), 0, 999))
    pm = rec.get("PLUS_MINUS")
    plus_minus = None if pm is None else _int(endpoint, where, "PLUS_MINUS", pm, -STAT_MAX,
                                              STAT_MAX)
    player_id = str(rec["PLAYER_ID"]) if "PLAYER_ID" in rec else None
    name = rec.get("PLAYER_NAME")
    if player_id is not None and not (isinstance(name, str) and name.strip()):
        raise UpstreamDataError(endpoint, f"{where}: PLAYER_NAME is empty")
    return Line(game_id, _team(team), _team(opponent), is_home, date, stats, minutes, plus_minus,
                player_id, name)


def team_lines(headers: list[str], rows: list[list[Any]],
               wanted: tuple[str, ...]) -> dict[str, list[Line]]:
    by_game: dict[str, list[Line]] = {}
    for i, rec in enumerate(_records(T_LOG, headers, rows, LOG_COLUMNS), start=1):
        line = parse_line(T_LOG, i, rec, wanted)
        if line is not None:
            by_game.setdefault(line.game_id, []).append(line)
    for game_id, lines in by_game.items():
        _check_pair(game_id, lines)
    return by_game


def _check_pair(game_id: str, lines: list[Line]) -> None:
    def bad(reason: str) -> UpstreamDataError:
        return UpstreamDataError(T_LOG, f"game {game_id}: {reason}")

    if len(lines) != 2:
        raise bad(f"{len(lines)} team lines (expected one per team)")
    a, b = lines
    # A neutral-site game says "@" on both rows (DAL @ DET and DET @ DAL, Mexico City
    # 2025-11-01); the schedule names its designated home team (assemble.py).
    if a.is_home and b.is_home:
        raise bad("both lines say 'vs.' (home)")
    if (a.team, a.opponent) != (b.opponent, b.team) or a.team == b.team:
        raise bad(f"the two lines disagree on the teams ({a.team}/{a.opponent} vs "
                  f"{b.team}/{b.opponent})")
    if a.date != b.date:
        raise bad(f"the two lines disagree on the date ({a.date} vs {b.date})")
    if a.stats["pts"] == b.stats["pts"]:
        raise bad(f"tied {a.stats['pts']}-{b.stats['pts']}; a final can't be")
    for x, y in ((a, b), (b, a)):
        margin = x.stats["pts"] - y.stats["pts"]
        if x.plus_minus is not None and x.plus_minus != margin:
            raise bad(f"{x.team} PLUS_MINUS ({x.plus_minus}) does not match the score "
                      f"{x.stats['pts']}-{y.stats['pts']}")


def player_lines(headers: list[str], rows: list[list[Any]],
                 wanted: tuple[str, ...]) -> dict[tuple[str, str], list[Line]]:
    """(game id, team) -> player lines; a player appears at most once per game."""
    by_team: dict[tuple[str, str], list[Line]] = {}
    seen: set[tuple[str, str]] = set()
    for i, rec in enumerate(_records(P_LOG, headers, rows, PLAYER_COLUMNS), start=1):
        line = parse_line(P_LOG, i, rec, wanted)
        if line is None:
            continue
        key = (line.game_id, str(line.player_id))
        if key in seen:
            raise UpstreamDataError(P_LOG, f"row {i}: player {line.player_id} appears twice in "
                                           f"game {line.game_id}")
        seen.add(key)
        by_team.setdefault((line.game_id, line.team), []).append(line)
    return by_team


def _height_cm(value: Any) -> int | None:
    """"6-8" (feet-inches) -> 203; anything else (empty, "") -> None."""
    feet, _, inches = str(value or "").partition("-")
    if not (feet.isdigit() and inches.isdigit()):
        return None
    return int((int(feet) * 12 + int(inches)) * 2.54 + 0.5)  # half up: 6-3 is 191 cm


def player_bios(headers: list[str], rows: list[list[Any]]) -> dict[str, Bio]:
    """PlayerIndex rows -> player id: position, jersey number (0-99) and height."""
    bios: dict[str, Bio] = {}
    for i, rec in enumerate(_records(INDEX, headers, rows, INDEX_COLUMNS), start=1):
        if rec["PERSON_ID"] is None:
            raise UpstreamDataError(INDEX, f"row {i}: PERSON_ID is empty")
        position = str(rec["POSITION"] or "").strip() or None
        if position is not None and len(position) > POSITION_MAX:
            raise UpstreamDataError(INDEX, f"row {i}: POSITION {position[:20]!r} is longer "
                                           f"than {POSITION_MAX} characters")
        jersey = str(rec["JERSEY_NUMBER"] or "").strip()
        number = int(jersey) if jersey.isdigit() and int(jersey) <= 99 else None
        bios[str(rec["PERSON_ID"])] = Bio(position, number, _height_cm(rec["HEIGHT"]))
    return bios
