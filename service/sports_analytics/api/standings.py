"""``GET /api/v1/standings``: the table of sports_analytics.standings, as JSON.

The worker's standings cache (standings/cache.py) computes a season once per data version and
keeps each page's JSON bytes, so a repeated request costs no query. The ETag embeds the data
version, so a conditional request is answered 304 from memory (see api/caching.py).

A request whose exact query string was already answered at the current data version is
answered again before FastAPI parses and validates its parameters (:class:`StandingsRoute`):
the same bytes, the same ETag. Anything else (a new query string, invalid parameters, a newer
data version) goes through the validated route, which records its answer.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import APIRouter, Header, Request, Response
from fastapi.routing import APIRoute

from sports_analytics.api.caching import REVALIDATE_CACHE_CONTROL, etag_matches
from sports_analytics.api.games import IF_NONE_MATCH_DOC
from sports_analytics.api.params import PaginationDep, SeasonQuery
from sports_analytics.api.schemas import UNAVAILABLE, Standings
from sports_analytics.standings.table import standings_etag


def _known_answer(request: Request) -> Response | None:
    version = request.state.data_versions.fresh()
    if version is None:
        return None
    known = request.state.standings.known_answer(request.scope["query_string"], version)
    if known is None:
        return None
    body, etag = known
    headers = {"ETag": etag, "Cache-Control": REVALIDATE_CACHE_CONTROL}
    if etag_matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/json", headers=headers)


class StandingsRoute(APIRoute):
    """Answers a repeated request from memory before the parameters are parsed."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        validated = super().get_route_handler()

        async def handler(request: Request) -> Response:
            return _known_answer(request) or await validated(request)

        return handler


router = APIRouter(prefix="/api/v1/standings", tags=["standings"], route_class=StandingsRoute)


@router.get("", response_model=Standings, responses={
    304: {"description": "not modified: the If-None-Match ETag is current"},
    **UNAVAILABLE},
    openapi_extra=IF_NONE_MATCH_DOC,
    summary="Conference standings (default: the latest season)")
async def get_standings(request: Request, page: PaginationDep, season: SeasonQuery = None,
                        if_none_match: Annotated[str | None, Header(include_in_schema=False)]
                        = None) -> Response:
    # The hot path reads the lifespan state itself: two dependencies fewer to solve.
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
    cache.remember_answer(request.scope["query_string"], version, body, etag)
    headers = {"ETag": etag, "Cache-Control": REVALIDATE_CACHE_CONTROL}
    if etag_matches(if_none_match, etag):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/json", headers=headers)
