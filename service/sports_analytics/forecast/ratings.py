"""Where the simulation's game probabilities come from: one interface, :class:`RatingSource`.

A source gives every team's rating now and the Elo-form game model that turns two ratings
into P(home wins) and moves both after a result. The model is the one the registry names as
the current best rating model (``modeling.ratings.current_rating_model``); its loader in
:data:`SOURCES` replays the history up to the season, so the ratings include the latest
results. ``elo_v1`` serves when the registry names nothing. A rating model joins by adding its
loader there: the simulation itself does not change.

Simulated games have no score, so the margin-of-victory multiplier is taken at the league's
typical winning margin (``TYPICAL_MARGIN``), with the model's autocorrelation term: a
favourite's simulated win still moves ratings less than an upset.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import structlog
from sqlalchemy import Connection, text

from sports_analytics.analytics.elo import ELO_V1, EloParams, EloRatings, run_elo

log = structlog.get_logger(__name__)

_LN10 = float(np.log(10.0))

TYPICAL_MARGIN = 11.0
"""Average winning margin of an NBA game, in points (about 11 in recent seasons)."""


@dataclass(frozen=True)
class RatingSource:
    """Ratings now and the game model, as the simulation uses them (vectorised)."""

    model: str
    model_version_id: int | None
    ratings: dict[int, float]
    params: EloParams

    def rating(self, team_id: int) -> float:
        return self.ratings.get(team_id, self.params.initial_rating)

    def _edge(self, home: np.ndarray, away: np.ndarray, neutral: np.ndarray) -> np.ndarray:
        """Home rating minus away rating, with home-court points unless at a neutral site (in
        the ratings' own float type: the simulation runs in float32)."""
        court = np.where(neutral, 0.0, self.params.home_advantage).astype(home.dtype)
        edge = home - away
        edge += court
        return edge

    def p_home(self, home: np.ndarray, away: np.ndarray, neutral: np.ndarray) -> np.ndarray:
        """P(home wins) for rating arrays."""
        return 1.0 / (1.0 + np.exp(self._edge(home, away, neutral) * -_LN10 / self.params.scale))

    def play(self, home: np.ndarray, away: np.ndarray, neutral: np.ndarray,
             uniform: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Draw results (``uniform`` in [0, 1)): True where the home side won, and the rating
        points it gains (the away side loses as many). In place where it can: this is the
        simulation's inner loop."""
        p = self.params
        edge = self._edge(home, away, neutral)
        expected = edge * (-_LN10 / p.scale)
        np.exp(expected, out=expected)
        expected += 1.0
        np.reciprocal(expected, out=expected)
        home_won = uniform < expected
        # The winner's edge: the home edge where the home side won, its negative elsewhere.
        divisor = edge
        divisor *= p.autocorr_slope
        np.negative(divisor, out=divisor, where=~home_won)
        divisor += p.autocorr_base
        np.subtract(home_won, expected, out=expected)
        expected *= p.k * (TYPICAL_MARGIN + p.mov_offset) ** p.mov_exponent
        expected /= divisor
        return home_won, expected


_SNAPSHOT = text("SELECT state FROM analytics_snapshots WHERE name = 'predictions'")
_LAST_FINAL = text("SELECT max(date) FROM games WHERE status = 'final' AND season <= :season")


def elo_ratings(conn: Connection, season: int, params: EloParams) -> dict[int, float]:
    """Ratings at the start of the next game day of ``season``: the predictions' snapshot when
    it stands after the last final game up to this season, else a replay of that history."""
    from sports_analytics.analytics.replay import load_games

    last = conn.execute(_LAST_FINAL, {"season": season}).scalar()
    snap = conn.execute(_SNAPSHOT).scalar()
    if (snap and snap.get("params") == repr(params) and last is not None
            and dt.date.fromisoformat(snap["through"]) == last):
        state = EloRatings(params, {int(t): float(r) for t, r in snap["ratings"].items()},
                           int(snap["season"]))
    else:  # the predictions' own reader: the same games, neutral sites included
        state = EloRatings(params)
        games = [g for g in load_games(conn) if g.season <= season and g.final]
        run_elo(games, params, since=dt.date.max, state=state)
    state.start_season(season)  # a season not yet begun starts from the regressed ratings
    return dict(state.ratings)


def _elo_v1(conn: Connection, season: int, version_id: int | None) -> RatingSource:
    return RatingSource("elo_v1", version_id, elo_ratings(conn, season, ELO_V1), ELO_V1)


def _elo_v2(conn: Connection, season: int, version_id: int | None) -> RatingSource:
    """``elo_v2`` with its current version's constants (K, carry-over, home-court window),
    replayed over the history up to ``season`` so its ratings include the latest results."""
    from dataclasses import replace

    from sports_analytics.modeling.data import load_table
    from sports_analytics.modeling.elo_v2 import MEAN, run_elo_v2
    from sports_analytics.modeling.registry import current_version

    version = current_version(conn, "elo_v2")
    table = load_table(conn)
    keep = table.season <= season
    if version is None or not keep.any():
        return _elo_v1(conn, season, None)
    table = replace(table, **{name: getattr(table, name)[keep] for name in (
        "game_id", "season", "day", "home", "away", "final", "margin", "neutral")},
        raw={k: v[keep] for k, v in table.raw.items()})
    k, carryover = float(version.params["k"]), float(version.params["carryover"])
    window = int(version.params.get("home_window_games", 1230))
    result = run_elo_v2(table, grid=((k, carryover, window),))
    params = EloParams(k=k, home_advantage=result.next_home_court, season_carryover=carryover,
                       season_mean=MEAN)
    state = EloRatings(params, dict(result.ratings), int(table.season[-1]))
    state.start_season(season)
    return RatingSource("elo_v2", version.id, dict(state.ratings), params)


SourceLoader = Callable[[Connection, int, "int | None"], RatingSource]
SOURCES: dict[str, SourceLoader] = {"elo_v1": _elo_v1, "elo_v2": _elo_v2}

_REGISTRY = text("SELECT to_regclass('model_versions') IS NOT NULL")


def current_source(conn: Connection, season: int) -> RatingSource:
    """The rating source of the current best rating model: the registry's choice
    (modeling/ratings.py), when it has a loader here; ``elo_v1`` otherwise."""
    if conn.execute(_REGISTRY).scalar():
        from sports_analytics.modeling.ratings import current_rating_model

        chosen = current_rating_model(conn)
        if chosen is not None and chosen.name in SOURCES:
            return SOURCES[chosen.name](conn, season, chosen.version_id)
        if chosen is not None:
            log.warning("no rating source for the current model; elo_v1 serves",
                        model=chosen.name)
    return _elo_v1(conn, season, None)
