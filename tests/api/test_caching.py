"""ETags follow the data version; the read path survives and reports database outages."""

from __future__ import annotations

import time

import psycopg
import pytest
from fastapi.testclient import TestClient

from sports_analytics.api.caching import VERSION_TTL_SECONDS, etag_matches
from sports_analytics.app import create_app
from sports_analytics.ingest.demo.seed import seed_demo
from tests.helpers.pgharness import PgCluster, make_settings, wait_for, with_dbname


@pytest.mark.parametrize(("header", "etag", "expected"), [
    ('"a"', '"a"', True), ('W/"a"', '"a"', True), ('"b", "a"', '"a"', True), ("*", '"a"', True),
    ('"b"', '"a"', False), ("", '"a"', False), (None, '"a"', False), ('"a', '"a"', False),
])
def test_etag_matching(header, etag, expected) -> None:
    assert etag_matches(header, etag) is expected


def test_etags_change_when_data_is_rewritten(seeded_db_url: str) -> None:
    settings = make_settings(seeded_db_url)
    with TestClient(create_app(settings)) as client:
        box = client.get("/api/v1/games/3")
        standings = client.get("/api/v1/standings")
        box_etag, st_etag = box.headers["etag"], standings.headers["etag"]
        assert client.get("/api/v1/games/3", headers={"If-None-Match": box_etag}).status_code == 304
        with psycopg.connect(seeded_db_url) as conn:
            before = conn.execute("SELECT last_value FROM data_version_seq").fetchone()[0]
        assert seed_demo(settings, force=True)  # a re-load: every representation is suspect
        with psycopg.connect(seeded_db_url) as conn:
            after = conn.execute("SELECT last_value FROM data_version_seq").fetchone()[0]
        assert after >= before + 2  # bumped inside the transaction and after commit
        time.sleep(VERSION_TTL_SECONDS + 0.1)
        again = client.get("/api/v1/games/3", headers={"If-None-Match": box_etag})
        assert again.status_code == 200 and again.headers["etag"] != box_etag
        assert again.json() == box.json()  # same deterministic data, new validator
        st = client.get("/api/v1/standings", headers={"If-None-Match": st_etag})
        assert st.status_code == 200 and st.headers["etag"] != st_etag


def test_conditional_requests_skip_the_database(seeded_db_url: str) -> None:
    """Once a box score was served, a matching If-None-Match is answered from memory."""
    with TestClient(create_app(make_settings(seeded_db_url))) as client:
        etag = client.get("/api/v1/games/11").headers["etag"]
        reader = client.app_state["read_pool"]
        calls = 0
        original = reader.fetchrow

        async def counting(*args, **kwargs):
            nonlocal calls
            calls += 1
            return await original(*args, **kwargs)

        reader.fetchrow = counting
        assert client.get("/api/v1/games/12").status_code == 200
        assert calls == 1  # a cold box score is one statement: one round trip
        calls = 0
        for _ in range(20):
            r = client.get("/api/v1/games/11", headers={"If-None-Match": etag})
            assert r.status_code == 304
        assert calls <= 1  # at most one version refresh in the TTL window


def test_outage_gives_503_then_recovers() -> None:
    cluster = PgCluster()
    cluster.start()
    try:
        wait_for(cluster.url)
        with psycopg.connect(cluster.url, autocommit=True) as conn:
            conn.execute("CREATE DATABASE outage")
        url = with_dbname(cluster.url, "outage")
        settings = make_settings(url, db_connect_timeout_seconds=1)
        from sports_analytics.db.migrate import upgrade

        upgrade(settings)
        seed_demo(settings)
        with TestClient(create_app(settings)) as client:
            assert client.get("/api/v1/games/1").status_code == 200
            assert client.get("/api/v1/teams").status_code == 200
            cluster.stop()
            for path in ("/api/v1/games/1", "/api/v1/teams", "/api/v1/standings",
                         "/api/v1/players/1", "/api/v1/games"):
                r = client.get(path)
                assert r.status_code == 503, (path, r.status_code, r.text)
                assert r.json() == {"detail": "database unavailable"}
            cluster.start()
            wait_for(url)
            # Pooled connections died with the server: the reader replaces them transparently.
            assert client.get("/api/v1/games/1").status_code == 200
            assert client.get("/api/v1/teams").status_code == 200
    finally:
        cluster.destroy()
