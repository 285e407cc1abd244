"""From simulated seasons to each team's odds (the numbers a forecast run stores).

Seeds come from the simulation's fast tie-breaks while games are left; once none is left the
regular season is decided, and the seeds are the standings' own (standings/tiebreak.py), the
same order ``GET /api/v1/standings`` shows, so every regular-season odd is exactly 0 or 1.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sports_analytics.forecast.postseason import PostSeason
from sports_analytics.forecast.ratings import RatingSource
from sports_analytics.forecast.season import CONFERENCES, SeasonArrays
from sports_analytics.forecast.simulate import seed_conference, simulate_regular_season
from sports_analytics.standings.build import DRAW_SEED
from sports_analytics.standings.tiebreak import Season, Team, seed_league

TOP_SEEDS, POSTSEASON_SEEDS = 6, 10


@dataclass(frozen=True)
class TeamOdds:
    team_id: int
    abbreviation: str
    wins: int
    losses: int
    mean_wins: float
    wins_p10: float
    wins_p90: float
    p_top6: float
    p_playin: float
    p_playoffs: float
    p_first_seed: float
    p_conf_finals: float
    p_title: float


def exact_seeds(data: SeasonArrays) -> list[np.ndarray]:
    """Per conference, the team indexes by seed under the NBA tie-breakers (final results)."""
    teams = [Team(int(t), CONFERENCES[c], str(d)) for t, c, d in
             zip(data.team_ids, data.conference, data.division, strict=True)]
    ids = [int(t) for t in data.team_ids]
    pair_wins = {(ids[i], ids[j]): int(data.h2h[i, j])
                 for i, j in zip(*np.nonzero(data.h2h), strict=True)}
    point_diff = {ids[i]: int(d) for i, d in enumerate(data.point_diff)}
    seeds = seed_league(Season.from_pair_wins(teams, pair_wins, point_diff), draw_seed=DRAW_SEED)
    index = {t: i for i, t in enumerate(ids)}
    return [np.array([index[t] for t in seeds[conf]]) for conf in CONFERENCES]


CHUNK = 8_192
"""Simulations run in chunks of this many: every array of a chunk stays small enough for the
CPU caches (a chunk's head-to-head counts are 30 x 30 x CHUNK), so 50,000 simulations cost
five times 10,000, not more. The chunks draw from one generator, one after the other, so a
fixed seed still gives identical output."""

ODDS = ("p_top6", "p_playin", "p_playoffs", "p_first_seed", "p_conf_finals", "p_title")


def _chunk(data: SeasonArrays, source: RatingSource, sims: int, rng: np.random.Generator,
           exact: list[np.ndarray] | None) -> tuple[np.ndarray, np.ndarray]:
    """Simulate ``sims`` seasons: (counts per odd and team, final wins per team and sim)."""
    season = simulate_regular_season(data, source, sims, rng)
    if exact is not None:
        seeds = [np.repeat(order[:, None], sims, axis=1) for order in exact]
    else:
        seeds = [seed_conference(data, season, c, rng) for c in range(len(CONFERENCES))]
    n = len(data.team_ids)
    cols = np.arange(sims)
    seed_of = np.empty((n, sims), np.int32)
    for order in seeds:
        seed_of[order, cols] = np.arange(len(order))[:, None]
    post = PostSeason(data, source, season.ratings, season.pct, rng)
    east, west = (post.conference(order) for order in seeds)
    champion = post.finals(east.champion, west.champion)

    def count(*teams: np.ndarray) -> np.ndarray:
        return np.bincount(np.concatenate(teams), minlength=n)

    top6 = (seed_of < TOP_SEEDS).sum(axis=1)
    counts = np.stack([
        top6,
        ((seed_of >= TOP_SEEDS) & (seed_of < POSTSEASON_SEEDS)).sum(axis=1),
        top6 + count(east.seventh, east.eighth, west.seventh, west.eighth),
        (seed_of == 0).sum(axis=1),
        count(*east.conf_finalists, *west.conf_finalists),
        count(champion),
    ])
    return counts, season.wins


def simulate_odds(data: SeasonArrays, source: RatingSource, sims: int,
                  seed: int) -> list[TeamOdds]:
    """Every team's odds from ``sims`` simulated seasons, reproducible for a given ``seed``."""
    rng = np.random.default_rng(seed)
    exact = exact_seeds(data) if data.games_remaining == 0 else None
    counts = np.zeros((len(ODDS), len(data.team_ids)), np.int64)
    wins: list[np.ndarray] = []
    for start in range(0, sims, CHUNK):
        chunk_counts, chunk_wins = _chunk(data, source, min(CHUNK, sims - start), rng, exact)
        counts += chunk_counts
        wins.append(chunk_wins)
    all_wins = np.concatenate(wins, axis=1)
    p10, p90 = np.percentile(all_wins, [10, 90], axis=1)
    mean = all_wins.mean(axis=1)
    odds = counts / sims
    return [TeamOdds(int(data.team_ids[i]), data.abbreviations[i], int(data.wins[i]),
                     int(data.losses[i]), float(mean[i]), float(p10[i]), float(p90[i]),
                     *(float(v) for v in odds[:, i]))
            for i in range(len(data.team_ids))]
