"""The standings read API for the routes and pages.

* :class:`~sports_analytics.standings.cache.StandingsCache` (``request.state.standings``,
  one per worker): ``await cache.page_json(season, limit, offset) -> (bytes, version)`` and
  ``await cache.standings(season) -> (SeasonStandings, version)`` (``.season``, ``.rows``),
  computed once per data version and then served from memory.
* :func:`read_standings`: the same page computed afresh (one statement), for callers without
  the worker's cache.
* :func:`standings_etag`: the ETag of a page at a data version.

Rows carry records (home/away without neutral-site games, neutral), last 10, streak, seeds
1-15 by the NBA tie-breakers and clinched/eliminated marks (standings/build.py).
"""

from __future__ import annotations

from sports_analytics.db.read_pool import ReadPool
from sports_analytics.standings.build import build_rows
from sports_analytics.standings.cache import SeasonStandings
from sports_analytics.standings.source import fetch_source


def standings_etag(season: int | None, limit: int, offset: int, version: int) -> str:
    return f'"st-{season or "latest"}-{limit}-{offset}-{version}"'


async def read_standings(reader: ReadPool, season: int | None, limit: int,
                         offset: int) -> tuple[bytes, int]:
    """The JSON body of one page of ``season``'s standings (default: the latest season) and
    the data version it was read at, computed without the worker's cache."""
    source, version = await fetch_source(reader, season)
    return SeasonStandings(source["season"], build_rows(source)).page_json(limit, offset), version
