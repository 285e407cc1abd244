"""Parsers for the player-lines and schedule CSV formats (docs/ingest-format.md).

A player line carries the team game-log columns (validated by the same
:func:`.game_log.parse_row`: types, ranges, made <= attempted, PTS = 2*FGM + 3PM + FTM) plus
``player_id`` and ``player_name``. A schedule line is a game still to be played:
``season, game_id, game_date`` (the US Eastern date), ``home``, ``away`` and, optionally,
``tipoff_utc`` and ``neutral`` (true for a neutral site; ``home`` is the designated home).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sports_analytics.exceptions import IngestError
from sports_analytics.ingest.csv import game_log
from sports_analytics.ingest.store.records import Line, SyncGame

PLAYER_COLUMNS = (*game_log.REQUIRED_COLUMNS, "player_id", "player_name")
SCHEDULE_COLUMNS = ("season", "game_id", "game_date", "home", "away")
NAME_MAX = 129  # first (64) + space + last (64)


def parse_players(path: Path) -> list[tuple[Path, int, int, Line]]:
    out = []
    seen: dict[tuple[str, str], int] = {}
    for line_no, rec in game_log.read_records(path, PLAYER_COLUMNS):
        row = game_log.parse_row(path, line_no, rec)
        where = f"{path}:{line_no}"
        player_id = rec["player_id"].strip()
        name = rec["player_name"].strip()
        if not player_id or len(player_id) > game_log.EXTERNAL_ID_MAX:
            raise IngestError(f"{where}: player_id must be 1 to {game_log.EXTERNAL_ID_MAX} "
                              f"characters")
        if not name or len(name) > NAME_MAX:
            raise IngestError(f"{where}: player_name must be 1 to {NAME_MAX} characters")
        first = seen.setdefault((row.external_id, player_id), line_no)
        if first != line_no:
            raise IngestError(f"{where}: player {player_id} already has a line for game "
                              f"{row.external_id} (line {first})")
        out.append((path, line_no, row.season,
                    Line(row.external_id, row.team, row.opponent, row.is_home, row.date,
                         row.stats, row.minutes, row.plus_minus, player_id, name)))
    if not out:
        raise IngestError(f"{path}:2: no data rows")
    return out


def _tipoff(where: str, value: str) -> dt.datetime | None:
    if not value.strip():
        return None
    try:
        moment = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise IngestError(f"{where}: tipoff_utc must be like 2026-01-05T00:30:00Z, "
                          f"got {value.strip()[:30]!r}") from None
    if moment.tzinfo is None:
        raise IngestError(f"{where}: tipoff_utc needs a time zone (Z for UTC)")
    return moment.astimezone(dt.UTC)


def parse_schedule(path: Path) -> list[tuple[int, SyncGame]]:
    out: list[tuple[int, SyncGame]] = []
    seen: dict[str, int] = {}
    for line_no, rec in game_log.read_records(path, SCHEDULE_COLUMNS):
        where = f"{path}:{line_no}"
        season, date = game_log.season_and_date(where, rec)
        game_id = rec["game_id"].strip()
        if not game_id or len(game_id) > game_log.EXTERNAL_ID_MAX:
            raise IngestError(f"{where}: game_id must be 1 to {game_log.EXTERNAL_ID_MAX} "
                              f"characters")
        if game_id in seen:
            raise IngestError(f"{where}: game {game_id} is already on line {seen[game_id]}")
        seen[game_id] = line_no
        home = game_log._team(where, "home", rec["home"])
        away = game_log._team(where, "away", rec["away"])
        if home == away:
            raise IngestError(f"{where}: home and away are both {home}")
        out.append((season, SyncGame(game_id, date, home, away,
                                     _tipoff(where, rec.get("tipoff_utc", "")),
                                     neutral=game_log.parse_neutral(where, rec))))
    if not out:
        raise IngestError(f"{path}:2: no data rows")
    return out
