"""``/teams/{abbreviation}``: the season of one team: rating, results, upcoming games with
probabilities, roster leaders and, when forecasts are stored, the playoff odds over time."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import Request

from sports_analytics.exceptions import NotFound
from sports_analytics.pages import queries
from sports_analytics.pages.charts import LineChart, line_chart
from sports_analytics.pages.day import freshness_line
from sports_analytics.pages.format import season_label, short_date

RATING_MODEL = "elo_v1"
UPCOMING_SHOWN = 10


def _rating_model(games: list[dict[str, Any]]) -> str | None:
    models = {p["model"] for g in games for p in g["predictions"] if p["rating"] is not None}
    return RATING_MODEL if RATING_MODEL in models else min(models, default=None)


def rating_series(games: list[dict[str, Any]]) -> tuple[str | None, list[dict[str, Any]]]:
    """The pre-game rating of each finished game the rating model rated, in date order.

    Scheduled games are left out: their predictions all carry today's rating, which would
    draw a flat line to the end of the calendar as if those games had been played.
    """
    model = _rating_model(games)
    points = []
    for g in games:
        if g["status"] != "final":
            continue
        rating = next((p["rating"] for p in g["predictions"]
                       if p["model"] == model and p["rating"] is not None), None)
        if rating is not None:
            points.append({"date": dt.date.fromisoformat(str(g["date"])[:10]),
                           "opponent": g["opponent"], "rating": rating})
    return model, points


def rating_chart(model: str | None, ratings: list[dict[str, Any]]) -> LineChart | None:
    """The rating line over the days the team played: the axis ends at its last finished game."""
    days: list[dt.date] = [r["date"] for r in ratings]
    if len(days) < 2:
        return None
    return line_chart(
        [(model or "rating", [r["rating"] for r in ratings])],
        [short_date(d) for d in days],
        x_values=[d.toordinal() for d in days],
        x_caption=played_range(days))


def played_range(days: list[dt.date]) -> str:
    if not days:
        return ""
    return f"{len(days)} games played, {short_date(days[0])} to {short_date(days[-1])}"


def _result(g: dict[str, Any]) -> dict[str, Any]:
    won = g["team_score"] > g["opp_score"]
    return {**g, "won": won,
            "picks": [{"model": p["model"], "right": p["was_correct"]} for p in g["predictions"]]}


async def team_context(request: Request, abbr: str, season: int | None) -> dict[str, Any]:
    reader = request.state.read_pool
    data = await queries.fetch_json(reader, queries.TEAM_SQL, {"abbr": abbr, "season": season})
    if data["team"] is None:
        raise NotFound(f"There is no team {abbr!r}.")
    if season is not None and not data["games"]:
        raise NotFound(f"{data['team']['name']} have no games in the "
                       f"{season_label(season)} season.")
    fresh = freshness_line(await queries.freshness(reader))
    games = data["games"]
    model, ratings = rating_series(games)
    chart = rating_chart(model, ratings)
    odds: list[dict[str, Any]] = []
    if fresh["has_forecast"] and data["season"] is not None:
        odds = await queries.fetch_json(reader, queries.FORECAST_HISTORY_SQL,
                                        {"abbr": abbr, "season": data["season"]}) or []
    odds_chart = line_chart(
        [("playoffs", [o["p_playoffs"] for o in odds]), ("title", [o["p_title"] for o in odds])],
        [short_date(o["generated_at"]) for o in odds], "{:.0%}", 0.0, 1.0) if odds else None
    return {
        "title": data["team"]["name"], "team": data["team"], "season": data["season"],
        "results": [_result(g) for g in games if g["status"] == "final"],
        "upcoming": [g for g in games if g["status"] == "scheduled"][:UPCOMING_SHOWN],
        "leaders": data["leaders"], "rating_model": model, "ratings": ratings,
        "rating_chart": chart, "rating_range": played_range([r["date"] for r in ratings]),
        "odds": odds, "odds_chart": odds_chart, "freshness": fresh,
    }
