"""``/models``: how each model did: accuracy, Brier score and log loss against the home-court
baseline, a reliability diagram, the rolling Brier score and, when the model registry exists,
its versions."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

from sports_analytics.analytics.predictions import accuracy_report, latest_predicted_season
from sports_analytics.modeling import registry as model_registry
from sports_analytics.pages import queries
from sports_analytics.pages.charts import line_chart, reliability
from sports_analytics.pages.day import freshness_line
from sports_analytics.pages.format import short_date

BASELINE = "home_always"
ROLLING_GAMES = 100


def _read(engine: Engine, season: int | None, with_registry: bool
          ) -> tuple[int | None, list[dict[str, Any]], list[dict[str, Any]] | None]:
    """The season's accuracy per model (the API's report) and the registry's versions (the
    API's read), on one connection."""
    with engine.connect() as conn:
        if season is None:
            season = latest_predicted_season(conn)
        models = [] if season is None else accuracy_report(conn, season)
        versions = model_registry.versions(conn) if with_registry else None
    return season, models, versions


def _against_baseline(models: list[dict[str, Any]]) -> list[dict[str, Any]]:
    base = next((m for m in models if m["model"] == BASELINE), None)
    out = []
    for m in models:
        row = {**m, "diagram": reliability(m["calibration"])}
        if base is not None and m is not base and m["brier_score"] is not None \
                and base["brier_score"] is not None:
            row["brier_vs_base"] = m["brier_score"] - base["brier_score"]
            row["accuracy_vs_base"] = (m["accuracy"] or 0) - (base["accuracy"] or 0)
        out.append(row)
    return out


def rolling_chart(points: list[dict[str, Any]]) -> Any:
    dates = sorted({p["date"] for p in points})
    by_model: dict[str, dict[str, float]] = {}
    for p in points:
        by_model.setdefault(p["model"], {})[p["date"]] = p["brier"]
    return line_chart([(m, [v.get(d) for d in dates]) for m, v in sorted(by_model.items())],
                      [short_date(d) for d in dates], "{:.2f}")


async def models_context(request: Request, season: int | None) -> dict[str, Any]:
    reader = request.state.read_pool
    fresh = freshness_line(await queries.freshness(reader))
    season, models, registry = await run_in_threadpool(
        _read, request.state.read_engine, season, fresh["has_registry"])
    rolling: list[dict[str, Any]] = []
    if season is not None:
        rolling = await queries.fetch_json(reader, queries.ROLLING_BRIER_SQL,
                                           {"season": season, "window": ROLLING_GAMES - 1})
    return {"title": "Models", "season": season, "models": _against_baseline(models),
            "baseline": BASELINE, "rolling": rolling, "rolling_games": ROLLING_GAMES,
            "rolling_chart": rolling_chart(rolling) if rolling else None,
            "registry": registry, "freshness": fresh}
