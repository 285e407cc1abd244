"""One season as the simulation needs it: teams, records so far, the games left, in arrays.

Read in one repeatable-read snapshot together with the data version, so a run names exactly
the data it saw. Regular-season games are the season's games that are not post-season ones;
post-season games are recognised by the NBA game-id prefix their source carries in
``external_id`` (``004`` playoffs, ``005`` play-in). Their results, when present, fix the
outcomes the simulation would otherwise draw. Cancelled games are not played; postponed and
scheduled ones are. A game at a neutral site gives no home court (``games.neutral_site``,
treated as false on a schema without that column).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import Connection, text

from sports_analytics.exceptions import CommandFailed

PLAYOFF_PREFIX, PLAYIN_PREFIX = "004", "005"
CONFERENCES = ("East", "West")
MIN_CONFERENCE_TEAMS = 10  # seeds 1-10: six playoff teams and the play-in four

_TEAMS = text("""
SELECT t.id, t.abbreviation, t.conference, t.division FROM teams t
WHERE t.id IN (SELECT home_team_id FROM games WHERE season = :season
               UNION SELECT away_team_id FROM games WHERE season = :season)
ORDER BY t.conference, t.abbreviation
""")
_HAS_NEUTRAL = text("SELECT EXISTS (SELECT 1 FROM information_schema.columns "
                    "WHERE table_schema = current_schema() AND table_name = 'games' "
                    "AND column_name = 'neutral_site')")
_GAMES = """
SELECT home_team_id, away_team_id, status = 'final' AS final,
       coalesce(home_score > away_score, false) AS home_won,
       coalesce(home_score - away_score, 0) AS margin, date,
       {neutral} AS neutral, left(coalesce(external_id, ''), 3) AS prefix
FROM games WHERE season = :season AND status <> 'cancelled' ORDER BY date, id
"""
_VERSION = text("SELECT coalesce(max(version), 0) FROM data_versions")


@dataclass
class SeasonArrays:
    """Teams are indexed 0..T-1 in ``team_ids`` order; every array below uses that index."""

    season: int
    data_version: int
    team_ids: np.ndarray
    abbreviations: list[str]
    conference: np.ndarray  # 0 East, 1 West
    division: np.ndarray  # an index per division name
    wins: np.ndarray
    losses: np.ndarray
    h2h: np.ndarray  # (T, T): final regular-season wins of row over column
    conf_wins: np.ndarray
    conf_games: np.ndarray  # conference games in the whole season, played or not
    point_diff: np.ndarray  # margin over the final regular-season games
    home: np.ndarray  # games left, in date order: home and away index, neutral site
    away: np.ndarray
    neutral: np.ndarray
    waves: list[slice]  # consecutive runs of the games left in which no team plays twice
    playin_winner: np.ndarray  # (T, T): winner index of a final play-in game, else -1
    series_wins: np.ndarray  # (T, T): final playoff wins of row over column

    @property
    def games_total(self) -> np.ndarray:
        left = np.bincount(self.home, minlength=len(self.team_ids)) + np.bincount(
            self.away, minlength=len(self.team_ids))
        return self.wins + self.losses + left

    @property
    def games_remaining(self) -> int:
        return len(self.home)


def _waves(home: list[int], away: list[int]) -> list[slice]:
    """Split the games left, in date order, into runs in which each team plays at most once. A
    run is simulated in one step, and every result moves ratings before the team's next game;
    a run may span days (games of different teams do not depend on each other), so there are
    fewer, longer steps."""
    waves: list[slice] = []
    start, seen = 0, set[int]()
    for i, (h, a) in enumerate(zip(home, away, strict=True)):
        if h in seen or a in seen:
            waves.append(slice(start, i))
            start, seen = i, set()
        seen.update((h, a))
    if len(home) > start:
        waves.append(slice(start, len(home)))
    return waves


def load_season(conn: Connection, season: int) -> SeasonArrays:
    """Everything the simulation reads, in the caller's (repeatable-read) transaction."""
    teams = [tuple(t) for t in conn.execute(_TEAMS, {"season": season})]
    if not teams:
        raise CommandFailed(f"season {season} is not in the database: it has no games")
    neutral_sql = "neutral_site" if conn.execute(_HAS_NEUTRAL).scalar() else "false"
    rows = [tuple(r) for r in conn.execute(text(_GAMES.format(neutral=neutral_sql)),
                                           {"season": season})]
    version = int(conn.execute(_VERSION).scalar_one())
    return build_season(season, version, teams, rows)


def build_season(season: int, data_version: int, teams: list[tuple[Any, ...]],
                 rows: list[tuple[Any, ...]]) -> SeasonArrays:
    """Arrays from ``teams`` (id, abbreviation, conference, division) and the season's games
    in date order (home id, away id, final, home won, margin, date, neutral, id prefix)."""
    small = [c for c in CONFERENCES if sum(t[2] == c for t in teams) < MIN_CONFERENCE_TEAMS]
    if small:
        raise CommandFailed(f"season {season}: the {' and '.join(small)} conference has fewer "
                            f"than {MIN_CONFERENCE_TEAMS} teams with games, too few to seed a "
                            "play-in and playoffs")
    idx = {int(t[0]): i for i, t in enumerate(teams)}
    conference = np.array([CONFERENCES.index(t[2]) for t in teams])
    divisions = sorted({t[3] for t in teams})
    n = len(teams)
    wins, losses = np.zeros(n, np.int32), np.zeros(n, np.int32)
    h2h, series = np.zeros((n, n), np.int32), np.zeros((n, n), np.int32)
    playin = np.full((n, n), -1, np.int32)
    conf_wins, conf_games = np.zeros(n, np.int32), np.zeros(n, np.int32)
    home: list[int] = []
    away: list[int] = []
    neutral: list[bool] = []
    point_diff = np.zeros(n, np.int32)
    for h_id, a_id, final, home_won, margin, _date, is_neutral, prefix in rows:
        h, a = idx[h_id], idx[a_id]
        winner, loser = (h, a) if home_won else (a, h)
        if prefix == PLAYOFF_PREFIX:
            if final:
                series[winner, loser] += 1
            continue
        if prefix == PLAYIN_PREFIX:
            if final:
                playin[h, a] = playin[a, h] = winner
            continue
        same_conf = conference[h] == conference[a]
        if same_conf:
            conf_games[[h, a]] += 1
        if not final:
            home.append(h)
            away.append(a)
            neutral.append(bool(is_neutral))
            continue
        wins[winner] += 1
        losses[loser] += 1
        h2h[winner, loser] += 1
        point_diff[h] += margin
        point_diff[a] -= margin
        if same_conf:
            conf_wins[winner] += 1
    if not home and not wins.any() and not losses.any():
        raise CommandFailed(f"season {season} has no regular-season schedule to forecast")
    return SeasonArrays(
        season=season, data_version=data_version,
        team_ids=np.array([int(t[0]) for t in teams]), abbreviations=[t[1] for t in teams],
        conference=conference, division=np.array([divisions.index(t[3]) for t in teams]),
        wins=wins, losses=losses, h2h=h2h, conf_wins=conf_wins, conf_games=conf_games,
        point_diff=point_diff,
        home=np.array(home, np.intp), away=np.array(away, np.intp),
        neutral=np.array(neutral, bool), waves=_waves(home, away),
        playin_winner=playin, series_wins=series)
