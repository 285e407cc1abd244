"""``logistic``: a logistic regression on pre-game features, fitted walk-forward by week.

Features (home minus away unless said otherwise), from ``game_features`` and ``elo_v2``:

* ``elo_diff``: elo_v2 rating difference / 100;
* ``elo_diff_x_progress``: the same times the share of the season played (ratings say more
  once teams have played);
* ``home_court``: 1, or 0 at a neutral site (no separate intercept: a neutral game with the
  teams swapped gets exactly 1 - p);
* ``rest_diff``: days of rest, capped at 3; ``b2b_diff``: second night of a back-to-back;
* ``form_diff``: point differential over the last 10 games / 10;
* ``net_rating_diff``: offensive minus defensive rating over the last 5 games / 10;
* ``win_pct_diff``: season win percentage.

Walk-forward: the games of the week starting Monday W are predicted by a model fitted on the
final games dated before W (of the ``WINDOW_SEASONS`` latest seasons). Games after the week
of the latest result use the snapshot of that week. Until ``MIN_TRAIN_GAMES`` games are
available a snapshot has no fit and its games take elo_v2's probability.

This module is numpy only: fitting lives in :mod:`sports_analytics.modeling.logistic_fit`,
imported only when a snapshot's fit is not stored yet.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from sports_analytics.modeling.data import GameTable
from sports_analytics.modeling.elo_v2 import EloV2Result

if TYPE_CHECKING:
    import numpy.typing as npt

FEATURES = ("elo_diff", "elo_diff_x_progress", "home_court", "rest_diff", "b2b_diff",
            "form_diff", "net_rating_diff", "win_pct_diff")
WINDOW_SEASONS = 4
MIN_TRAIN_GAMES = 300
REGULARISATION_C = 1.0
SEASON_GAMES = 82.0


def design_matrix(t: GameTable, elo: EloV2Result) -> npt.NDArray[np.float64]:
    r = t.raw

    def diff(name: str, fill: float, cap: float | None = None) -> npt.NDArray[np.float64]:
        h, a = np.nan_to_num(r[f"home_{name}"], nan=fill), np.nan_to_num(r[f"away_{name}"],
                                                                       nan=fill)
        if cap is not None:
            h, a = np.minimum(h, cap), np.minimum(a, cap)
        return np.asarray(h - a, dtype=np.float64)

    progress = np.minimum((r["home_gp"] + r["away_gp"]) / (2 * SEASON_GAMES), 1.0)
    elo_diff = elo.rating_diff / 100.0
    return np.column_stack([
        elo_diff, elo_diff * progress, (~t.neutral).astype(np.float64),
        diff("rest", 3.0, 3.0), diff("b2b", 0.0), diff("diff10", 0.0) / 10.0,
        diff("net5", 0.0) / 10.0, diff("wpct", 0.5),
    ])


def week_start(day: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Monday on or before each day (days since 1970-01-01, a Thursday)."""
    return np.asarray(day - (day + 3) % 7, dtype=np.int64)


def predict(x: npt.NDArray[np.float64], coef: npt.ArrayLike) -> npt.NDArray[np.float64]:
    return np.asarray(1.0 / (1.0 + np.exp(-(x @ np.asarray(coef, dtype=np.float64)))))


@dataclass
class Snapshot:
    start: int  # first day it predicts (a Monday)
    lo: int  # training rows: final games at sorted positions [lo, hi)
    hi: int
    key: str
    coef: list[float] | None = None


@dataclass
class LogisticResult:
    prob: npt.NDArray[np.float64]
    snapshots: list[Snapshot] = field(default_factory=list)
    fitted: int = 0  # snapshots fitted in this run (not found among the stored fits)


def snapshots_for(t: GameTable, x: npt.NDArray[np.float64]) -> tuple[list[Snapshot], np.ndarray]:
    """The snapshots the games need, and each game's snapshot index."""
    final_idx = np.flatnonzero(t.final)
    last_final = t.day[final_idx[-1]] if len(final_idx) else t.day.min()
    start = np.minimum(week_start(t.day), week_start(np.array([last_final + 1]))[0])
    starts, which = np.unique(start, return_inverse=True)
    f_day, f_season = t.day[final_idx], t.season[final_idx]
    rows = np.column_stack([x[final_idx], t.home_won[final_idx]])
    # The key of a fit: a running digest of every training row up to ``hi`` (so a change to
    # any row it was fitted on gives a new key), plus ``lo`` and the settings.
    chain = hashlib.blake2b(repr((FEATURES, REGULARISATION_C)).encode(), digest_size=16)
    done = 0
    snaps: list[Snapshot] = []
    for w in starts.tolist():
        hi = int(np.searchsorted(f_day, w, side="left"))
        season = int(t.season[np.searchsorted(t.day, w, side="left").clip(max=len(t) - 1)])
        lo = int(np.searchsorted(f_season[:hi], season - WINDOW_SEASONS + 1, side="left"))
        chain.update(np.ascontiguousarray(rows[done:hi]).tobytes())
        done = max(done, hi)
        key = chain.copy()
        key.update(f"{lo}:{hi}".encode())
        snaps.append(Snapshot(w, lo, hi, key.hexdigest()))
    return snaps, which


def run_logistic(t: GameTable, elo: EloV2Result,
                 stored: dict[str, list[float]]) -> LogisticResult:
    """Walk-forward probabilities; fits missing from ``stored`` (key -> coefficients) are made
    now and added to it."""
    if len(t) == 0:
        return LogisticResult(np.empty(0))
    x = design_matrix(t, elo)
    snaps, which = snapshots_for(t, x)
    final_idx = np.flatnonzero(t.final)
    y = t.home_won[final_idx]
    fitted = 0
    for s in snaps:
        if s.hi - s.lo < MIN_TRAIN_GAMES:
            continue
        if s.key not in stored:
            from sports_analytics.modeling.logistic_fit import fit

            stored[s.key] = fit(x[final_idx[s.lo:s.hi]], y[s.lo:s.hi], REGULARISATION_C)
            fitted += 1
        s.coef = stored[s.key]
    prob = elo.prob.copy()
    for k, s in enumerate(snaps):
        if s.coef is not None:
            rows = np.flatnonzero(which == k)
            prob[rows] = predict(x[rows], s.coef)
    return LogisticResult(prob, snaps, fitted)
