"""Rendering a page: Jinja2 (autoescaped), ETags tied to the data version, and 304s.

A page is rebuilt only when the data change. Each worker keeps the pages it rendered at the
current data version (:class:`PageCache`); a request reads the data version (from memory when
it is less than a second old, see api/caching.py, else with one indexed query) and answers
from the cache, or runs the page's queries and renders. One render per page at a time: requests
that arrive while a page is being built wait for that build instead of starting their own (a
burst of visitors after a data change costs one set of queries, not one per visitor). A page
is also rebuilt :data:`PAGE_TTL_SECONDS` after it was built, because it shows time-dependent
facts the data version does not cover (the stale-data warning, "today"); meanwhile requests
get the page already built, since its data are still current.

The version is read *before* the page's queries, so a page is never older than the version its
ETag names (it may be newer, which only costs a client one extra download later). The ETag is
``"<page>-<version>-<digest of the body>"``: it changes with the data version, and a page whose
text did not change keeps its validator within a version.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
import structlog
from fastapi import Request
from fastapi.responses import Response
from fastapi.templating import Jinja2Templates

from sports_analytics.api.caching import etag_matches
from sports_analytics.pages.assets import static_url
from sports_analytics.pages.format import FILTERS

log = structlog.get_logger(__name__)

TEMPLATES_DIR = Path(__file__).parent / "templates"
PAGE_TTL_SECONDS = 60.0
PAGE_CACHE_ENTRIES = 256
HTML = "text/html; charset=utf-8"
PAGE_CACHE_CONTROL = "no-cache"

templates = Jinja2Templates(env=jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
    autoescape=True,  # every value from outside (names, briefs, query text) is escaped
    trim_blocks=True, lstrip_blocks=True, auto_reload=False, undefined=jinja2.StrictUndefined))
templates.env.filters.update(FILTERS)

VERSION_SQL = "SELECT (SELECT max(version) FROM data_versions)"


@dataclass(frozen=True)
class CachedPage:
    version: int
    etag: str
    body: bytes
    stored_at: float


class PageCache:
    """Rendered pages of one worker at the current data version (bounded, LRU)."""

    def __init__(self, ttl: float = PAGE_TTL_SECONDS, size: int = PAGE_CACHE_ENTRIES) -> None:
        self.ttl, self.size = ttl, size
        self._pages: OrderedDict[str, CachedPage] = OrderedDict()
        self._building: dict[tuple[str, int], asyncio.Future[CachedPage]] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def get(self, key: str, version: int, *, expired_ok: bool = False) -> CachedPage | None:
        """The page at ``version``; past the TTL only with ``expired_ok``."""
        page = self._pages.get(key)
        if page is None or page.version != version:
            return None
        if not expired_ok and time.monotonic() - page.stored_at > self.ttl:
            return None
        self._pages.move_to_end(key)
        return page

    def refresh(self, key: str, version: int,
                build: Callable[[], Awaitable[CachedPage]]) -> None:
        """Rebuild in the background unless a build of (key, version) is already running."""
        if (key, version) in self._building:
            return
        task = asyncio.get_running_loop().create_task(self._quietly(key, version, build))
        self._tasks.add(task)  # a reference until it ends: the loop keeps only weak ones
        task.add_done_callback(self._tasks.discard)

    async def _quietly(self, key: str, version: int,
                       build: Callable[[], Awaitable[CachedPage]]) -> None:
        try:
            await self.build_once(key, version, build)
        except Exception as exc:  # the next request that needs the page builds it and reports
            log.warning("page refresh failed", page=key, error=type(exc).__name__)

    def put(self, key: str, page: CachedPage) -> None:
        self._pages[key] = page
        self._pages.move_to_end(key)
        while len(self._pages) > self.size:
            self._pages.popitem(last=False)


    async def build_once(self, key: str, version: int,
                         build: Callable[[], Awaitable[CachedPage]]) -> CachedPage:
        """Run ``build`` for (key, version) unless a build of it is running: then share it."""
        while (running := self._building.get((key, version))) is not None:
            try:
                return await asyncio.shield(running)
            except asyncio.CancelledError:
                if not running.cancelled():
                    raise  # this request was cancelled, not the build
                # the build's own request went away: build here instead
        future: asyncio.Future[CachedPage] = asyncio.get_running_loop().create_future()
        self._building[(key, version)] = future
        try:
            page = await build()
        except asyncio.CancelledError:
            future.cancel()
            raise
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: no "never retrieved" warning when nobody waits
            raise
        finally:
            del self._building[(key, version)]
        self.put(key, page)
        future.set_result(page)
        return page


def page_cache(request: Request) -> PageCache:
    cache = getattr(request.app.state, "page_cache", None)
    if cache is None:
        cache = request.app.state.page_cache = PageCache()
    return cache


def render(request: Request, template: str, context: dict[str, Any]) -> str:
    root = str(request.scope.get("root_path", "")).rstrip("/")
    return templates.get_template(template).render(
        **context, root=root, static=lambda name: static_url(name, root),
        current_path=request.url.path.removeprefix(root) or "/")


async def current_version(request: Request) -> int:
    versions = request.state.data_versions
    version = versions.fresh()
    if version is None:
        row = await request.state.read_pool.fetchrow(VERSION_SQL)
        version = int(row[0]) if row and row[0] is not None else 0
        versions.observe(version)
    return int(version)


def _respond(page: CachedPage, if_none_match: str | None) -> Response:
    headers = {"ETag": page.etag, "Cache-Control": PAGE_CACHE_CONTROL}
    if etag_matches(if_none_match, page.etag):
        return Response(status_code=304, headers=headers)
    return Response(page.body, media_type=HTML, headers=headers)


async def serve_page(request: Request, name: str, template: str,
                     build: Callable[[], Awaitable[dict[str, Any]]]) -> Response:
    """Answer from the cache (or 304), else run ``build`` (the page's queries) and render."""
    # The root path is part of the key: links in the page carry it.
    key = f"{request.scope.get('root_path', '')}|{request.url.path}?{request.url.query}"
    cache = page_cache(request)
    version = await current_version(request)
    if_none_match = request.headers.get("if-none-match")
    cached = cache.get(key, version)
    if cached is not None:
        return _respond(cached, if_none_match)

    async def build_page() -> CachedPage:
        body = render(request, template, await build()).encode()
        digest = hashlib.sha256(body).hexdigest()[:12]
        return CachedPage(version, f'"{name}-{version}-{digest}"', body, time.monotonic())

    expired = cache.get(key, version, expired_ok=True)
    if expired is not None:
        # Same data, only older than the TTL: answer with it and rebuild behind it.
        cache.refresh(key, version, build_page)
        return _respond(expired, if_none_match)
    return _respond(await cache.build_once(key, version, build_page), if_none_match)


def html_error(request: Request, status: int, title: str, message: str,
               request_id: str | None = None, headers: dict[str, str] | None = None) -> Response:
    body = render(request, "error.html", {"status": status, "title": title, "message": message,
                                          "request_id": request_id})
    return Response(body, status_code=status, media_type=HTML,
                    headers={"Cache-Control": "no-store", **(headers or {})})
