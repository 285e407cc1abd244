"""``elo_v1``: an NBA Elo model in the style of FiveThirtyEight's, in plain Python.

Every tunable number lives in :class:`EloParams` (and nowhere else). The defaults are the
published FiveThirtyEight NBA values:

* ratings start at 1500; the expected home win probability is
  ``1 / (1 + 10 ** (-(home + home_advantage - away) / scale))``;
* after a game, ``delta = k * mov_multiplier * (actual - expected)``, added to the winner
  and subtracted from the loser, so the rating pool is conserved;
* margin-of-victory multiplier with autocorrelation correction::

      ((|margin| + mov_offset) ** mov_exponent)
      / (autocorr_base + autocorr_slope * winner_elo_diff)

  where ``winner_elo_diff`` is the winner's rating (with home advantage) minus the loser's:
  a favourite's big win moves ratings less than an underdog's, which stops ratings from
  inflating because good teams win big more often;
* between seasons every rating is pulled toward the mean:
  ``season_carryover * rating + (1 - season_carryover) * season_mean``.

No team gets home advantage at a neutral site (``GameResult.neutral``): the designated home
team is rated as it is.

Predictions are made from games finished on earlier days only: all games of one day are
predicted with the ratings at the start of that day, then that day's results update them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple


@dataclass(frozen=True)
class EloParams:
    """All ``elo_v1`` parameters, in one place."""

    initial_rating: float = 1500.0
    """Rating of a team seen for the first time."""
    k: float = 20.0
    """Update speed (FiveThirtyEight NBA: 20)."""
    home_advantage: float = 100.0
    """Elo points added to the home team when computing the expectation (about 3.5 NBA points)."""
    scale: float = 400.0
    """Logistic scale: a 400-point gap means 10:1 odds."""
    mov_offset: float = 3.0
    mov_exponent: float = 0.8
    autocorr_base: float = 7.5
    autocorr_slope: float = 0.006
    season_carryover: float = 0.75
    """Share of a rating kept into the next season."""
    season_mean: float = 1505.0
    """The mean ratings regress toward between seasons."""


ELO_V1 = EloParams()


def home_advantage(params: EloParams, neutral: bool) -> float:
    return 0.0 if neutral else params.home_advantage


def home_win_probability(home: float, away: float, params: EloParams = ELO_V1,
                         neutral: bool = False) -> float:
    diff = home + home_advantage(params, neutral) - away
    return 1.0 / (1.0 + 10.0 ** (-diff / params.scale))


def mov_multiplier(margin: int, winner_elo_diff: float, params: EloParams = ELO_V1) -> float:
    return ((abs(margin) + params.mov_offset) ** params.mov_exponent) / (
        params.autocorr_base + params.autocorr_slope * winner_elo_diff
    )


def rating_change(home: float, away: float, home_score: int, away_score: int,
                  params: EloParams = ELO_V1, neutral: bool = False) -> float:
    """Points the home team gains (the away team loses the same). 0 for a tie."""
    margin = home_score - away_score
    if margin == 0:
        return 0.0
    expected = home_win_probability(home, away, params, neutral)
    home_elo_diff = home + home_advantage(params, neutral) - away
    winner_diff = home_elo_diff if margin > 0 else -home_elo_diff
    actual = 1.0 if margin > 0 else 0.0
    return params.k * mov_multiplier(margin, winner_diff, params) * (actual - expected)


class GameResult(NamedTuple):  # a tuple: tens of thousands are built per run, cheaply
    id: int
    season: int
    date: dt.date
    home_team_id: int
    away_team_id: int
    home_score: int | None
    away_score: int | None
    final: bool
    neutral: bool = False  # a neutral site: no home advantage


class EloForecast(NamedTuple):
    game_id: int
    home_rating: float
    away_rating: float
    home_win_prob: float


@dataclass
class EloRatings:
    params: EloParams = ELO_V1
    ratings: dict[int, float] = field(default_factory=dict)
    season: int | None = None

    def get(self, team_id: int) -> float:
        return self.ratings.get(team_id, self.params.initial_rating)

    def start_season(self, season: int) -> None:
        if self.season is not None and season != self.season:
            c, mean = self.params.season_carryover, self.params.season_mean
            self.ratings = {t: c * r + (1 - c) * mean for t, r in self.ratings.items()}
        self.season = season


def run_elo(games: Iterable[GameResult], params: EloParams = ELO_V1,
            since: dt.date | None = None, state: EloRatings | None = None) -> list[EloForecast]:
    """Forecast every game, in (date, id) order, from results of earlier days only.

    With ``since``, games before that date still move the ratings but get no forecast. A
    ``state`` (ratings after earlier days) is resumed and left at the ratings after the last
    game day."""
    state = state if state is not None else EloRatings(params)
    forecasts: list[EloForecast] = []
    day: list[GameResult] = []

    def settle(day_games: list[GameResult]) -> None:
        for g in day_games:  # all of the day's forecasts first, then its results
            if since is not None and g.date < since:
                break
            h, a = state.get(g.home_team_id), state.get(g.away_team_id)
            forecasts.append(EloForecast(g.id, h, a,
                                         home_win_probability(h, a, params, g.neutral)))
        updates: list[tuple[int, int, float]] = []
        for g in day_games:
            if g.final and g.home_score is not None and g.away_score is not None:
                h, a = state.get(g.home_team_id), state.get(g.away_team_id)
                updates.append((g.home_team_id, g.away_team_id,
                                rating_change(h, a, g.home_score, g.away_score, params,
                                              g.neutral)))
        for home, away, delta in updates:
            state.ratings[home] = state.get(home) + delta
            state.ratings[away] = state.get(away) - delta

    ordered = sorted(games, key=lambda g: (g.date, g.id))
    for g in ordered:
        if day and (g.date != day[0].date or g.season != day[0].season):
            settle(day)
            day = []
        if not day:
            state.start_season(g.season)
        day.append(g)
    if day:
        settle(day)
    return forecasts
