"""The fast read path: standings computed once per data version, served from memory.

Standings change only when data is written, and every write bumps the data version
(db/writes.py). Each worker keeps, for the current version only:

* each season's rows (standings/build.py), computed from one snapshot (standings/source.py);
* the serialized JSON of each page asked for, so a repeated request costs no encoding.

A request first needs the current version. Within ``VERSION_TTL_SECONDS`` of the last
observation it is taken from the worker's tracker (api/caching.py), no database at all; after
that, one index-only ``max(version)`` query confirms it (one at a time per worker). A response
can so lag a write by at most that TTL, the same bound the 304 answers already have. A newer
version drops everything cached. Concurrent misses compute once: the others wait for the first
one's result.
"""

from __future__ import annotations

import asyncio
from typing import Any, Protocol

import orjson

from sports_analytics.db.read_pool import ReadPool
from sports_analytics.standings.build import build_rows
from sports_analytics.standings.source import fetch_source, fetch_version

MAX_PAGES = 256  # distinct (season, limit, offset) pages kept per version


class VersionTracker(Protocol):
    def fresh(self) -> int | None: ...
    def observe(self, version: int) -> None: ...


class SeasonStandings:
    """One season's rows as computed at one data version."""

    def __init__(self, season: int | None, rows: list[dict[str, Any]]) -> None:
        self.season = season
        self.rows = rows

    def page_json(self, limit: int, offset: int) -> bytes:
        return orjson.dumps({
            "season": self.season, "items": self.rows[offset:offset + limit],
            "total": len(self.rows), "total_is_estimate": False,
            "limit": limit, "offset": offset})


class StandingsCache:
    """Per worker: standings at the current data version (keyed by the season asked for).

    Built once per worker in the application's lifespan (``request.state.standings``) over
    the worker's read pool and data-version tracker."""

    def __init__(self, reader: ReadPool, versions: VersionTracker) -> None:
        self.reader = reader
        self.versions = versions
        self.version: int | None = None
        self._seasons: dict[int | None, SeasonStandings] = {}
        self._pages: dict[tuple[int | None, int, int], bytes] = {}
        self._lock: asyncio.Lock | None = None
        self._version_check: asyncio.Task[int] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def _computing(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        if self._lock is None or self._loop is not loop:  # a lock serves one event loop
            self._lock, self._loop = asyncio.Lock(), loop
        return self._lock

    def _at(self, version: int) -> None:
        if version != self.version:
            self.version = version
            self._seasons = {}
            self._pages = {}

    def season(self, version: int, season: int | None) -> SeasonStandings | None:
        return self._seasons.get(season) if version == self.version else None

    def store(self, version: int, season: int | None, standings: SeasonStandings) -> None:
        if self.version is not None and version < self.version:
            return  # a slower computation of older data: keep the newer one
        self._at(version)
        self._seasons[season] = standings

    def page(self, version: int, season: int | None, limit: int, offset: int) -> bytes | None:
        standings = self.season(version, season)
        if standings is None:
            return None
        key = (season, limit, offset)
        body = self._pages.get(key)
        if body is None:
            body = standings.page_json(limit, offset)
            if len(self._pages) >= MAX_PAGES:
                self._pages.clear()
            self._pages[key] = body
        return body

    async def current_version(self) -> int:
        version = self.versions.fresh()
        if version is not None:
            return version
        # One check at a time: requests arriving while it runs wait for its answer instead of
        # each sending the same query (a burst of them every TTL, all queued on the pool).
        loop = asyncio.get_running_loop()
        check = self._version_check
        if check is None or check.done() or check.get_loop() is not loop:
            check = self._version_check = loop.create_task(fetch_version(self.reader))
        version = await asyncio.shield(check)  # one waiter cancelled: the others still wait
        self.versions.observe(version)
        return version

    async def standings(self, season: int | None) -> tuple[SeasonStandings, int]:
        """The season's standings (``None``: the latest season) and their data version."""
        version = await self.current_version()
        cached = self.season(version, season)
        if cached is not None:
            return cached, version
        async with self._computing():
            # Another request may have computed it (or newer data) while this one waited.
            if self.version is not None and self.version >= version:
                cached = self._seasons.get(season)
                if cached is not None:
                    return cached, self.version
            source, version = await fetch_source(self.reader, season)
            self.versions.observe(version)
            computed = SeasonStandings(source["season"], build_rows(source))
            self.store(version, season, computed)
            return computed, version

    async def page_json(self, season: int | None, limit: int,
                        offset: int) -> tuple[bytes, int]:
        """A page of ``GET /api/v1/standings`` as JSON bytes, and its data version."""
        standings, version = await self.standings(season)
        body = self.page(version, season, limit, offset)
        return (body if body is not None else standings.page_json(limit, offset)), version
