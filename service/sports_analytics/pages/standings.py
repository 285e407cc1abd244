"""``/standings``: both conferences, seeds and marks, and the latest season forecast."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from sports_analytics.exceptions import NotFound
from sports_analytics.pages import queries
from sports_analytics.pages.day import freshness_line
from sports_analytics.pages.format import season_label

CONFERENCES = ("East", "West")


def zone(rank: int) -> str:
    """The NBA's cut lines: seeds 1-6 go to the playoffs, 7-10 to the play-in."""
    return "playoffs" if rank <= 6 else "play-in" if rank <= 10 else "out"


async def standings_context(request: Request, season: int | None) -> dict[str, Any]:
    reader = request.state.read_pool
    fresh = freshness_line(await queries.freshness(reader))
    table, _version = await request.state.standings.standings(season)  # per data version
    if table.season is None:
        raise NotFound("There are no games in the database yet: load a season first.")
    if season is not None and not table.rows and not await _season_exists(reader, season):
        raise NotFound(f"There are no games for the {season_label(season)} season.")
    forecast = None
    if fresh["has_forecast"]:
        forecast = await queries.fetch_json(reader, queries.LATEST_FORECAST_SQL,
                                            {"season": table.season})
    conferences = []
    for name in CONFERENCES:
        rows = [dict(r, seed=r.get("seed") or r["conference_rank"]) for r in table.rows
                if r["conference"] == name]
        for r in rows:
            r["zone"] = zone(r["seed"])
            r["forecast"] = (forecast or {}).get("teams", {}).get(r["team"]) if forecast else None
        conferences.append({"name": name, "rows": rows})
    return {"title": f"Standings {season_label(table.season)}", "season": table.season,
            "conferences": conferences, "forecast": forecast, "freshness": fresh}


async def _season_exists(reader: Any, season: int) -> bool:
    row = await reader.fetchrow("SELECT EXISTS (SELECT 1 FROM games WHERE season = %(s)s)",
                                {"s": season})
    return bool(row and row[0])
