"""Join the schedule with the game logs into one validated season (see :mod:`.mapping`).

The schedule gives every game, played or not, with its US Eastern date and tip-off time. A
game is final when the team game log has its two lines; the schedule's score, when it has
one, must then agree. A game in the logs but missing from the schedule is still imported,
dated by the log. A neutral-site game (``@`` on both game-log rows) takes its designated home
team from the schedule's ``isNeutral`` game. A game the schedule marks postponed or cancelled
keeps that status until it is played or rescheduled; one the schedule no longer lists is
marked postponed by the writer.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

from sports_analytics.exceptions import UpstreamDataError
from sports_analytics.ingest.nba.mapping import (
    FINAL_STATUS,
    P_LOG,
    SCHEDULE,
    SCHEDULE_KEYS,
    T_LOG,
    _team,
    player_bios,
    player_lines,
    team_lines,
)
from sports_analytics.ingest.store.records import Line, SyncData, SyncGame, check_player_sums

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


# A game the schedule keeps but will not play on its date. Sources for the values:
# * nba_api lists ``postponedStatus`` among ScheduleLeagueV2's SeasonGames columns
#   (nba_api/stats/endpoints/scheduleleaguev2.py expected_data; the repository's
#   docs/nba_api/stats/endpoints/scheduleleaguev2.md, "Last validated 2025-01-14") and documents
#   no values; its unit-test fixtures (tests/unit/stats/endpoints/data/scheduleleaguev2.py,
#   2020-21 and 2015-16 responses) carry "A" on every game played as scheduled.
# * Schedules seen in the wild carry "A" or "N" for normal games, "Y" for a postponed one,
#   and ``gameStatusText`` "PPD" / "Postponed" (or "Cancelled") on the game itself; one
#   season's feed was seen with "Y" on every game, so the field is trusted only when it
#   singles games out (not on every unplayed game at once).
POSTPONED_FLAG = "Y"
POSTPONED_TEXTS = frozenset({"ppd", "postponed"})
CANCELLED_TEXTS = frozenset({"cancelled", "canceled"})


def _unplayed_status(rec: dict[str, Any], trust_flag: bool) -> str:
    text = str(rec.get("gameStatusText") or "").strip().lower()
    if text in CANCELLED_TEXTS:
        return "cancelled"
    if text in POSTPONED_TEXTS or (trust_flag and rec.get("postponedStatus") == POSTPONED_FLAG):
        return "postponed"
    return "scheduled"


def _flag_is_selective(rows: list[dict[str, Any]]) -> bool:
    unplayed = [r for r in rows if r.get("gameStatus") != FINAL_STATUS]
    flagged = sum(1 for r in unplayed if r.get("postponedStatus") == POSTPONED_FLAG)
    return flagged < len(unplayed) or len(unplayed) <= 1


def schedule_games(rows: list[dict[str, Any]], season: int,
                   wanted: tuple[str, ...]) -> dict[str, SyncGame]:
    games: dict[str, SyncGame] = {}
    first, last = dt.date(season, SEASON_MONTHS[0], 1), dt.date(season + 1, SEASON_MONTHS[1], 30)
    trust_flag = _flag_is_selective(rows)
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
        game = SyncGame(game_id, date, home, away, _instant(rec["gameDateTimeUTC"]),
                        neutral=rec.get("isNeutral") is True)
        if rec["gameStatus"] == FINAL_STATUS:
            game.home_score, game.away_score = rec["homeTeam_score"], rec["awayTeam_score"]
        else:
            game.status = _unplayed_status(rec, trust_flag)
        games[game_id] = game
    return games


def _sides(game_id: str, lines: list[Line], game: SyncGame | None) -> tuple[Line, Line]:
    """(home line, away line). A neutral-site game says "@" on both rows of the game log;
    its sides are the schedule's designated home and away teams, and the game is marked
    neutral."""
    if any(x.is_home for x in lines):
        return next(x for x in lines if x.is_home), next(x for x in lines if not x.is_home)
    if game is None:
        raise UpstreamDataError(T_LOG, f"game {game_id}: both lines say '@' (a neutral site) "
                                       f"and the schedule does not list the game to name its "
                                       f"home team")
    by_team = {x.team: x for x in lines}
    if set(by_team) != {game.home, game.away}:
        raise UpstreamDataError(SCHEDULE, f"game {game_id}: the schedule says {game.away} @ "
                                          f"{game.home}, the game log has "
                                          f"{' and '.join(sorted(by_team))}")
    game.neutral = True
    return replace(by_team[game.home], is_home=True), by_team[game.away]


def assemble(season: int, wanted: tuple[str, ...], t_log: tuple[list[str], list[list[Any]]],
             p_log: tuple[list[str], list[list[Any]]], schedule: list[dict[str, Any]],
             index: tuple[list[str], list[list[Any]]] | None = None) -> SyncData:
    games = schedule_games(schedule, season, wanted)
    finals = team_lines(*t_log, wanted)
    players = player_lines(*p_log, wanted)
    for game_id, lines in finals.items():
        game = games.get(game_id)
        home, away = _sides(game_id, lines, game)
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
    return SyncData(season, games, SCHEDULE, bios=player_bios(*index) if index else {},
                    complete_for=wanted)
