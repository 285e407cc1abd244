"""``elo_v2``: Elo with a margin-of-victory multiplier, regression to the mean between seasons,
a home court estimated from recent results, and K and carry-over chosen walk-forward.

* **Ratings.** As ``elo_v1`` (analytics/elo.py): ``P(home) = 1 / (1 + 10^(-(h - a + hc) / 400))``,
  ``delta = K * mult * (result - P)``, with FiveThirtyEight's multiplier
  ``(|margin| + 3)^0.8 / (7.5 + 0.006 * winner's elo difference)``; between seasons a rating
  keeps ``carryover`` of its distance from 1505.
* **Home court** ``hc`` for a game is the league's home win rate over the last ``window``
  final games not played at a neutral site, finished on earlier days (shrunk toward 0.6 by 100
  pseudo-games), turned into Elo points: ``400 * log10(rate / (1 - rate))``. A neutral-site
  game gets 0. It follows the league: 54.6 % home wins is about 32 points, 64 % about 100.
* **Tuning, walk-forward.** Every combination of ``GRID`` runs over the whole history at once
  (numpy, one step per game day). The combination used for season S is the one with the
  lowest Brier score over the final games of the ``TUNING_SEASONS`` seasons before S; the
  first season uses ``DEFAULT``. A game's probability therefore depends only on results of
  earlier days, and the constants behind it only on earlier seasons. Each season's Brier
  sums are accumulated a game day at a time.
* **Reuse.** Since the grid's state before a game day depends only on the rows before it,
  training keeps checkpoints of it (modeling/grid_cache.py, keyed by a digest of those rows)
  and the next run steps only through the days after the latest one that still holds: a
  nightly run steps through two days, a changed past result starts from an earlier point.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from sports_analytics.modeling import grid_cache
from sports_analytics.modeling.data import GameTable
from sports_analytics.modeling.grid_cache import GridCache, GridStart

if TYPE_CHECKING:
    import numpy.typing as npt

SCALE = 400.0
MEAN = 1505.0
INITIAL = 1500.0
PRIOR_RATE, PRIOR_GAMES = 0.6, 100.0
TUNING_SEASONS = 5

K_VALUES = (12.0, 16.0, 20.0, 25.0, 30.0)
CARRYOVER_VALUES = (0.25, 0.5, 0.75)
WINDOW_VALUES = (1230, 3690)  # about one and three seasons of league games
GRID: tuple[tuple[float, float, int], ...] = tuple(
    itertools.product(K_VALUES, CARRYOVER_VALUES, WINDOW_VALUES))
DEFAULT = (20.0, 0.75, 1230)


@dataclass
class EloV2Result:
    prob: npt.NDArray[np.float64]  # per game, from the combination chosen for its season
    rating_diff: npt.NDArray[np.float64]  # home minus away rating before the game
    home_court: npt.NDArray[np.float64]  # Elo points given to the home team (0 if neutral)
    chosen: dict[int, tuple[float, float, int]]  # season -> (k, carryover, window)
    ratings: dict[int, float]  # after the last game day, with the latest season's constants
    next_home_court: float  # home court for a game after the last final one


def home_court_points(rate: npt.NDArray[np.float64] | float) -> npt.NDArray[np.float64]:
    r = np.clip(np.asarray(rate, dtype=np.float64), 0.01, 0.99)
    return np.asarray(SCALE * np.log10(r / (1 - r)), dtype=np.float64)


def _home_rates(t: GameTable, window: int) -> tuple[npt.NDArray[np.float64], float]:
    """Per game, the shrunk home win rate of the last ``window`` earlier-day finals, and the
    rate after every final game (for games not yet scheduled)."""
    counted = t.final & ~t.neutral
    days = t.day[counted]
    cum = np.concatenate(([0.0], np.cumsum(t.home_won[counted])))
    k = np.searchsorted(days, t.day, side="left")
    lo = np.maximum(k - window, 0)

    def rate(hi: npt.NDArray[np.int64], low: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
        return np.asarray((cum[hi] - cum[low] + PRIOR_RATE * PRIOR_GAMES)
                          / (hi - low + PRIOR_GAMES), dtype=np.float64)

    end = np.array([len(days)])
    return rate(k, lo), float(rate(end, np.maximum(end - window, 0))[0])


def _day_bounds(t: GameTable, first: int = 0) -> list[tuple[int, int]]:
    """(start, end) positions of each game day (a season change also starts one), from the
    day starting at ``first``."""
    change = np.flatnonzero((np.diff(t.day) != 0) | (np.diff(t.season) != 0)) + 1
    starts = np.concatenate(([0], change))
    ends = np.concatenate((change, [len(t)]))
    keep = starts >= first
    return list(zip(starts[keep].tolist(), ends[keep].tolist(), strict=True))


def _seed(grid: tuple[tuple[float, float, int], ...], teams: npt.NDArray[np.int64],
          salt: str) -> bytes:
    constants = (grid, SCALE, MEAN, INITIAL, PRIOR_RATE, PRIOR_GAMES, TUNING_SEASONS, DEFAULT)
    return repr((salt, constants)).encode() + np.ascontiguousarray(teams).tobytes()


@dataclass
class _GridRun:
    prob: np.ndarray  # [combos, games from the start position]
    diff: np.ndarray
    ratings: np.ndarray  # after the last game day
    sums: dict[int, np.ndarray]  # season -> sum of squared errors of its final games
    points: dict[int, GridStart]  # the states asked for, by position


def _run_grid(t: GameTable, grid: tuple[tuple[float, float, int], ...],
              hc_by_window: dict[int, npt.NDArray[np.float64]], team_index: np.ndarray,
              n_teams: int, start: GridStart, capture: set[int]) -> _GridRun:
    """Every combination over the games from ``start.at``, one game day a step."""
    hi, ai = team_index[: len(t)], team_index[len(t):]
    k = np.array([g[0] for g in grid])[:, None]
    carry = np.array([g[1] for g in grid])[:, None]
    hc = np.stack([hc_by_window[g[2]] for g in grid])  # [combos, games]
    ratings = (np.full((len(grid), n_teams), INITIAL) if start.ratings is None
               else start.ratings.copy())
    sums = {s: v.copy() for s, v in start.sums.items()}
    prob = np.empty((len(grid), len(t) - start.at))
    diff = np.empty((len(grid), len(t) - start.at))
    season, at, points = start.season, start.at, {}
    for s, e in _day_bounds(t, start.at):
        if s in capture:
            points[s] = GridStart(s, ratings.copy(), season,
                                  {x: v.copy() for x, v in sums.items()})
        if season is not None and t.season[s] != season:
            ratings = carry * ratings + (1 - carry) * MEAN
        season = int(t.season[s])
        h, a = ratings[:, hi[s:e]], ratings[:, ai[s:e]]
        d = h - a + hc[:, s:e]
        p = 1.0 / (1.0 + 10.0 ** (-d / SCALE))
        prob[:, s - at:e - at], diff[:, s - at:e - at] = p, h - a
        fin = t.final[s:e]
        if not fin.any():
            continue
        m = t.margin[s:e][fin]
        won = (m > 0).astype(np.float64)
        winner_diff = np.where(m > 0, d[:, fin], -d[:, fin])
        mult = (np.abs(m) + 3.0) ** 0.8 / (7.5 + 0.006 * winner_diff)
        delta = k * mult * (won - p[:, fin])
        np.add.at(ratings.T, hi[s:e][fin], delta.T)
        np.subtract.at(ratings.T, ai[s:e][fin], delta.T)
        # Brier sums accumulate a day at a time, so a run resumed at any day gives the same.
        sums.setdefault(season, np.zeros(len(grid)))
        sums[season] += ((p[:, fin] - won) ** 2).sum(axis=1)
    return _GridRun(prob, diff, ratings, sums, points)


def _choose(t: GameTable, sums: dict[int, np.ndarray],
            grid: tuple[tuple[float, float, int], ...]) -> dict[int, int]:
    """Season -> index of the combination with the lowest Brier over earlier seasons."""
    seasons = sorted(set(t.season.tolist()))  # (np.unique would import numpy.ma)
    counts = np.array([int((t.final & (t.season == s)).sum()) for s in seasons])
    none = np.zeros(len(grid))
    default = grid.index(DEFAULT) if DEFAULT in grid else 0
    chosen: dict[int, int] = {}
    for i, s in enumerate(seasons):
        lo = max(0, i - TUNING_SEASONS)
        if counts[lo:i].sum() == 0:
            chosen[s] = default
            continue
        total = np.stack([sums.get(x, none) for x in seasons[lo:i]], axis=1).sum(axis=1)
        chosen[s] = int(np.argmin(total))
    return chosen


def run_elo_v2(t: GameTable, grid: tuple[tuple[float, float, int], ...] = GRID,
               cache: GridCache | None = None) -> EloV2Result:
    """Probabilities for every game; with ``cache``, the run resumes from its latest
    checkpoint that still holds and ``cache.state`` becomes the state to store."""
    if len(t) == 0:
        return EloV2Result(np.empty(0), np.empty(0), np.empty(0), {}, {}, 0.0)
    rates = {w: _home_rates(t, w) for w in {g[2] for g in grid}}
    hc_by_window = {w: np.where(t.neutral, 0.0, home_court_points(r[0]))
                    for w, r in rates.items()}
    teams, team_index = np.unique(np.concatenate((t.home, t.away)), return_inverse=True)
    seed = _seed(grid, teams, cache.salt if cache is not None else "")
    starts = {s for s, _ in _day_bounds(t)}
    back = grid_cache.resume(cache, t, seed, starts)
    wanted = grid_cache.checkpoint_positions(t) if cache is not None else set()
    run = _run_grid(t, grid, hc_by_window, team_index, len(teams), back.start, wanted)
    chosen = _choose(t, run.sums, grid)
    at = back.start.at
    row = np.array([chosen[int(s)] for s in t.season[at:]], dtype=np.int64)
    cols = np.arange(len(t) - at)
    prob = np.concatenate((back.prob, run.prob[row, cols]))
    diff = np.concatenate((back.diff, run.diff[row, cols]))
    if cache is not None:
        points = {**{p: c for p, c in back.holding.items() if p in wanted}, **run.points}
        cache.state = grid_cache.new_state(t, seed, points, prob, diff)
        cache.reused = at
    last = chosen[int(t.season[-1])]
    window = grid[last][2]
    pick = np.array([chosen[int(s)] for s in t.season], dtype=np.int64)
    return EloV2Result(
        prob=prob, rating_diff=diff,
        home_court=np.stack([hc_by_window[g[2]] for g in grid])[pick, np.arange(len(t))],
        chosen={s: grid[c] for s, c in chosen.items()},
        ratings={int(tm): round(float(r), 2)
                 for tm, r in zip(teams, run.ratings[last], strict=True)},
        next_home_court=round(float(home_court_points(rates[window][1])), 2),
    )
