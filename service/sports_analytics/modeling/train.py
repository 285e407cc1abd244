"""``sports-analytics train``: new versions of ``elo_v2`` and ``logistic``, walk-forward.

1. Every game and its pre-game features are read (modeling/data.py); elo_v2 and the weekly
   logistic snapshots give each game a probability from earlier days' results only. Work
   that depends only on unchanged rows is reused: the logistic fits by key, elo_v2's grid
   from its latest checkpoint that still holds (modeling/grid_cache.py).
2. Holdout: the latest ``HOLDOUT_GAMES`` final games. A model's figures there are its
   walk-forward predictions, so they are honest.
3. Per model, a digest of the code version, the probabilities and the outcomes
   (``fingerprint``) says whether anything changed: if not, no version is made and nothing
   is written. Otherwise the candidate is compared with the current version's stored
   predictions on the same holdout games: it becomes current only if its Brier score is no
   worse; if it is worse it is recorded as rejected, with the reason, and the current
   version's predictions stay.
4. The reference models' version rows get their figures on the same holdout.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import structlog
from sqlalchemy import Connection, text

from sports_analytics.modeling import logistic, registry, store
from sports_analytics.modeling.data import GameTable, load_table, to_date
from sports_analytics.modeling.elo_v2 import GRID, EloV2Result, run_elo_v2
from sports_analytics.modeling.grid_cache import GridCache
from sports_analytics.modeling.metrics import score

if TYPE_CHECKING:
    import numpy.typing as npt

log = structlog.get_logger(__name__)

HOLDOUT_GAMES = 1230
MIN_HISTORY = {"elo_v2": 300, "logistic": logistic.MIN_TRAIN_GAMES + 100}
LOCK = "SELECT pg_advisory_xact_lock(hashtext('sports_analytics.train'))"


@dataclass
class ModelOutcome:
    model: str
    action: str  # trained, rejected, unchanged, too_little_history
    message: str
    version: int | None = None
    holdout: dict[str, Any] = field(default_factory=dict)
    written: int = 0


def _fingerprint(model: str, t: GameTable, prob: npt.NDArray[np.float64]) -> str:
    digest = hashlib.sha256(f"{model}|{registry.code_version()}".encode())
    for arr in (t.game_id, np.round(prob, 6), t.final, t.margin > 0):
        digest.update(np.ascontiguousarray(arr).tobytes())
    return digest.hexdigest()


def _holdout(t: GameTable) -> npt.NDArray[np.int64]:
    return np.flatnonzero(t.final)[-HOLDOUT_GAMES:]


def _elo_params(elo: EloV2Result, season: int) -> dict[str, Any]:
    k, carry, window = elo.chosen[season]
    return {"k": k, "carryover": carry, "home_window_games": window,
            "home_court_points": elo.next_home_court, "mov": "(|margin| + 3)^0.8 / "
            "(7.5 + 0.006 * winner elo difference)", "scale": 400, "season_mean": 1505,
            "grid": {"k": sorted({g[0] for g in GRID}), "carryover": sorted({g[1] for g in GRID}),
                     "home_window_games": sorted({g[2] for g in GRID})},
            "chosen_by_season": {str(s): list(c) for s, c in sorted(elo.chosen.items())},
            "ratings": {str(tm): r for tm, r in sorted(elo.ratings.items())}}


def _logistic_params(t: GameTable, lr: logistic.LogisticResult) -> tuple[dict[str, Any], tuple]:
    snap = next((s for s in reversed(lr.snapshots) if s.coef is not None), None)
    if snap is None or snap.coef is None:
        return {"coefficients": None}, (None, None)
    finals = np.flatnonzero(t.final)
    first, last = finals[snap.lo], finals[snap.hi - 1]
    return ({"coefficients": dict(zip(logistic.FEATURES, snap.coef, strict=True)),
             "snapshot_week": to_date(snap.start).isoformat(),
             "training_games": snap.hi - snap.lo, "C": logistic.REGULARISATION_C,
             "window_seasons": logistic.WINDOW_SEASONS, "snapshots": len(lr.snapshots)},
            (t.date(first), t.date(last)))


@dataclass
class _Context:
    """What every model's decision reads: the current versions and the stored rows."""

    current: dict[str, registry.ModelVersion | None]
    stored: store.StoredPredictions


def _stored_holdout(ctx: _Context, model: str, t: GameTable,
                    hold: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
    have = ctx.stored.of(model)
    return np.array([have.get(int(g), (np.nan, None))[0] for g in t.game_id[hold]])


def _decide(conn: Connection, ctx: _Context, t: GameTable, model: str,
            prob: npt.NDArray[np.float64], features: list[str], params: dict[str, Any],
            window: tuple) -> ModelOutcome:
    finals = int(t.final.sum())
    if finals < MIN_HISTORY[model]:
        return ModelOutcome(model, "too_little_history",
                            f"{model}: too little history ({finals} final games, needs "
                            f"{MIN_HISTORY[model]}); the current version stays")
    current = ctx.current[model]
    fingerprint = _fingerprint(model, t, prob)
    if current is not None and current.fingerprint == fingerprint:
        return ModelOutcome(model, "unchanged", f"{model}: data unchanged, version "
                            f"{current.version} stays", current.version)
    hold = _holdout(t)
    y = t.home_won[hold]
    figures = score(prob[hold], y).as_dict()
    if current is not None:
        stored = _stored_holdout(ctx, model, t, hold)
        known = ~np.isnan(stored)
        mine = score(prob[hold][known], y[known]).brier
        theirs = score(stored[known], y[known]).brier
        if known.any() and mine is not None and theirs is not None and mine > theirs:
            reason = (f"holdout Brier {mine:.5f} worse than current version {current.version}'s "
                      f"{theirs:.5f} on the same {int(known.sum())} games")
            _, number = registry.add_version(conn, model, features=features, params=params,
                                             window=window, holdout=figures,
                                             fingerprint=fingerprint, status="rejected",
                                             reason=reason)
            return ModelOutcome(model, "rejected", f"{model}: {reason}; kept", number, figures)
    version_id, number = registry.add_version(conn, model, features=features, params=params,
                                              window=window, holdout=figures,
                                              fingerprint=fingerprint)
    written = store.write_predictions(conn, t, model, prob, version_id, ctx.stored.of(model))
    return ModelOutcome(model, "trained", f"{model}: version {number}, holdout Brier "
                        f"{figures['brier']}, {written} predictions written", number, figures,
                        written)


def _reference_figures(conn: Connection, ctx: _Context, t: GameTable) -> None:
    hold = _holdout(t)
    figures = {}
    for model in registry.REFERENCE_MODELS:
        current = ctx.current[model]
        if current is None or not len(hold):
            continue
        p = _stored_holdout(ctx, model, t, hold)
        known = ~np.isnan(p)
        figures[current.id] = score(p[known], t.home_won[hold][known]).as_dict()
    registry.set_holdouts(conn, figures)


def _fit(conn: Connection, t: GameTable) -> tuple[EloV2Result, logistic.LogisticResult]:
    """Both models' walk-forward probabilities, reusing and then storing the logistic fits and
    the grid checkpoints."""
    saved = store.load_snapshots(conn)
    cache = GridCache(registry.code_version(), saved.get(store.GRID_SNAPSHOT, {}))
    elo = run_elo_v2(t, cache=cache)
    fits = store.fits_of(saved)
    lr = logistic.run_logistic(t, elo, dict(fits))
    used = {s.key: s.coef for s in lr.snapshots if s.coef is not None}
    changed: dict[str, dict[str, Any]] = {}
    if used != fits:
        changed[store.FITS_SNAPSHOT] = {"fits": used}
    if cache.state != saved.get(store.GRID_SNAPSHOT, {}):
        changed[store.GRID_SNAPSHOT] = cache.state
    store.save_snapshots(conn, changed)
    log.debug("models fitted", grid_games_reused=cache.reused, logistic_fitted=lr.fitted)
    return elo, lr


def train(conn: Connection) -> list[ModelOutcome]:
    """Train both models in the caller's transaction."""
    conn.execute(text(LOCK))
    t = load_table(conn)
    elo, lr = _fit(conn, t)
    season = int(t.season[-1]) if len(t) else 0
    finals = np.flatnonzero(t.final)
    elo_window = (t.date(finals[0]), t.date(finals[-1])) if len(finals) else (None, None)
    hold = _holdout(t)
    ctx = _Context(registry.current_versions(conn, registry.TRAINED_MODELS
                                             + registry.REFERENCE_MODELS),
                   store.StoredPredictions(conn, registry.TRAINED_MODELS,
                                           registry.REFERENCE_MODELS,
                                           int(t.day[hold].min()) if len(hold) else 0))
    outcomes = [
        _decide(conn, ctx, t, "elo_v2", elo.prob, ["elo_difference", "home_court"],
                _elo_params(elo, season) if len(t) else {}, elo_window),
        _decide(conn, ctx, t, "logistic", lr.prob, list(logistic.FEATURES),
                *_logistic_params(t, lr)),
    ]
    _reference_figures(conn, ctx, t)
    for o in outcomes:
        log.info("model trained", model=o.model, action=o.action, version=o.version,
                 written=o.written, **{f"holdout_{k}": v for k, v in o.holdout.items()})
    return outcomes
