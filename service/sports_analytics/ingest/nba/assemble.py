"""Join the schedule with the game logs into one validated season (see :mod:`.mapping`).

The schedule gives every game, played or not, with its US Eastern date and tip-off time. A
game is final when the team game log has its two lines; the schedule's score, when it has
one, must then agree. A game in the logs but missing from the schedule is still imported,
dated by the log.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sports_analytics.exceptions import UpstreamDataError
from sports_analytics.ingest.nba.mapping import (
    P_LOG,
    SCHEDULE,
    SCHEDULE_KEYS,
    _team,
    player_bios,
    player_lines,
    team_lines,
)
from sports_analytics.ingest.store.records import SyncData, SyncGame, check_player_sums

SEASON_MONTHS = (7, 6)  # a season runs from July of its year to June of the next


def _date(where: str, value: Any) -> dt.date:
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        raise UpstreamDataError(SCHEDULE, f"{where}: gameDateEst {value!r} is not a date") \
            from None


def _instant(value: Any) -> dt.datetime | None:
    if not value:
        return None
    try:
        return dt.datetime.fromisoformat(str(value).replace("Z", "+00:00")).astimezone(dt.UTC)
    except ValueError:
        return None  # a tip-off time "TBD" is not an error; the date still stands


def schedule_games(rows: list[dict[str, Any]], season: int,
                   wanted: tuple[str, ...]) -> dict[str, SyncGame]:
    games: dict[str, SyncGame] = {}
    first, last = dt.date(season, SEASON_MONTHS[0], 1), dt.date(season + 1, SEASON_MONTHS[1], 30)
    for i, rec in enumerate(rows, start=1):
        missing = [k for k in SCHEDULE_KEYS if k not in rec]
        if missing:
            raise UpstreamDataError(SCHEDULE, f"game {i}: missing field(s): {', '.join(missing)}")
        game_id = str(rec["gameId"] or "").strip()
        if not game_id.startswith(wanted):
            continue  # preseason, All-Star, or the other season type
        where = f"game {game_id}"
        date = _date(where, rec["gameDateEst"])
        if not first <= date <= last:
            raise UpstreamDataError(SCHEDULE, f"{where}: date {date} is outside season {season}")
        home, away = _team(rec["homeTeam_teamTricode"]), _team(rec["awayTeam_teamTricode"])
        if home == away:
            raise UpstreamDataError(SCHEDULE, f"{where}: home and away are both {home!r}")
        if game_id in games:
            raise UpstreamDataError(SCHEDULE, f"{where}: listed twice")
        game = SyncGame(game_id, date, home, away, _instant(rec["gameDateTimeUTC"]))
        if rec["gameStatus"] == 3:
            game.home_score, game.away_score = rec["homeTeam_score"], rec["awayTeam_score"]
        games[game_id] = game
    return games


def assemble(season: int, wanted: tuple[str, ...], t_log: tuple[list[str], list[list[Any]]],
             p_log: tuple[list[str], list[list[Any]]], schedule: list[dict[str, Any]],
             index: tuple[list[str], list[list[Any]]] | None = None) -> SyncData:
    games = schedule_games(schedule, season, wanted)
    finals = team_lines(*t_log, wanted)
    players = player_lines(*p_log, wanted)
    for game_id, lines in finals.items():
        home = next(x for x in lines if x.is_home)
        away = next(x for x in lines if not x.is_home)
        game = games.get(game_id)
        if game is None:
            game = games[game_id] = SyncGame(game_id, home.date, home.team, away.team, None)
        elif (game.home, game.away) != (home.team, away.team):
            raise UpstreamDataError(SCHEDULE, f"game {game_id}: the schedule says "
                                              f"{game.away} @ {game.home}, the game log "
                                              f"{away.team} @ {home.team}")
        elif game.final and (game.home_score, game.away_score) != (home.stats["pts"],
                                                                  away.stats["pts"]):
            raise UpstreamDataError(SCHEDULE, f"game {game_id}: final score "
                                              f"{game.home_score}-{game.away_score} disagrees "
                                              f"with the game log {home.stats['pts']}-"
                                              f"{away.stats['pts']}")
        game.home_score, game.away_score = home.stats["pts"], away.stats["pts"]
        game.lines = [home, away]
        for line in (home, away):
            mine = players.pop((game_id, line.team), [])
            check_player_sums(line, mine, P_LOG)
            game.players.extend(mine)
    if players:
        game_id, team = next(iter(players))
        raise UpstreamDataError(P_LOG, f"game {game_id}, {team}: player lines for a game "
                                       f"without team lines")
    for game in games.values():
        if game.final and not game.lines:  # final in the schedule, box score not out yet
            game.home_score = game.away_score = None
    return SyncData(season, games, SCHEDULE, bios=player_bios(*index) if index else {})
