"""The model registry over HTTP: every model with its versions and holdout figures.

Reads ``model_versions`` only (modeling/registry.py); nothing here imports the training
library. A current version whose stored parameters are unusable is reported with the earlier
version that stands in for it, never as an error.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field
from sqlalchemy import Connection

from sports_analytics.api.deps import ReadEngineDep
from sports_analytics.api.schemas import UNAVAILABLE, ErrorDetail
from sports_analytics.exceptions import NotFound
from sports_analytics.modeling import registry

router = APIRouter(prefix="/api/v1/models", tags=["models"])


class Holdout(BaseModel):
    games: int | None = Field(description="latest final games the version was scored on")
    accuracy: float | None
    brier: float | None
    log_loss: float | None
    ece: float | None = Field(description="expected calibration error over 10 bins")


class ModelVersionInfo(BaseModel):
    version: int
    trained_at: dt.datetime
    train_from: dt.date | None
    train_to: dt.date | None
    features: list[str]
    holdout: Holdout
    code_version: str
    is_current: bool
    status: str = Field(description="accepted, or rejected (see reason)")
    reason: str | None
    params: dict[str, Any] | None = Field(
        default=None, description="coefficients or constants (on /models/{name} only)")


class ModelSummary(BaseModel):
    model: str
    kind: str = Field(description="trained, or reference (fixed constants)")
    current_version: int | None = Field(
        description="the version in use: the current one, or the newest usable earlier one "
                    "when the current one's parameters are unusable")
    versions: list[ModelVersionInfo]


class ModelList(BaseModel):
    models: list[ModelSummary]


def _info(row: dict[str, Any], with_params: bool) -> ModelVersionInfo:
    return ModelVersionInfo(
        version=row["version"], trained_at=row["trained_at"], train_from=row["train_from"],
        train_to=row["train_to"],
        features=[str(f) for f in row["features"]] if isinstance(row["features"], list) else [],
        holdout=Holdout(games=row["holdout_games"], accuracy=row["holdout_accuracy"],
                        brier=row["holdout_brier"], log_loss=row["holdout_log_loss"],
                        ece=row["holdout_ece"]),
        code_version=row["code_version"], is_current=row["is_current"], status=row["status"],
        reason=row["reason"],
        params=(row["params"] if isinstance(row["params"], dict) else None) if with_params
        else None,
    )


def _summary(conn: Connection, model: str, rows: list[dict[str, Any]],
             with_params: bool) -> ModelSummary:
    in_use = registry.current_version(conn, model)
    return ModelSummary(
        model=model,
        kind="reference" if model in registry.REFERENCE_MODELS else "trained",
        current_version=in_use.version if in_use else None,
        versions=[_info(r, with_params) for r in rows])


@router.get("", response_model=ModelList, responses=UNAVAILABLE,
            summary="Every model, its versions and their holdout figures")
def list_models(engine: ReadEngineDep) -> ModelList:
    with engine.connect() as conn:
        rows = registry.versions(conn)
        by_model: dict[str, list[dict[str, Any]]] = {}
        for r in rows:
            by_model.setdefault(r["model"], []).append(r)
        return ModelList(models=[_summary(conn, m, rs, False)
                                 for m, rs in sorted(by_model.items())])


@router.get("/{name}", response_model=ModelSummary,
            responses={404: {"model": ErrorDetail, "description": "no such model"},
                       **UNAVAILABLE},
            summary="One model's version history, with parameters")
def get_model(engine: ReadEngineDep,
              name: Annotated[str, Path(min_length=1, max_length=32,
                                        pattern=r"^[A-Za-z0-9_]+$")]) -> ModelSummary:
    model = name.lower()
    with engine.connect() as conn:
        rows = registry.versions(conn, model)
        if not rows:
            raise NotFound(f"model {name!r} not found")
        return _summary(conn, model, rows, True)
