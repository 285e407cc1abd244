"""An in-memory league for the simulation's unit tests: 30 teams, 1,230 games, no database."""

from __future__ import annotations

import datetime as dt
import random

from sports_analytics.analytics.elo import ELO_V1
from sports_analytics.forecast.ratings import RatingSource
from sports_analytics.forecast.season import SeasonArrays, build_season

TEAMS = [(i + 1, f"T{i:02d}", "East" if i < 15 else "West", f"D{i // 5}") for i in range(30)]


def schedule(seed: int = 1, games: int = 1230) -> list[tuple]:
    """Random pairings, at most one game a team a day, every game scheduled."""
    rng = random.Random(seed)
    rows: list[tuple] = []
    day = dt.date(2025, 10, 21)
    while len(rows) < games:
        teams = rng.sample([t[0] for t in TEAMS], 16)
        for j in range(0, 16, 2):
            if len(rows) < games:
                rows.append((teams[j], teams[j + 1], False, False, 0, day, False, "002"))
        day += dt.timedelta(days=1)
    return rows


def league(rows: list[tuple] | None = None) -> SeasonArrays:
    return build_season(2025, 1, TEAMS, rows if rows is not None else schedule())


def ratings(spread: float = 100.0, seed: int = 2) -> RatingSource:
    rng = random.Random(seed)
    return RatingSource("elo_v1", None, {t[0]: 1500 + rng.gauss(0, spread) for t in TEAMS},
                        ELO_V1)
