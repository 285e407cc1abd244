"""``/games/{game_id}``: both box scores, the pre-game features, every model's prediction next
to the result, and the brief."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import Request
from starlette.concurrency import run_in_threadpool

from sports_analytics.api.games import BOX_SCORE_SQL
from sports_analytics.exceptions import NotFound
from sports_analytics.pages import queries
from sports_analytics.pages.day import freshness_line, rule_briefs

FEATURE_LABELS = (
    ("games_played", "Games played", "int"),
    ("season_win_pct", "Season win %", "pct"),
    ("win_pct_last5", "Win % last 5", "pct"),
    ("win_pct_last10", "Win % last 10", "pct"),
    ("point_diff_last5", "Point diff. last 5", "signed"),
    ("point_diff_last10", "Point diff. last 10", "signed"),
    ("off_rating_last5", "Off. rating last 5", "num"),
    ("def_rating_last5", "Def. rating last 5", "num"),
    ("pace_last5", "Pace last 5", "num"),
    ("efg_pct_last5", "eFG% last 5", "pct1"),
    ("ts_pct_last5", "TS% last 5", "pct1"),
    ("h2h_win_pct", "Head-to-head win %", "pct"),
    ("h2h_avg_margin", "Head-to-head margin", "signed"),
    ("rest_days", "Rest days", "int"),
    ("back_to_back", "Back-to-back", "bool"),
    ("streak", "Streak", "streak"),
)


def _verdict(game: dict[str, Any], p: dict[str, Any]) -> dict[str, Any]:
    home_pick = p["home_win_prob"] >= 0.5
    return {**p, "pick": game["home_team"] if home_pick else game["away_team"]}


async def game_context(request: Request, game_id: int) -> dict[str, Any]:
    reader = request.state.read_pool
    row = await reader.fetchrow(BOX_SCORE_SQL, {"game_id": game_id})
    if row is None:
        raise NotFound(f"There is no game {game_id}.")
    box = orjson.loads(row[0])
    extras = await queries.fetch_json(reader, queries.GAME_EXTRAS_SQL, {"game_id": game_id})
    fresh = freshness_line(await queries.freshness(reader))
    stored = extras["brief"]
    if stored:
        brief, source = stored["brief"], stored["source"]
    else:
        brief = (await run_in_threadpool(rule_briefs, request.state.read_engine,
                                         [game_id]))[game_id]
        source = "rules"
    features = extras["features"] or {}
    return {
        "title": f"{box['away_team']} at {box['home_team']}, {box['date']}",
        "game": box, "tipoff_at": extras["tipoff_at"], "neutral_site": extras["neutral_site"],
        "predictions": [_verdict(box, p) for p in extras["predictions"]],
        "features": features, "feature_labels": FEATURE_LABELS,
        "brief": brief, "brief_source": source, "freshness": fresh,
    }
