"""Hand-built seasons over the 30 real teams, for the seeding and marks tests."""

from __future__ import annotations

from itertools import combinations

from sports_analytics.ingest.teams import NBA_TEAMS
from sports_analytics.standings.tiebreak import GameResult, Season, Team

TEAMS = [Team(t.id, t.conference, t.division) for t in NBA_TEAMS]
ID = {t.abbreviation: t.id for t in NBA_TEAMS}
ABBR = {t.id: t.abbreviation for t in NBA_TEAMS}
EAST = [t.abbreviation for t in NBA_TEAMS if t.conference == "East"]
WEST = [t.abbreviation for t in NBA_TEAMS if t.conference == "West"]


class League:
    """Final games, added by result: ``win("NYK", "CLE", 2)`` is two New York wins."""

    def __init__(self) -> None:
        self.games: list[GameResult] = []

    def win(self, winner: str, loser: str, times: int = 1, margin: int = 1) -> League:
        for k in range(times):
            # alternate venues; the seeding does not look at them
            home, away = (winner, loser) if k % 2 == 0 else (loser, winner)
            won_home = home == winner
            self.games.append(GameResult(ID[home], ID[away], 100 + margin * won_home,
                                         100 + margin * (not won_home)))
        return self

    def ladder(self, teams: list[str], times: int = 2) -> League:
        """Each team beats every team after it ``times`` times: distinct, spaced records."""
        for i, j in combinations(range(len(teams)), 2):
            self.win(teams[i], teams[j], times)
        return self

    def season(self) -> Season:
        return Season.from_games(TEAMS, self.games)


def seeds(season: Season, conference: str, draw_seed: int = 0) -> list[str]:
    from sports_analytics.standings.tiebreak import seed_conference

    return [ABBR[t] for t in seed_conference(season, conference, draw_seed=draw_seed)]


def order_of(names: list[str], ranked: list[str]) -> list[str]:
    """``names`` in the order they appear in ``ranked``."""
    return [t for t in ranked if t in names]
