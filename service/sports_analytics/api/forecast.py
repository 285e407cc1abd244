"""``GET /api/v1/forecast``: the latest stored season forecast (see forecast/).

One SQL statement builds the whole body from the newest run of the season and returns the data
version it read; the ETag embeds that version. Storing a run bumps the data version, so a new
run changes the ETag, and a conditional request is answered 304 from memory like the other
results that only change with the data (api/caching.py).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Response

from sports_analytics.api.caching import REVALIDATE_CACHE_CONTROL, etag_matches
from sports_analytics.api.deps import DataVersionsDep, ReadPoolDep
from sports_analytics.api.games import IF_NONE_MATCH_DOC
from sports_analytics.api.params import SeasonQuery
from sports_analytics.api.responses import json_response
from sports_analytics.api.schemas import UNAVAILABLE, ErrorDetail, Forecast
from sports_analytics.exceptions import NotFound

router = APIRouter(prefix="/api/v1/forecast", tags=["forecast"])

FORECAST_SQL = """
WITH run AS (
    SELECT * FROM forecast_runs
    WHERE season = coalesce(%(season)s::int, (SELECT max(season) FROM forecast_runs))
    ORDER BY generated_at DESC, id DESC LIMIT 1
)
SELECT (SELECT json_build_object(
    'season', run.season, 'generated_at', run.generated_at, 'sims', run.sims,
    'data_version', run.data_version, 'seed', run.seed, 'model', run.model,
    'model_version_id', run.model_version_id, 'games_remaining', run.games_remaining,
    'teams', (SELECT json_agg(json_build_object(
                'team', t.abbreviation, 'conference', t.conference, 'wins', f.wins,
                'losses', f.losses, 'mean_wins', round(f.mean_wins::numeric, 2),
                'wins_p10', f.wins_p10, 'wins_p90', f.wins_p90,
                'p_top6', round(f.p_top6::numeric, 4), 'p_playin', round(f.p_playin::numeric, 4),
                'p_playoffs', round(f.p_playoffs::numeric, 4),
                'p_first_seed', round(f.p_first_seed::numeric, 4),
                'p_conf_finals', round(f.p_conf_finals::numeric, 4),
                'p_title', round(f.p_title::numeric, 4))
              ORDER BY t.conference, f.mean_wins DESC, t.abbreviation)
              FROM forecast_teams f JOIN teams t ON t.id = f.team_id WHERE f.run_id = run.id)
    )::text FROM run),
  (SELECT max(version) FROM data_versions)
"""


def forecast_etag(season: int | None, version: int) -> str:
    return f'"fc-{season or "latest"}-{version}"'


@router.get("", response_model=Forecast, responses={
    304: {"description": "not modified: the If-None-Match ETag is current"},
    404: {"model": ErrorDetail, "description": "no forecast stored for the season"},
    **UNAVAILABLE},
    openapi_extra=IF_NONE_MATCH_DOC,
    summary="Playoff and title odds from the latest season simulation (default: latest season)")
async def get_forecast(versions: DataVersionsDep, reader: ReadPoolDep,
                       season: SeasonQuery = None,
                       if_none_match: Annotated[str | None, Header(include_in_schema=False)]
                       = None) -> Response:
    if if_none_match:
        version = versions.fresh()
        if version is not None:
            etag = forecast_etag(season, version)
            if etag_matches(if_none_match, etag):
                return Response(status_code=304, headers={
                    "ETag": etag, "Cache-Control": REVALIDATE_CACHE_CONTROL})
    row = await reader.fetchrow(FORECAST_SQL, {"season": season})
    assert row is not None
    body, version = row[0], int(row[1] or 0)
    versions.observe(version)
    if body is None:
        which = f"season {season}" if season is not None else "any season"
        raise NotFound(f"no forecast stored for {which}; run 'sports-analytics forecast'")
    etag = forecast_etag(season, version)
    headers = {"ETag": etag, "Cache-Control": REVALIDATE_CACHE_CONTROL}
    if etag_matches(if_none_match, etag):
        return Response(status_code=304, headers=headers)
    return json_response(body, headers)
