"""Reading and writing ``model_versions`` (db/model_registry.py).

A current version whose row cannot be used (parameters missing or not finite, or the row
gone) is skipped with a logged warning, and the newest usable accepted version before it
stands in: a bad row never fails a request or a command.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import structlog
from sqlalchemy import Connection, text

from sports_analytics import __version__

log = structlog.get_logger(__name__)

TRAINED_MODELS = ("elo_v2", "logistic")
REFERENCE_MODELS = ("elo_v1", "home_always")
# The parameters a version of each model needs to be usable.
REQUIRED_PARAMS: dict[str, tuple[str, ...]] = {
    "elo_v2": ("k", "carryover", "home_court_points", "ratings"),
    "logistic": ("coefficients",),
    "elo_v1": ("k", "home_advantage"),
    "home_always": ("prior_rate",),
}

_COLUMNS = ("id, model, version, trained_at, train_from, train_to, features, params, "
            "holdout_games, holdout_accuracy, holdout_brier, holdout_log_loss, holdout_ece, "
            "code_version, fingerprint, is_current, status, reason")


@dataclass(frozen=True)
class ModelVersion:
    id: int
    model: str
    version: int
    params: dict[str, Any]
    fingerprint: str | None
    holdout_brier: float | None
    row: dict[str, Any]


@functools.cache
def code_version() -> str:
    """The package version and a digest of the modeling code: a change to either is a new
    version of every trained model. Once per process: the code it runs does not change."""
    digest = hashlib.sha256()
    for path in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(path.read_bytes())
    return f"{__version__}+{digest.hexdigest()[:12]}"


def _finite(value: Any) -> bool:
    if isinstance(value, bool):
        return True
    if isinstance(value, int | float):
        return math.isfinite(value)
    if isinstance(value, dict):
        return all(_finite(v) for v in value.values())
    if isinstance(value, list):
        return all(_finite(v) for v in value)
    return isinstance(value, str) or value is None


def usable(model: str, params: Any) -> bool:
    if not isinstance(params, dict):
        return False
    needed = REQUIRED_PARAMS.get(model, ())
    return all(k in params and params[k] is not None for k in needed) and _finite(params)


def _as_version(row: dict[str, Any]) -> ModelVersion:
    return ModelVersion(row["id"], row["model"], row["version"], row["params"],
                        row["fingerprint"], row["holdout_brier"], row)


def _pick(model: str, rows: list[dict[str, Any]]) -> ModelVersion | None:
    """The first usable row of ``model``'s accepted versions, current first then newest."""
    for n, row in enumerate(rows):
        if usable(model, row["params"]):
            if n:
                log.warning("model version unusable, using an earlier one", model=model,
                            skipped=[r["version"] for r in rows[:n]], using=row["version"])
            return _as_version(row)
    if rows:
        log.warning("no usable version of model", model=model)
    return None


def current_versions(conn: Connection, models: tuple[str, ...]) -> dict[str, ModelVersion | None]:
    """:func:`current_version` of each of ``models``, in one statement."""
    rows = conn.execute(text(
        f"SELECT {_COLUMNS} FROM model_versions WHERE model = ANY(:m) AND status = 'accepted' "  # noqa: S608
        "ORDER BY model, is_current DESC, version DESC"), {"m": list(models)}).mappings().all()
    return {m: _pick(m, [dict(r) for r in rows if r["model"] == m]) for m in models}


def current_version(conn: Connection, model: str) -> ModelVersion | None:
    """The current version of ``model``, or the newest usable accepted one before it."""
    return current_versions(conn, (model,))[model]


def versions(conn: Connection, model: str | None = None) -> list[dict[str, Any]]:
    where = "" if model is None else "WHERE model = :m"
    return [dict(r) for r in conn.execute(text(
        f"SELECT {_COLUMNS} FROM model_versions {where} ORDER BY model, version DESC"),  # noqa: S608
        {"m": model}).mappings()]


def add_version(conn: Connection, model: str, *, features: list[str], params: dict[str, Any],
                window: tuple[Any, Any], holdout: dict[str, Any], fingerprint: str,
                status: str = "accepted", reason: str | None = None) -> tuple[int, int]:
    """Insert the next version of ``model`` (returns its id and number); an accepted one
    becomes the current version."""
    conn.execute(text("SELECT pg_advisory_xact_lock(hashtext('model_versions'), hashtext(:m))"),
                 {"m": model})
    if status == "accepted":
        conn.execute(text("UPDATE model_versions SET is_current = false "
                          "WHERE model = :m AND is_current"), {"m": model})
    version_id, number = conn.execute(text("""
        INSERT INTO model_versions (model, version, train_from, train_to, features, params,
            holdout_games, holdout_accuracy, holdout_brier, holdout_log_loss, holdout_ece,
            code_version, fingerprint, is_current, status, reason)
        SELECT :model, coalesce(max(version), 0) + 1, :train_from, :train_to,
            CAST(:features AS jsonb), CAST(:params AS jsonb), :games, :accuracy, :brier,
            :log_loss, :ece, :code, :fingerprint, :current, :status, :reason
        FROM model_versions WHERE model = :of_model
        RETURNING id, version"""), {
        "model": model, "of_model": model, "train_from": window[0], "train_to": window[1],
        "features": json.dumps(features), "params": json.dumps(params),
        "games": holdout.get("games"), "accuracy": holdout.get("accuracy"),
        "brier": holdout.get("brier"), "log_loss": holdout.get("log_loss"),
        "ece": holdout.get("ece"), "code": code_version(), "fingerprint": fingerprint,
        "current": status == "accepted", "status": status, "reason": reason,
    }).one()
    return int(version_id), int(number)


def set_holdouts(conn: Connection, holdouts: dict[int, dict[str, Any]]) -> None:
    """Record fixed reference versions' figures on the latest holdout games (version id ->
    figures), in one statement; rows whose figures did not change are not touched."""
    if not holdouts:
        return
    names = ("games", "accuracy", "brier", "log_loss", "ece")
    conn.execute(text("""
        UPDATE model_versions SET holdout_games = x.games, holdout_accuracy = x.accuracy,
            holdout_brier = x.brier, holdout_log_loss = x.log_loss, holdout_ece = x.ece
        FROM unnest(CAST(:ids AS bigint[]), CAST(:games AS integer[]),
                    CAST(:accuracy AS float8[]), CAST(:brier AS float8[]),
                    CAST(:log_loss AS float8[]), CAST(:ece AS float8[]))
             AS x(id, games, accuracy, brier, log_loss, ece)
        WHERE model_versions.id = x.id
          AND (holdout_games, holdout_accuracy, holdout_brier, holdout_log_loss, holdout_ece)
              IS DISTINCT FROM (x.games, x.accuracy, x.brier, x.log_loss, x.ece)"""),
        {"ids": list(holdouts), **{k: [h.get(k) for h in holdouts.values()] for k in names}})
