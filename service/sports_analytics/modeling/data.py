"""Every game with its pre-game features, as numpy arrays in (date, id) order.

One statement reads games and both teams' ``game_features`` rows (analytics/features.py:
values from games final on earlier dates only). ``neutral_site`` comes from migration 0005,
older than the model registry (0006) every reader of this table needs.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from sqlalchemy import Connection

if TYPE_CHECKING:
    import numpy.typing as npt

_GAMES_SQL = """
SELECT g.id, g.season, g.date - DATE '1970-01-01', g.home_team_id, g.away_team_id,
       (g.status = 'final' AND g.home_score IS NOT NULL AND g.away_score IS NOT NULL
        AND g.home_score <> g.away_score) AS final,
       coalesce(g.home_score - g.away_score, 0) AS margin,
       g.neutral_site AS neutral,
       h.rest_days, a.rest_days, coalesce(h.back_to_back, false), coalesce(a.back_to_back, false),
       h.point_diff_last10, a.point_diff_last10,
       h.off_rating_last5 - h.def_rating_last5, a.off_rating_last5 - a.def_rating_last5,
       h.season_win_pct, a.season_win_pct,
       coalesce(h.games_played, 0), coalesce(a.games_played, 0)
FROM games g
LEFT JOIN game_features h ON h.game_id = g.id AND h.team_id = g.home_team_id
LEFT JOIN game_features a ON a.game_id = g.id AND a.team_id = g.away_team_id
WHERE g.status IN ('scheduled', 'final')
ORDER BY g.date, g.id
"""

_FEATURE_COLUMNS = ("home_rest", "away_rest", "home_b2b", "away_b2b", "home_diff10",
                    "away_diff10", "home_net5", "away_net5", "home_wpct", "away_wpct",
                    "home_gp", "away_gp")


@dataclass
class GameTable:
    """Column arrays, one entry per game, sorted by (date, id)."""

    game_id: npt.NDArray[np.int64]
    season: npt.NDArray[np.int64]
    day: npt.NDArray[np.int64]  # date as days since 1970-01-01
    home: npt.NDArray[np.int64]
    away: npt.NDArray[np.int64]
    final: npt.NDArray[np.bool_]  # final with a winner
    margin: npt.NDArray[np.float64]  # home minus away points (0 unless final)
    neutral: npt.NDArray[np.bool_]
    raw: dict[str, npt.NDArray[np.float64]]  # pre-game feature columns (NaN when missing)

    @property
    def home_won(self) -> npt.NDArray[np.float64]:
        return (self.margin > 0).astype(np.float64)

    def __len__(self) -> int:
        return len(self.game_id)

    def date(self, i: int) -> dt.date:
        return to_date(int(self.day[i]))


_EPOCH = dt.date(1970, 1, 1)


def to_date(day: int) -> dt.date:
    return _EPOCH + dt.timedelta(days=day)


def to_day(date: dt.date) -> int:
    return (date - _EPOCH).days


def load_table(conn: Connection) -> GameTable:
    raw_conn = conn.connection.driver_connection
    assert raw_conn is not None
    with raw_conn.cursor() as cur:  # straight from the driver: a whole history at once
        cur.execute(_GAMES_SQL)
        rows = cur.fetchall()
    cols = list(zip(*rows, strict=True)) if rows else [()] * (8 + len(_FEATURE_COLUMNS))

    def ints(i: int) -> npt.NDArray[np.int64]:
        return np.asarray(cols[i], dtype=np.int64)

    def floats(i: int) -> npt.NDArray[np.float64]:
        return np.asarray(cols[i], dtype=np.float64)  # NULL (None) becomes NaN

    return GameTable(
        game_id=ints(0), season=ints(1),
        day=ints(2),
        home=ints(3), away=ints(4),
        final=np.asarray(cols[5], dtype=np.bool_), margin=floats(6),
        neutral=np.asarray(cols[7], dtype=np.bool_),
        raw={name: floats(8 + k) for k, name in enumerate(_FEATURE_COLUMNS)},
    )
