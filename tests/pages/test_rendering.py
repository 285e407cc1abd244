"""The page cache: one build per page and data version at a time, shared by concurrent requests."""

from __future__ import annotations

import asyncio
import time

import pytest

from sports_analytics.pages.rendering import CachedPage, PageCache


def _page(version: int) -> CachedPage:
    return CachedPage(version, f'"p-{version}"', b"<html>", time.monotonic())


def test_concurrent_requests_share_one_build() -> None:
    cache = PageCache()
    builds = 0

    async def build() -> CachedPage:
        nonlocal builds
        builds += 1
        await asyncio.sleep(0.05)
        return _page(7)

    async def burst() -> list[CachedPage]:
        return await asyncio.gather(*(cache.build_once("/", 7, build) for _ in range(20)))

    pages = asyncio.run(burst())
    assert builds == 1 and all(p is pages[0] for p in pages)


def test_a_failed_build_fails_its_waiters_and_the_next_request_builds_again() -> None:
    cache = PageCache()
    calls = 0

    async def failing() -> CachedPage:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.02)
        raise RuntimeError("database went away")

    async def burst() -> list[object]:
        return await asyncio.gather(*(cache.build_once("/", 1, failing) for _ in range(5)),
                                    return_exceptions=True)

    results = asyncio.run(burst())
    assert calls == 1 and all(isinstance(r, RuntimeError) for r in results)

    async def ok() -> CachedPage:
        return _page(1)

    assert asyncio.run(cache.build_once("/", 1, ok)).etag == '"p-1"'
    assert cache.get("/", 1) is not None and cache.get("/", 2) is None


def test_entries_expire_and_the_cache_is_bounded() -> None:
    cache = PageCache(ttl=0.0, size=2)
    cache.put("/a", CachedPage(1, '"a"', b"", 0.0))
    assert cache.get("/a", 1) is None  # older than the TTL
    fresh = PageCache(size=2)
    for key in ("/a", "/b", "/c"):
        fresh.put(key, CachedPage(1, f'"{key}"', b"", time.monotonic()))
    assert fresh.get("/a", 1) is None and fresh.get("/c", 1) is not None


@pytest.mark.parametrize("version", [1, 2])
def test_a_page_is_cached_per_data_version(version: int) -> None:
    cache = PageCache()
    cache.put("/", CachedPage(1, '"x"', b"", time.monotonic()))
    assert (cache.get("/", version) is not None) == (version == 1)


def test_an_expired_page_is_served_while_one_rebuild_runs_behind_it() -> None:
    cache = PageCache(ttl=0.0)
    cache.put("/", CachedPage(3, '"old"', b"old", time.monotonic()))
    builds = 0

    async def build() -> CachedPage:
        nonlocal builds
        builds += 1
        await asyncio.sleep(0.02)
        return CachedPage(3, '"new"', b"new", time.monotonic())

    async def scenario() -> CachedPage | None:
        assert cache.get("/", 3) is None  # past the TTL
        assert cache.get("/", 3, expired_ok=True) is not None
        for _ in range(5):
            cache.refresh("/", 3, build)  # one rebuild, however many requests ask
        await asyncio.sleep(0.1)
        return cache.get("/", 3, expired_ok=True)

    page = asyncio.run(scenario())
    assert builds == 1 and page is not None and page.etag == '"new"'
    assert cache.get("/", 4, expired_ok=True) is None  # another data version: no page
