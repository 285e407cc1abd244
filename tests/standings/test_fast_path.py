"""The standings read path: computed once per data version, then served from memory."""

from __future__ import annotations

import asyncio
import re
import time

import orjson
import psycopg
import pytest
from fastapi.testclient import TestClient

from sports_analytics.api.caching import VERSION_TTL_SECONDS
from sports_analytics.app import create_app
from sports_analytics.db.read_pool import ReadPool
from sports_analytics.standings.build import build_rows
from sports_analytics.standings.source import fetch_source
from tests.helpers.pgharness import make_settings


def _uncached_items(url: str) -> list[dict]:
    async def run() -> list[dict]:
        reader = ReadPool(make_settings(url))
        try:
            return build_rows((await fetch_source(reader, 2025))[0])
        finally:
            await reader.close()

    return asyncio.run(run())


def _count_queries(client: TestClient) -> list[str]:
    reader = client.app_state["read_pool"]
    seen: list[str] = []
    original = reader.fetchrow

    async def counting(sql, *args, **kwargs):
        seen.append(sql)
        return await original(sql, *args, **kwargs)

    reader.fetchrow = counting
    return seen


def test_repeated_requests_cost_no_query_and_match_the_uncached_result(seeded_db_url) -> None:
    with TestClient(create_app(make_settings(seeded_db_url))) as client:
        first = client.get("/api/v1/standings", params={"season": 2025})
        assert first.status_code == 200
        queries = _count_queries(client)
        for _ in range(30):
            again = client.get("/api/v1/standings", params={"season": 2025})
            assert again.content == first.content
            assert again.headers["etag"] == first.headers["etag"]
        assert len(queries) <= 1  # at most one version check in the TTL window
        paged = client.get("/api/v1/standings", params={"season": 2025, "limit": 7,
                                                        "offset": 12}).json()
    items = first.json()["items"]
    assert paged["items"] == items[12:19] and paged["total"] == 30
    assert orjson.loads(orjson.dumps(_uncached_items(seeded_db_url))) == items


def test_a_write_is_served_after_the_version_ttl(seeded_db_url) -> None:
    with TestClient(create_app(make_settings(seeded_db_url))) as client:
        before = client.get("/api/v1/standings")
        home = before.json()["items"]
        with psycopg.connect(seeded_db_url) as conn:
            winner = conn.execute(
                "UPDATE games SET home_score = away_score, away_score = home_score "
                "WHERE id = 1 RETURNING (SELECT abbreviation FROM teams WHERE id = "
                "CASE WHEN home_score > away_score THEN home_team_id ELSE away_team_id END)"
            ).fetchone()[0]
            conn.execute("SELECT nextval('data_version_seq')")
            conn.execute("INSERT INTO data_versions (version) "
                         "SELECT last_value FROM data_version_seq")
        time.sleep(VERSION_TTL_SECONDS + 0.1)
        queries = _count_queries(client)
        after = client.get("/api/v1/standings")
        assert after.headers["etag"] != before.headers["etag"]
        assert len(queries) == 2  # the version check, then the one statement of the new data
        wins_before = {r["team"]: r["wins"] for r in home}
        wins_after = {r["team"]: r["wins"] for r in after.json()["items"]}
        assert wins_after[winner] == wins_before[winner] + 1
        assert client.get("/api/v1/standings", headers={
            "If-None-Match": after.headers["etag"]}).status_code == 304


def test_concurrent_requests_share_one_version_check(seeded_db_url) -> None:
    """Past the TTL, requests arriving together send one version query, not one each."""
    from sports_analytics.api.caching import DataVersionTracker
    from sports_analytics.standings.cache import StandingsCache

    async def run() -> tuple[list[str], set[bytes]]:
        reader = ReadPool(make_settings(seeded_db_url))
        cache = StandingsCache(reader, DataVersionTracker(ttl=0))  # always past the TTL
        try:
            await cache.page_json(2025, 50, 0)
            seen: list[str] = []
            original = reader.fetchrow

            async def counting(sql, *args, **kwargs):
                seen.append(sql)
                return await original(sql, *args, **kwargs)

            reader.fetchrow = counting  # type: ignore[method-assign]
            bodies = await asyncio.gather(*(cache.page_json(2025, 50, 0) for _ in range(20)))
            return seen, {body for body, _ in bodies}
        finally:
            await reader.close()

    queries, bodies = asyncio.run(run())
    assert len(queries) == 1 and "data_versions" in queries[0]
    assert len(bodies) == 1


def test_answers_from_memory_are_per_query_string_and_never_skip_validation(client) -> None:
    full = client.get("/api/v1/standings", params={"season": 2025})
    assert client.get("/api/v1/standings", params={"season": 2025}).content == full.content
    paged = client.get("/api/v1/standings", params={"season": 2025, "limit": 3, "offset": 2})
    assert paged.json()["items"] == full.json()["items"][2:5]
    for _ in range(2):  # an invalid request is never remembered: 422 every time
        assert client.get("/api/v1/standings", params={"limit": 500}).status_code == 422
        assert client.get("/api/v1/standings", params={"season": "x"}).status_code == 422
    etag = full.headers["etag"]
    again = client.get("/api/v1/standings", params={"season": 2025},
                       headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.headers["etag"] == etag
    other = client.get("/api/v1/standings", params={"season": 2025},
                       headers={"If-None-Match": '"st-2025-50-0-1"'})
    assert other.status_code == 200 and other.content == full.content


@pytest.mark.parametrize("query", [
    {"limit": 0}, {"limit": 500}, {"limit": "x"}, {"offset": -1}, {"season": "x"},
    {"season": 1900}, {"season": 2025, "limit": 0, "offset": -1},
])
def test_bad_query_parameters_get_the_same_422_as_other_routes(client, query: dict) -> None:
    # /api/v1/games takes the same season and pagination parameters through FastAPI's usual
    # dependency solving; standings must answer a bad value exactly alike, every time.
    games = client.get("/api/v1/games", params=query)
    assert games.status_code == 422
    for _ in range(2):
        standings = client.get("/api/v1/standings", params=query)
        assert standings.status_code == 422
        assert standings.headers["content-type"] == games.headers["content-type"]
        assert standings.json() == games.json()
        assert {e["loc"][0] for e in standings.json()["detail"]} == {"query"}


def test_head_and_conditional_requests_are_answered_like_get(client) -> None:
    url = "/api/v1/standings?season=2025&limit=10"
    get = client.get(url)
    etag = get.headers["etag"]
    head = client.head(url)
    assert head.status_code == 200 and head.content == b""
    assert head.headers["etag"] == etag
    assert head.headers["content-length"] == get.headers["content-length"]
    assert head.headers["content-type"] == get.headers["content-type"] == "application/json"
    for method in ("GET", "HEAD"):
        for validator in (etag, f'"st-2025-10-0-0", {etag}', "*"):
            r = client.request(method, url, headers={"If-None-Match": validator})
            assert r.status_code == 304 and r.content == b"", (method, validator)
            assert r.headers["etag"] == etag
    assert client.head(url, headers={"If-None-Match": '"st-2025-10-0-0"'}).status_code == 200
    assert client.head("/api/v1/standings?limit=0").status_code == 422
    metrics = client.get("/metrics").text
    for status in ("200", "304", "422"):  # every answer is labelled by the route template
        assert re.search(rf'http_requests_total{{[^}}]*route="/api/v1/standings",'
                         rf'status="{status}"}}', metrics), status
