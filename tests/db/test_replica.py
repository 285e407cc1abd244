"""DATABASE_READ_URL against a real streaming replica: reads go there, writes don't, /readyz
checks both, and ETags stay truthful while the replica lags (replay paused)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import psycopg
import pytest
from fastapi.testclient import TestClient

from sports_analytics.api.caching import VERSION_TTL_SECONDS
from tests.helpers.pgharness import admin_execute, make_settings
from tests.helpers.replica import ReplicaPair

pytestmark = pytest.mark.timeout(300)

DB = "sa_replica"


@pytest.fixture(scope="module")
def pair() -> Iterator[ReplicaPair]:
    from sports_analytics.db.migrate import upgrade
    from sports_analytics.ingest.demo.seed import seed_demo

    pair = ReplicaPair()
    try:
        pair.start_primary()
        admin_execute(pair.primary.url, f'CREATE DATABASE "{DB}"')
        settings = make_settings(pair.primary_db(DB))
        upgrade(settings)
        seed_demo(settings)
        pair.start_standby()
        yield pair
    finally:
        pair.destroy()


@pytest.fixture(scope="module")
def client(pair: ReplicaPair) -> Iterator[TestClient]:
    from sports_analytics.app import create_app

    settings = make_settings(pair.primary_db(DB), database_read_url=pair.standby_db(DB))
    with TestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def primary_client(pair: ReplicaPair) -> Iterator[TestClient]:
    """An app without a replica: it sees the primary's newest data first."""
    from sports_analytics.app import create_app

    with TestClient(create_app(make_settings(pair.primary_db(DB)))) as test_client:
        yield test_client


def _write_on_primary(pair: ReplicaPair, game_id: int, delta: int) -> None:
    """A data write the way every writer does it: change, bump in-transaction, bump after."""
    from sports_analytics.db.engine import make_job_engine
    from sports_analytics.db.writes import bump_data_version, bump_data_version_after_commit

    engine = make_job_engine(make_settings(pair.primary_db(DB)), application_name="test-writer")
    try:
        with engine.begin() as conn:
            from sqlalchemy import text

            conn.execute(text("UPDATE team_game_stats SET steals = steals + :d "
                              "WHERE game_id = :g"), {"d": delta, "g": game_id})
            bump_data_version(conn)
        bump_data_version_after_commit(engine)
    finally:
        engine.dispose()


def _steals(body: dict) -> int:
    return int(body["home"]["totals"]["steals"])


def _backends(url: str, app_name: str) -> int:
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s "
                           "AND application_name = %s", (DB, app_name)).fetchone()
        assert row is not None
        return int(row[0])


def test_reads_go_to_the_replica(pair: ReplicaPair, client: TestClient) -> None:
    assert client.get("/api/v1/games", params={"limit": 1}).status_code == 200
    assert client.get("/api/v1/predictions/accuracy").status_code == 200
    assert _backends(pair.standby_db(DB), "sports-analytics-api") >= 1
    assert _backends(pair.primary_db(DB), "sports-analytics-api") == 0


def test_readyz_checks_both(pair: ReplicaPair, client: TestClient) -> None:
    body = client.get("/readyz").json()
    assert body["status"] == "ready" and body["checks"]["replica"] == "ok", body


def test_writes_and_jobs_use_the_primary(pair: ReplicaPair) -> None:
    from sports_analytics.analytics.commands import compute_features_cli, run_predictions_cli

    settings = make_settings(pair.primary_db(DB), database_read_url=pair.standby_db(DB))
    assert compute_features_cli(settings, full=True) == 2460  # a standby would refuse it
    assert run_predictions_cli(settings, full=True)["games"] == 1230
    pair.wait_caught_up()


def test_etags_stay_truthful_while_the_replica_lags(pair: ReplicaPair, client: TestClient,
                                                   primary_client: TestClient) -> None:
    game_id = 600
    path = f"/api/v1/games/{game_id}"
    first = client.get(path)
    old_etag, old_steals = first.headers["etag"], _steals(first.json())
    assert client.get(path, headers={"If-None-Match": old_etag}).status_code == 304

    pair.pause_replay()
    try:
        _write_on_primary(pair, game_id, 3)
        fresh = primary_client.get(path)  # the new data, as the primary serves it
        new_etag = fresh.headers["etag"]
        assert new_etag != old_etag and _steals(fresh.json()) == old_steals + 3

        time.sleep(VERSION_TTL_SECONDS + 0.2)
        # The lagging replica cannot confirm the newer ETag: no 304, and the old body comes
        # with its own old ETag, never under the new one.
        lagging = client.get(path, headers={"If-None-Match": new_etag})
        assert lagging.status_code == 200
        assert _steals(lagging.json()) == old_steals and lagging.headers["etag"] == old_etag
        # What the client has is still what the replica has: 304 is the truth there.
        assert client.get(path, headers={"If-None-Match": old_etag}).status_code == 304
        standings = client.get("/api/v1/standings").headers["etag"]
    finally:
        pair.resume_replay()
    pair.wait_caught_up()
    time.sleep(VERSION_TTL_SECONDS + 0.2)

    caught_up = client.get(path, headers={"If-None-Match": old_etag})
    assert caught_up.status_code == 200, "a 304 for data the client has not seen"
    assert _steals(caught_up.json()) == old_steals + 3 and caught_up.headers["etag"] == new_etag
    assert client.get(path, headers={"If-None-Match": new_etag}).status_code == 304
    assert client.get("/api/v1/standings").headers["etag"] != standings


def test_readyz_fails_when_the_replica_is_down(pair: ReplicaPair) -> None:
    import asyncio

    from sports_analytics.db.readiness import ReadinessChecker

    settings = make_settings(pair.primary_db(DB),
                             database_read_url="postgresql://postgres@127.0.0.1:1/nothing")
    result = asyncio.run(ReadinessChecker(settings).check())
    assert not result.ready and result.checks["replica"] == "unreachable", result
    assert result.checks["database"] == "ok"


def test_read_url_settings(tmp_path, monkeypatch) -> None:
    from sports_analytics.config import Settings

    base = {"database_url": "postgresql://analyst:s3cret-pw@db-rw:5432/sa"}
    assert Settings(**base).sqlalchemy_read_url is None
    by_host = Settings(**base, postgres_read_host="db-ro").sqlalchemy_read_url
    assert by_host is not None and (by_host.host, by_host.database, by_host.password) == (
        "db-ro", "sa", "s3cret-pw")
    secret = tmp_path / "database-read-url"
    secret.write_text("postgresql://reader:other-pw@replica:6432/sa\n")
    monkeypatch.setenv("DATABASE_READ_URL_FILE", str(secret))
    from_file = Settings(**base).sqlalchemy_read_url
    assert from_file is not None and (from_file.host, from_file.port) == ("replica", 6432)
    assert "other-pw" not in repr(Settings(**base))
