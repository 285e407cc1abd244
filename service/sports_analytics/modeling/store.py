"""Writing model predictions, and the stored weekly fits and grid checkpoints.

Predictions are compared with the stored rows first: only games whose probability changed (or
that had none) are written, each naming the version that wrote it, so an unchanged retrain
writes nothing and a nightly one writes the games from that night on. The stored rows a
training run compares with are read once, in one statement, and only when a model changed.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import numpy as np
from sqlalchemy import Connection, text

from sports_analytics.modeling.data import GameTable

if TYPE_CHECKING:
    import numpy.typing as npt

FITS_SNAPSHOT = "logistic_fits"
GRID_SNAPSHOT = "elo_v2_grid"  # modeling/grid_cache.py

_UPSERT = text("""
INSERT INTO predictions (game_id, model, home_win_prob, away_win_prob, home_rating, away_rating,
                         was_correct, model_version_id)
SELECT g, :model, p, round((1 - p)::numeric, 6)::float8, NULL, NULL, c, :version
FROM unnest(CAST(:game_id AS bigint[]), CAST(:prob AS float8[]), CAST(:correct AS boolean[]))
     AS x(g, p, c)
ON CONFLICT (game_id, model) DO UPDATE SET
    home_win_prob = excluded.home_win_prob, away_win_prob = excluded.away_win_prob,
    was_correct = excluded.was_correct, model_version_id = excluded.model_version_id,
    created_at = now()
""")


_WHOLE = """
SELECT model, game_id, home_win_prob, was_correct FROM predictions WHERE model = ANY(%(whole)s)"""
_RECENT = """
SELECT p.model, p.game_id, p.home_win_prob, p.was_correct
FROM predictions p JOIN games g ON g.id = p.game_id
WHERE p.model = ANY(%(recent)s) AND g.date >= DATE '1970-01-01' + %(since)s"""

Stored = dict[int, tuple[float, bool | None]]  # game id -> (probability, was_correct)


class StoredPredictions:
    """Stored rows of the ``whole`` models (every game) and of the ``recent`` models (games
    from day ``since`` on), read on first use: a ``whole`` model's first use reads both groups
    in one statement. Straight from the driver, as a whole history may be read."""

    def __init__(self, conn: Connection, whole: tuple[str, ...], recent: tuple[str, ...],
                 since: int) -> None:
        self._conn, self._whole, self._recent, self._since = conn, whole, recent, since
        self._rows: dict[str, Stored] = {}

    def of(self, model: str) -> Stored:
        if model not in self._rows:
            whole = model in self._whole
            self._read(whole, recent=not whole or not set(self._recent) & set(self._rows))
        return self._rows[model]

    def _read(self, whole: bool, recent: bool) -> None:
        raw = self._conn.connection.driver_connection
        assert raw is not None
        sql = " UNION ALL ".join([q for q, wanted in ((_WHOLE, whole), (_RECENT, recent))
                                  if wanted])
        groups = (self._whole if whole else ()) + (self._recent if recent else ())
        rows: dict[str, Stored] = {m: {} for m in groups}
        with raw.cursor() as cur:
            cur.execute(sql, {"whole": list(self._whole), "recent": list(self._recent),
                              "since": self._since})
            for m, g, p, c in cur.fetchall():
                rows[m][int(g)] = (float(p), c)
        self._rows.update(rows)


def write_predictions(conn: Connection, t: GameTable, model: str, prob: npt.NDArray[np.float64],
                      version_id: int, have: Stored) -> int:
    """Upsert the rows of ``model`` that differ from ``have`` (its stored rows); returns rows
    written."""
    rounded = np.round(prob, 6)
    correct: list[bool | None] = [
        bool((p >= 0.5) == (m > 0)) if f else None
        for p, m, f in zip(rounded.tolist(), t.margin.tolist(), t.final.tolist(), strict=True)]
    ids, probs, flags = [], [], []
    for g, p, c in zip(t.game_id.tolist(), rounded.tolist(), correct, strict=True):
        if have.get(g) != (p, c):
            ids.append(g)
            probs.append(p)
            flags.append(c)
    if ids:
        conn.execute(_UPSERT, {"model": model, "version": version_id, "game_id": ids,
                               "prob": probs, "correct": flags})
    return len(ids)


def load_snapshots(conn: Connection) -> dict[str, dict[str, Any]]:
    """The stored logistic fits and grid checkpoints, by snapshot name, in one statement."""
    rows = conn.execute(text("SELECT name, state FROM analytics_snapshots WHERE name IN "
                             "(:fits, :grid)"), {"fits": FITS_SNAPSHOT, "grid": GRID_SNAPSHOT})
    return {name: state for name, state in rows if isinstance(state, dict)}


def fits_of(snapshots: dict[str, dict[str, Any]]) -> dict[str, list[float]]:
    fits = snapshots.get(FITS_SNAPSHOT, {}).get("fits")
    if not isinstance(fits, dict):
        return {}
    return {k: v for k, v in fits.items() if isinstance(v, list)}


def save_snapshots(conn: Connection, states: dict[str, dict[str, Any]]) -> None:
    if not states:
        return
    conn.execute(text("""
        INSERT INTO analytics_snapshots (name, state, updated_at)
        SELECT n, CAST(s AS jsonb), now()
        FROM unnest(CAST(:names AS text[]), CAST(:states AS text[])) AS x(n, s)
        ON CONFLICT (name) DO UPDATE SET state = excluded.state, updated_at = now()"""),
        {"names": list(states), "states": [json.dumps(v) for v in states.values()]})
