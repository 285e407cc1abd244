"""Play-in and playoffs, every simulation at once, with the regular season's game model.

* Play-in per conference: 7 hosts 8 (the winner is the 7th seed), 9 hosts 10 (the loser is
  out), the loser of 7-8 hosts the winner of 9-10 (the winner is the 8th seed).
* Playoffs: 1-8, 4-5, 3-6, 2-7 in each conference, the winners of 1-8 and 4-5 meet next;
  best of seven, home court (2-2-1-1-1) to the better regular-season record (within a
  conference that is the better seed); the finals are between the conference champions.

Results already in the database (``SeasonArrays.playin_winner``, ``series_wins``) are kept: a
series in progress continues from its score, a finished game or series is not drawn again.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sports_analytics.forecast.ratings import RatingSource
from sports_analytics.forecast.season import SeasonArrays

HOME_PATTERN = (True, True, False, False, True, False, True)  # games 1-7: better record hosts
WINS_NEEDED = 4
FIRST_ROUND = ((0, 7), (3, 4), (2, 5), (1, 6))  # seed positions (0 = 1st seed)


@dataclass
class Bracket:
    """Per conference, (S,) arrays: who made the playoffs and who went how far."""

    seventh: np.ndarray
    eighth: np.ndarray
    conf_finalists: tuple[np.ndarray, np.ndarray]
    champion: np.ndarray


class PostSeason:
    def __init__(self, data: SeasonArrays, source: RatingSource, ratings: np.ndarray,
                 pct: np.ndarray, rng: np.random.Generator) -> None:
        self.data, self.source, self.rng = data, source, rng
        self.ratings = ratings  # (T, S), moved by every simulated game
        self.pct = pct
        self.cols = np.arange(ratings.shape[1])
        self.no_neutral = np.zeros(ratings.shape[1], bool)

    def _game(self, home: np.ndarray, away: np.ndarray, active: np.ndarray) -> np.ndarray:
        """One game in every simulation where ``active``: True where the home side won."""
        rh, ra = self.ratings[home, self.cols], self.ratings[away, self.cols]
        uniform = self.rng.random(len(home), dtype=np.float32)
        home_won, shift = self.source.play(rh, ra, self.no_neutral, uniform)
        shift *= active
        self.ratings[home, self.cols] = rh + shift
        self.ratings[away, self.cols] = ra - shift
        return home_won

    def playin_game(self, home: np.ndarray, away: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        known = self.data.playin_winner[home, away]
        home_won = np.where(known >= 0, known == home,
                            self._game(home, away, known < 0))
        return np.where(home_won, home, away), np.where(home_won, away, home)

    def series(self, high: np.ndarray, low: np.ndarray) -> np.ndarray:
        """Best of seven, ``high`` with home court; returns the winner."""
        won_high = self.data.series_wins[high, low].copy()
        won_low = self.data.series_wins[low, high].copy()
        played = won_high + won_low
        for game, high_home in enumerate(HOME_PATTERN):
            active = (won_high < WINS_NEEDED) & (won_low < WINS_NEEDED) & (game >= played)
            if not active.any():
                break
            home, away = (high, low) if high_home else (low, high)
            home_won = self._game(home, away, active)
            high_won = home_won if high_home else ~home_won
            won_high += active & high_won
            won_low += active & ~high_won
        return np.where(won_high >= WINS_NEEDED, high, low)

    def conference(self, seeds: np.ndarray) -> Bracket:
        """``seeds``: (teams of the conference, S) team index by seed, best first."""
        seventh, loser78 = self.playin_game(seeds[6], seeds[7])
        winner910, _ = self.playin_game(seeds[8], seeds[9])
        eighth, _ = self.playin_game(loser78, winner910)
        field = [seeds[0], seeds[1], seeds[2], seeds[3], seeds[4], seeds[5], seventh, eighth]
        # Seed positions travel with the teams: the lower position has the better record.
        round_one = [self._by_seed(field, hi, lo) for hi, lo in FIRST_ROUND]
        # The second round's winners are the conference finalists.
        finalists = [self._meet(round_one[0], round_one[1]),
                     self._meet(round_one[2], round_one[3])]
        champion = self._meet(finalists[0], finalists[1])
        return Bracket(seventh, eighth, (finalists[0][0], finalists[1][0]), champion[0])

    def _by_seed(self, field: list[np.ndarray], hi: int, lo: int) -> tuple[np.ndarray, np.ndarray]:
        winner = self.series(field[hi], field[lo])
        return winner, np.where(winner == field[hi], hi, lo)

    def _meet(self, a: tuple[np.ndarray, np.ndarray],
              b: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        a_high = a[1] < b[1]
        high, low = np.where(a_high, a[0], b[0]), np.where(a_high, b[0], a[0])
        winner = self.series(high, low)
        return winner, np.where(winner == a[0], a[1], b[1])

    def finals(self, east: np.ndarray, west: np.ndarray) -> np.ndarray:
        """Home court to the better record; a tie goes to a draw."""
        pe, pw = self.pct[east, self.cols], self.pct[west, self.cols]
        east_high = (pe > pw) | ((pe == pw) & (self.rng.random(len(east)) < 0.5))
        return self.series(np.where(east_high, east, west), np.where(east_high, west, east))
