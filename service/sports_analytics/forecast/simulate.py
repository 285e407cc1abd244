"""The rest of the regular season, simulated ``sims`` times at once with numpy.

Every array is (teams, sims) or (games, sims): one wave of games (no team twice, see
forecast/season.py) is drawn in one step for every simulation, and each result moves both
teams' ratings before their next game. Seeding inside the simulations orders teams by win
percentage, then the head-to-head record among the tied teams (the NBA's first criterion for
two tied teams, and close to its rule for more), then conference win percentage, then a
random draw: exact tie-breakers are too slow for tens of thousands of tables, and ties that
survive two criteria are rare. A season with no game left needs no simulation: its seeds come
from the standings' own tie-breakers (see forecast/run.py), so its odds are certain.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sports_analytics.forecast.ratings import RatingSource
from sports_analytics.forecast.season import SeasonArrays


@dataclass
class RegularSeason:
    """The simulated end of the regular season."""

    ratings: np.ndarray  # (T, S) ratings after the last game
    wins: np.ndarray  # (T, S) final wins
    pct: np.ndarray  # (T, S) final win percentage
    h2h: np.ndarray  # (T, T, S) head-to-head wins of row over column
    conf_wins: np.ndarray  # (T, S)


def simulate_regular_season(data: SeasonArrays, source: RatingSource, sims: int,
                            rng: np.random.Generator) -> RegularSeason:
    start = np.array([source.rating(int(t)) for t in data.team_ids])
    ratings = np.repeat(start.astype(np.float32)[:, None], sims, axis=1)
    wins = np.repeat(data.wins[:, None], sims, axis=1)
    h2h = np.repeat(data.h2h.astype(np.int8)[:, :, None], sims, axis=2)  # at most 4 a pair
    conf_wins = np.repeat(data.conf_wins[:, None], sims, axis=1)
    same_conf = data.conference[data.home] == data.conference[data.away]
    for wave in data.waves:
        h, a = data.home[wave], data.away[wave]
        neutral = data.neutral[wave][:, None]
        rh, ra = ratings[h], ratings[a]
        uniform = rng.random((len(h), sims), dtype=np.float32)
        home_won, shift = source.play(rh, ra, neutral, uniform)
        ratings[h] = rh + shift
        ratings[a] = ra - shift
        wins[h] += home_won
        wins[a] += ~home_won
        h2h[h, a] += home_won
        h2h[a, h] += ~home_won
        conf = same_conf[wave]
        if conf.any():
            conf_wins[h[conf]] += home_won[conf]
            conf_wins[a[conf]] += ~home_won[conf]
    total = np.maximum(data.games_total, 1)[:, None]
    return RegularSeason(ratings, wins, wins / total, h2h, conf_wins)


def seed_conference(data: SeasonArrays, season: RegularSeason, conference: int,
                    rng: np.random.Generator) -> np.ndarray:
    """(teams of the conference, S): the team index holding each seed, best first."""
    members = np.flatnonzero(data.conference == conference)
    pct = season.pct[members]
    tied = pct[:, None, :] == pct[None, :, :]
    hh = season.h2h[np.ix_(members, members)]
    net = hh - hh.transpose(1, 0, 2)
    net *= tied
    h2h_net = net.sum(axis=1, dtype=np.int16)
    conf_pct = season.conf_wins[members] / np.maximum(data.conf_games[members], 1)[:, None]
    draw = rng.random(pct.shape)
    order = np.lexsort((draw, -conf_pct, -h2h_net, -pct), axis=0)
    return members[order]
