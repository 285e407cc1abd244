"""``/status``: the last refresh runs, the data version and freshness, and where to look next."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from sports_analytics.api.schedule import REFRESHES_SQL
from sports_analytics.pages import queries
from sports_analytics.pages.day import freshness_line
from sports_analytics.pages.format import as_datetime

RUNS_SHOWN = 20


def _duration(run: dict[str, Any]) -> float | None:
    start, end = as_datetime(run["started_at"]), as_datetime(run["finished_at"])
    return None if start is None or end is None else (end - start).total_seconds()


async def status_context(request: Request) -> dict[str, Any]:
    reader = request.state.read_pool
    fresh = freshness_line(await queries.freshness(reader))
    runs = (await queries.fetch_json(reader, REFRESHES_SQL, {"limit": RUNS_SHOWN}))["items"]
    for run in runs:
        run["duration"] = _duration(run)
        run["counts_text"] = ", ".join(f"{k} {v}" for k, v in sorted((run["counts"] or {}).items())
                                       if not isinstance(v, dict | list))
    return {"title": "Status", "runs": runs, "freshness": fresh}
