"""Team ratings from the current best rating model, for readers such as the season forecast.

``current_rating_model(conn)`` takes the current ``elo_v2`` version when it is usable and its
holdout Brier score is no worse than ``elo_v1``'s; otherwise ``elo_v1`` with the ratings its
last prediction run stored (analytics/replay.py). Numpy-free and training-library-free: it
reads stored rows only.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, text

from sports_analytics.modeling import registry


@dataclass(frozen=True)
class RatingModel:
    name: str
    version_id: int
    ratings: dict[int, float]  # team id -> Elo rating after the latest game day
    home_court_points: float  # Elo points for the home team (0 at a neutral site)
    k: float
    scale: float = 400.0

    def home_win_probability(self, home: int, away: int, neutral: bool = False) -> float:
        mean = sum(self.ratings.values()) / len(self.ratings) if self.ratings else 1500.0
        diff = (self.ratings.get(home, mean) - self.ratings.get(away, mean)
                + (0.0 if neutral else self.home_court_points))
        return 1.0 / (1.0 + 10.0 ** (-diff / self.scale))


def _elo_v1(conn: Connection) -> RatingModel | None:
    version = registry.current_version(conn, "elo_v1")
    if version is None:
        return None
    snap = conn.execute(text("SELECT state FROM analytics_snapshots WHERE name = 'predictions'")
                        ).scalar()
    ratings = snap.get("ratings", {}) if isinstance(snap, dict) else {}
    return RatingModel("elo_v1", version.id, {int(t): float(r) for t, r in ratings.items()},
                       float(version.params["home_advantage"]), float(version.params["k"]))


def current_rating_model(conn: Connection) -> RatingModel | None:
    """The rating model to use now, or None when no model has a usable version."""
    v2 = registry.current_version(conn, "elo_v2")
    v1 = _elo_v1(conn)
    if v2 is not None:
        v1_version = registry.current_version(conn, "elo_v1")
        v1_brier = v1_version.holdout_brier if v1_version else None
        if v1 is None or v1_brier is None or v2.holdout_brier is None \
                or v2.holdout_brier <= v1_brier:
            p = v2.params
            return RatingModel("elo_v2", v2.id,
                               {int(t): float(r) for t, r in p["ratings"].items()},
                               float(p["home_court_points"]), float(p["k"]))
    return v1
