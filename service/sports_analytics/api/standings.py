"""``GET /api/v1/standings``: the table of sports_analytics.standings, as JSON.

An ordinary route: FastAPI validates the query (422 in the usual shape), the route template
labels the metrics, the OpenAPI document describes it, and HEAD is answered like every GET.

The worker's standings cache (standings/cache.py) computes a season once per data version and
keeps each page's JSON bytes, so a repeated request costs no query and no encoding: the route
returns those bytes as they are (a ``Response``, so the body is not validated again against
``response_model``, which stays for the schema). The ETag embeds the data version, so a
conditional request is answered 304 from memory (see api/caching.py).
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from sports_analytics.api.caching import REVALIDATE_CACHE_CONTROL, etag_matches
from sports_analytics.api.games import IF_NONE_MATCH_DOC
from sports_analytics.api.params import (
    DEFAULT_LIMIT,
    LimitQuery,
    OffsetQuery,
    SeasonQuery,
    page_within,
)
from sports_analytics.api.schemas import UNAVAILABLE, Standings
from sports_analytics.standings.table import standings_etag

router = APIRouter(prefix="/api/v1/standings", tags=["standings"])


@router.get("", response_model=Standings, responses={
    304: {"description": "not modified: the If-None-Match ETag is current"},
    **UNAVAILABLE},
    openapi_extra=IF_NONE_MATCH_DOC,
    summary="Conference standings (default: the latest season)")
async def get_standings(request: Request, season: SeasonQuery = None,
                        limit: LimitQuery = DEFAULT_LIMIT, offset: OffsetQuery = 0) -> Response:
    # The hot path keeps FastAPI's per-request work small: the pagination parameters are the
    # route's own (no sub-dependency to solve), If-None-Match and the lifespan state are read
    # from the request (If-None-Match is documented by IF_NONE_MATCH_DOC).
    page = page_within(request, limit, offset)
    if_none_match = request.headers.get("if-none-match")
    versions, cache = request.state.data_versions, request.state.standings
    if if_none_match:
        version = versions.fresh()
        if version is not None:
            etag = standings_etag(season, page.limit, page.offset, version)
            if etag_matches(if_none_match, etag):
                return Response(status_code=304, headers={
                    "ETag": etag, "Cache-Control": REVALIDATE_CACHE_CONTROL})
    body, version = await cache.page_json(season, page.limit, page.offset)
    etag = standings_etag(season, page.limit, page.offset, version)
    headers = {"ETag": etag, "Cache-Control": REVALIDATE_CACHE_CONTROL}
    if etag_matches(if_none_match, etag):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/json", headers=headers)
