"""``sports-analytics evaluate``: every model's stored walk-forward predictions, scored.

Per model over the final games of the chosen seasons: games, accuracy, Brier score, log loss
and expected calibration error (modeling/metrics.py). On the synthetic demo the generator's
true probabilities (``demo_oracle``) are scored too, as ``oracle``: no model can honestly do
better on average.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sqlalchemy import Connection, text

from sports_analytics.exceptions import CommandFailed
from sports_analytics.modeling.metrics import score

ORACLE = "oracle"

_SCORED = """
SELECT p.model, p.home_win_prob, (g.home_score > g.away_score)
FROM games g JOIN predictions p ON p.game_id = g.id
WHERE g.status = 'final' AND g.home_score <> g.away_score AND g.season = ANY(:seasons)
UNION ALL
SELECT 'oracle', o.home_win_prob, (g.home_score > g.away_score)
FROM games g JOIN demo_oracle o ON o.game_id = g.id
WHERE g.status = 'final' AND g.home_score <> g.away_score AND g.season = ANY(:seasons)
"""


def chosen_seasons(conn: Connection, season: int | None, last: int | None) -> list[int]:
    """The seasons to score; a season that is not in the database is a clear error."""
    have = [int(s) for s in conn.execute(text(
        "SELECT DISTINCT season FROM games ORDER BY season")).scalars()]
    if not have:
        raise CommandFailed("no games; load some with `sports-analytics seed-demo` or "
                            "`ingest PATH`")
    if season is not None:
        if season not in have:
            raise CommandFailed(f"season {season} is not in the database (it has "
                                f"{have[0]}-{have[-1]})")
        return [season]
    if last is not None:
        if last < 1:
            raise CommandFailed(f"--last must be at least 1, got {last}")
        return have[-last:]
    return have


def evaluation(conn: Connection, seasons: list[int]) -> list[dict[str, Any]]:
    """One row per model (and the oracle where known), best Brier first."""
    rows = conn.execute(text(_SCORED), {"seasons": seasons}).all()
    by_model: dict[str, tuple[list[float], list[float]]] = {}
    for model, p, won in rows:
        probs, wins = by_model.setdefault(model, ([], []))
        probs.append(float(p))
        wins.append(1.0 if won else 0.0)
    out = [{"model": m, **score(np.array(p), np.array(y)).as_dict()}
           for m, (p, y) in by_model.items()]
    return sorted(out, key=lambda r: (r["brier"] is None, r["brier"], r["model"]))


def format_table(rows: list[dict[str, Any]], seasons: list[int]) -> str:
    span = str(seasons[0]) if len(seasons) == 1 else f"{seasons[0]}-{seasons[-1]}"
    lines = [f"walk-forward evaluation, season{'s' if len(seasons) > 1 else ''} {span}",
             f"{'model':<12} {'games':>6} {'accuracy':>9} {'brier':>8} {'log_loss':>9} "
             f"{'ece':>7}"]
    for r in rows:
        lines.append(f"{r['model']:<12} {r['games']:>6} {r['accuracy']:>9.4f} {r['brier']:>8.5f} "
                     f"{r['log_loss']:>9.5f} {r['ece']:>7.5f}")
    if not rows:
        lines.append("(no final game has a prediction yet: run `sports-analytics predict`)")
    return "\n".join(lines)
