"""Writing model predictions and the stored weekly fits.

Predictions are compared with the stored rows first: only games whose probability changed (or
that had none) are written, each naming the version that wrote it, so an unchanged retrain
writes nothing and a nightly one writes the games from that night on.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import Connection, text

from sports_analytics.modeling.data import GameTable

FITS_SNAPSHOT = "logistic_fits"

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


def stored_probs(conn: Connection, model: str,
                 game_ids: list[int] | None = None) -> dict[int, tuple[float, bool | None]]:
    """``model``'s stored (probability, was_correct) per game, all or of ``game_ids``; straight
    from the driver, as a whole history is read on every run."""
    raw = conn.connection.driver_connection
    assert raw is not None
    sql = "SELECT game_id, home_win_prob, was_correct FROM predictions WHERE model = %(m)s"
    if game_ids is not None:
        sql += " AND game_id = ANY(%(ids)s)"
    with raw.cursor() as cur:
        cur.execute(sql, {"m": model, "ids": game_ids})
        return {int(g): (float(p), c) for g, p, c in cur.fetchall()}


def write_predictions(conn: Connection, t: GameTable, model: str, prob: npt.NDArray[np.float64],
                      version_id: int) -> int:
    """Upsert the rows of ``model`` that differ from the stored ones; returns rows written."""
    have = stored_probs(conn, model)
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


def load_fits(conn: Connection) -> dict[str, list[float]]:
    state = conn.execute(text("SELECT state FROM analytics_snapshots WHERE name = :n"),
                         {"n": FITS_SNAPSHOT}).scalar()
    fits = state.get("fits") if isinstance(state, dict) else None
    if not isinstance(fits, dict):
        return {}
    return {k: v for k, v in fits.items() if isinstance(v, list)}


def save_fits(conn: Connection, fits: dict[str, Any]) -> None:
    conn.execute(text("""
        INSERT INTO analytics_snapshots (name, state, updated_at)
        VALUES (:n, CAST(:s AS jsonb), now())
        ON CONFLICT (name) DO UPDATE SET state = excluded.state, updated_at = now()"""),
        {"n": FITS_SNAPSHOT, "s": json.dumps({"fits": fits})})
