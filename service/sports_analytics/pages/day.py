"""``/``: the games of one day, with every model's probability, the pick and the brief."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import Request
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

from sports_analytics.api.freshness import STALE_AFTER_SECONDS
from sports_analytics.insights.facts import load_facts
from sports_analytics.insights.rules import rule_brief
from sports_analytics.pages import queries
from sports_analytics.pages.format import as_datetime


def freshness_line(data: dict[str, Any]) -> dict[str, Any]:
    """The "data as of" line; ``stale`` with the stale-data alert's threshold."""
    now = as_datetime(data["now"])
    last_success = as_datetime(data.get("last_success"))
    last_run = data.get("last_run")
    age = None if last_success is None or now is None else (now - last_success).total_seconds()
    stale = (age is not None and age > STALE_AFTER_SECONDS) or (
        last_run is not None and last_success is None)
    return {**data, "age_seconds": age, "stale": stale,
            "stale_after_hours": STALE_AFTER_SECONDS // 3600}


def rule_briefs(engine: Engine, game_ids: list[int]) -> dict[int, dict[str, Any]]:
    """The rule-based brief of each game that has no stored one (same text as the API's)."""
    if not game_ids:
        return {}
    with engine.connect() as conn:
        return {gid: rule_brief(load_facts(conn, gid)).model_dump() for gid in game_ids}


def _pick(game: dict[str, Any], prediction: dict[str, Any]) -> dict[str, Any]:
    home_favoured = prediction["home_win_prob"] >= 0.5
    return {**prediction,
            "pick": game["home"] if home_favoured else game["away"],
            "pick_prob": max(prediction["home_win_prob"], 1 - prediction["home_win_prob"])}


def _ratings(game: dict[str, Any]) -> tuple[float | None, float | None]:
    for p in game["predictions"]:
        if p.get("home_rating") is not None:
            return p["home_rating"], p["away_rating"]
    return None, None


async def day_context(request: Request, day: dt.date, explicit: bool) -> dict[str, Any]:
    reader = request.state.read_pool
    data = await queries.game_day(reader, day, explicit)
    fresh = freshness_line(await queries.freshness(reader))
    games = data["games"]
    missing = [g["game_id"] for g in games if not g["stored_brief"]]
    fallback = await run_in_threadpool(rule_briefs, request.state.read_engine, missing)
    for game in games:
        stored = game.pop("stored_brief")
        game["brief_source"] = stored["source"] if stored else "rules"
        game["brief"] = stored["brief"] if stored else fallback.get(game["game_id"])
        game["predictions"] = [_pick(game, p) for p in game["predictions"]]
        game["home_rating"], game["away_rating"] = _ratings(game)
        game["features"] = game["features"] or {}
    return {"title": "Games", "day": data["date"], "prev": data["prev"], "next": data["next"],
            "games": games, "freshness": fresh, "explicit": explicit}
