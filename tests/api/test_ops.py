"""Ops endpoints and middleware, in process, against a real PostgreSQL.

Outage tests run on a private PgCluster that is stopped and restarted under a live app.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import threading
import time
from collections.abc import Iterator

import psycopg
import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from sports_analytics.api.deps import EngineDep
from sports_analytics.app import create_app
from sports_analytics.db.migrate import current_revisions, script_heads, upgrade
from sports_analytics.db.readiness import ReadinessChecker
from tests.helpers.pgharness import PgCluster, admin_execute, make_settings, wait_for, with_dbname

# Data routes that must answer 503 "database unavailable" during an outage (when registered).
DATA_ROUTES = {
    "/api/v1/teams": "/api/v1/teams",
    "/api/v1/teams/{abbreviation}": "/api/v1/teams/BOS",
    "/api/v1/players": "/api/v1/players",
    "/api/v1/players/{player_id}": "/api/v1/players/1",
    "/api/v1/games": "/api/v1/games",
    "/api/v1/games/{game_id}": "/api/v1/games/1",
    "/api/v1/standings": "/api/v1/standings?season=2025",
    "/api/v1/games/{game_id}/features": "/api/v1/games/1/features",
    "/api/v1/games/{game_id}/prediction": "/api/v1/games/1/prediction",
    "/api/v1/games/{game_id}/insight": "/api/v1/games/1/insight",
    "/api/v1/predictions": "/api/v1/predictions",
    "/api/v1/predictions/accuracy": "/api/v1/predictions/accuracy",
    "/api/v1/games/upcoming": "/api/v1/games/upcoming",
    "/api/v1/refreshes": "/api/v1/refreshes",
    "/api/v1/models": "/api/v1/models",
    "/api/v1/models/{name}": "/api/v1/models/elo_v1",
    "/api/v1/forecast": "/api/v1/forecast?season=2025",
}


def _json_lines(text_: str) -> list[dict]:
    lines = [line for line in text_.splitlines() if line.strip()]
    return [json.loads(line) for line in lines]


# Events that end a /_test/read_hold request, by id (the test and the app share a process).
_HELD_RELEASES: dict[int, threading.Event] = {}


def _add_probe_routes(app: FastAPI) -> None:
    """Test-only routes: one that needs the database through the pool, one that crashes."""
    def db_probe(engine: EngineDep) -> dict:
        with engine.connect() as conn:
            return {"one": conn.execute(text("SELECT 1")).scalar_one()}

    def slow_query(engine: EngineDep) -> dict:
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_sleep(5)"))
        return {}

    async def echo(request: Request) -> dict:
        return {"received": len(await request.body())}

    def boom() -> dict:
        raise RuntimeError("kaboom: postgresql://app:hunter2@db/x")

    async def read_hold(request: Request, release: int) -> dict:
        # short queries back to back until the test lets go: a read-pool connection is in use
        # all along, except for the instant between two queries
        queries = 0
        while not _HELD_RELEASES[release].is_set() and queries < 200:
            await request.state.read_pool.fetchrow("SELECT pg_sleep(0.05)")
            queries += 1
        return {"queries": queries}

    app.add_api_route("/_test/db", db_probe, include_in_schema=False)
    app.add_api_route("/_test/read_hold", read_hold, include_in_schema=False)
    app.add_api_route("/_test/slow", slow_query, include_in_schema=False)
    app.add_api_route("/_test/boom", boom, include_in_schema=False)
    app.add_api_route("/_test/echo", echo, methods=["POST"], include_in_schema=False)


@pytest.fixture(scope="module")
def ops_client(pg_admin_url: str, migrated_template: str) -> Iterator[TestClient]:
    name = "sa_ops_test"
    admin_execute(pg_admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin_execute(pg_admin_url, f'CREATE DATABASE "{name}" TEMPLATE {migrated_template}')
    app = create_app(make_settings(with_dbname(pg_admin_url, name), max_body_bytes=4096,
                                   db_statement_timeout_ms=300))
    _add_probe_routes(app)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client
    admin_execute(pg_admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- liveness, version, metrics -------------------------------------------------------------


def test_healthz(ops_client):
    r = ops_client.get("/healthz")
    assert r.status_code == 200 and r.json() == {"status": "ok"}
    assert r.headers["content-type"].startswith("application/json")


def test_version_reports_build_metadata(pg_admin_url, migrated_db_url):
    app = create_app(make_settings(migrated_db_url, app_version="9.9.9", git_sha="abc1234",
                                   build_time="2026-11-26T00:00:00Z"))
    with TestClient(app) as client:
        assert client.get("/version").json() == {
            "version": "9.9.9", "git_sha": "abc1234", "build_time": "2026-11-26T00:00:00Z"}
        metrics = client.get("/metrics").text
    assert 'app_build_info{git_sha="abc1234",version="9.9.9"} 1.0' in metrics


def test_metrics_are_labelled_by_route_template(ops_client):
    for i in range(3):
        ops_client.get(f"/no/such/path/{i}")
    ops_client.get("/healthz")
    r = ops_client.get("/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    body = r.text
    assert 'http_requests_total{method="GET",route="<unmatched>",status="404"}' in body
    assert 'http_requests_total{method="GET",route="/healthz",status="200"}' in body
    assert "/no/such/path" not in body
    for name in ("http_request_duration_seconds_bucket", "http_requests_in_progress",
                 "db_pool_connections_in_use", "db_pool_size", "app_build_info"):
        assert name in body, name
    for name in ("gemini_requests_total", "gemini_request_duration_seconds", "gemini_tokens_total"):
        assert f"# TYPE {name.removesuffix('_total')}" in body, name


def test_metrics_has_no_redirect(ops_client):
    r = ops_client.get("/metrics", follow_redirects=False)
    assert r.status_code == 200


def test_ops_routes_in_openapi_except_metrics(ops_client):
    paths = ops_client.get("/openapi.json").json()["paths"]
    assert {"/healthz", "/readyz", "/version"} <= set(paths)
    assert "/metrics" not in paths


def _gauge(client: TestClient, name: str) -> float:
    for line in client.get("/metrics").text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise AssertionError(f"{name} is not in /metrics")


def test_pool_gauges_follow_checkouts(ops_client):
    sqlalchemy, read = '{pool="sqlalchemy"}', '{pool="read"}'
    assert _gauge(ops_client, "db_pool_size" + sqlalchemy) >= 10  # pool_size 5 + max_overflow 5
    assert _gauge(ops_client, "db_pool_size" + read) >= 5  # the data routes' psycopg pool
    in_use = "db_pool_connections_in_use" + sqlalchemy
    before = _gauge(ops_client, in_use)
    with ops_client.app_state["engine"].connect() as held:
        held.execute(text("SELECT 1"))
        assert _gauge(ops_client, in_use) == before + 1
    assert _gauge(ops_client, in_use) == before
    assert ops_client.get("/_test/db").status_code == 200
    assert _gauge(ops_client, in_use) == before


def test_read_pool_gauge_rises_while_a_query_holds_a_connection(ops_client):
    in_use = 'db_pool_connections_in_use{pool="read"}'
    before = _gauge(ops_client, in_use)
    release = threading.Event()
    holder = threading.Thread(target=ops_client.get, args=("/_test/read_hold",),
                              kwargs={"params": {"release": id(release)}})
    _HELD_RELEASES[id(release)] = release
    holder.start()
    try:
        seen = _wait_for_gauge(ops_client, in_use, before + 1)
    finally:
        release.set()
        holder.join(10)
        _HELD_RELEASES.pop(id(release))
    assert seen == before + 1, f"{in_use} stayed at {seen} while a query held a connection"
    assert _gauge(ops_client, in_use) == before
    assert ops_client.get("/api/v1/teams").status_code == 200
    assert _gauge(ops_client, in_use) == before


def _wait_for_gauge(client: TestClient, name: str, want: float, timeout: float = 5.0) -> float:
    deadline = time.monotonic() + timeout
    seen = _gauge(client, name)
    while seen != want and time.monotonic() < deadline:
        time.sleep(0.02)
        seen = _gauge(client, name)
    return seen


# --- request id and access log --------------------------------------------------------------


def test_request_id_is_echoed_and_logged(ops_client, capsys):
    capsys.readouterr()
    r = ops_client.get("/healthz", headers={"X-Request-ID": "trace-abc_123.4"})
    assert r.headers["x-request-id"] == "trace-abc_123.4"
    lines = [line for line in _json_lines(capsys.readouterr().err)
             if line.get("event") == "request"]
    assert len(lines) == 1
    line = lines[0]
    assert line["request_id"] == "trace-abc_123.4"
    assert (line["method"], line["route"], line["status"]) == ("GET", "/healthz", 200)
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert line["level"] == "info" and "timestamp" in line


@pytest.mark.parametrize("bad", ["x" * 129, "tab\there", "caf\u00e9"])
def test_invalid_request_id_is_replaced(ops_client, bad):
    r = ops_client.get("/healthz", headers={"X-Request-ID": bad.encode("utf-8")})
    rid = r.headers["x-request-id"]
    # a fresh id in the generated form: 32 lowercase hex digits (16 random bytes)
    assert re.fullmatch(r"[0-9a-f]{32}", rid), rid
    again = ops_client.get("/healthz", headers={"X-Request-ID": bad.encode("utf-8")})
    assert again.headers["x-request-id"] != rid


def test_request_id_generated_when_absent(ops_client):
    a = ops_client.get("/healthz").headers["x-request-id"]
    b = ops_client.get("/healthz").headers["x-request-id"]
    assert a != b and len(a) == 32


def test_access_log_uses_route_template(ops_client, capsys):
    capsys.readouterr()
    ops_client.get("/_test/db")
    ops_client.get("/definitely/not/here")
    lines = [line for line in _json_lines(capsys.readouterr().err) if line.get("event") == "request"]
    assert [(line["route"], line["status"]) for line in lines] == [
        ("/_test/db", 200), ("<unmatched>", 404)]
    assert lines[1]["path"] == "/definitely/not/here"


# --- limits and errors ----------------------------------------------------------------------


def test_body_too_large_by_content_length(ops_client):
    r = ops_client.post("/healthz", content=b"x" * 5000)
    assert r.status_code == 413 and r.json() == {"detail": "request body too large"}
    assert "x-request-id" in r.headers


def test_body_too_large_chunked(ops_client):
    def chunks() -> Iterator[bytes]:
        for _ in range(10):
            yield b"y" * 1000

    r = ops_client.post("/_test/echo", content=chunks())
    assert r.status_code == 413 and r.json() == {"detail": "request body too large"}
    r = ops_client.post("/_test/echo", content=b"small")
    assert r.status_code == 200 and r.json() == {"received": 5}


def test_unhandled_exception_is_500_json_without_traceback(ops_client, capsys):
    capsys.readouterr()
    r = ops_client.get("/_test/boom", headers={"X-Request-ID": "boom-1"})
    assert r.status_code == 500
    assert r.json() == {"detail": "internal server error", "request_id": "boom-1"}
    assert "Traceback" not in r.text and "kaboom" not in r.text
    err = capsys.readouterr().err
    lines = _json_lines(err)
    crash = [line for line in lines if line.get("event") == "unhandled exception"]
    assert len(crash) == 1 and "Traceback" in crash[0]["exception"]
    assert crash[0]["request_id"] == "boom-1"
    assert "hunter2" not in err  # the DSN password in the message is scrubbed
    access = [line for line in lines if line.get("event") == "request"]
    assert access[-1]["status"] == 500


def test_statement_timeout_is_503(ops_client, capsys):
    capsys.readouterr()
    started = time.monotonic()
    r = ops_client.get("/_test/slow")
    assert time.monotonic() - started < 3
    assert r.status_code == 503 and r.json() == {"detail": "database unavailable"}
    assert r.headers["retry-after"] == "1"
    warn = [line for line in _json_lines(capsys.readouterr().err)
            if line.get("event") == "database unavailable"]
    assert warn and warn[0]["reason"] == "statement timeout"


# --- readiness: schema status ---------------------------------------------------------------


def test_readyz_ok_on_migrated_database(ops_client):
    r = ops_client.get("/readyz")
    assert r.status_code == 200
    assert r.json() == {"status": "ready", "checks": {"database": "ok", "migrations": "ok"}}


def test_readiness_reads_what_alembic_reads(migrated_db_url):
    settings = make_settings(migrated_db_url)
    engine = create_engine(settings.sqlalchemy_url)
    with engine.connect() as conn:
        expected = current_revisions(conn)
    engine.dispose()
    checker = ReadinessChecker(settings)
    assert asyncio.run(checker._current_revisions()) == expected == script_heads()


def test_readyz_migrations_pending_on_empty_database(empty_db_url):
    with TestClient(create_app(make_settings(empty_db_url))) as client:
        r = client.get("/readyz")
        assert r.status_code == 503
        assert r.json()["detail"] == "migrations pending"
        assert r.json()["checks"] == {"database": "ok", "migrations": "pending"}
        assert client.get("/healthz").status_code == 200


def test_readyz_pending_when_schema_is_behind(migrated_db_url):
    settings = make_settings(migrated_db_url)
    from sports_analytics.db.migrate import downgrade, known_revisions

    if len(known_revisions()) > 1:
        downgrade(settings, "-1")
    else:  # only one migration so far: "behind" is "no revision recorded"
        with psycopg.connect(migrated_db_url, autocommit=True) as conn:
            conn.execute("DELETE FROM alembic_version")
    with TestClient(create_app(settings)) as client:
        r = client.get("/readyz")
    assert r.status_code == 503 and r.json()["detail"] == "migrations pending"


def test_readyz_stays_ready_on_unknown_newer_revision(migrated_db_url, capsys):
    with psycopg.connect(migrated_db_url, autocommit=True) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999_from_a_newer_release'")
    capsys.readouterr()
    with TestClient(create_app(make_settings(migrated_db_url))) as client:
        r = client.get("/readyz")
    assert r.status_code == 200
    assert r.json()["checks"] == {"database": "ok", "migrations": "ahead"}
    warnings = [line for line in _json_lines(capsys.readouterr().err)
                if line.get("level") == "warning" and "newer release" in line.get("event", "")]
    assert len(warnings) == 1
    assert warnings[0]["revision"] == ["9999_from_a_newer_release"]


def test_readyz_result_is_cached(ops_client):
    checker = ops_client.app_state["readiness"]
    ops_client.get("/readyz")
    first = checker._cached_at
    ops_client.get("/readyz")
    assert checker._cached_at == first


# --- readiness and data routes during a real outage -----------------------------------------


@pytest.fixture
def outage_cluster() -> Iterator[PgCluster]:
    cluster = PgCluster()
    cluster.start()
    try:
        wait_for(cluster.url)
        yield cluster
    finally:
        cluster.destroy()


def _poll(client: TestClient, path: str, status: int, limit: float) -> float:
    started = time.monotonic()
    while True:
        if client.get(path).status_code == status:
            return time.monotonic() - started
        if time.monotonic() - started > limit:
            raise AssertionError(f"{path} did not answer {status} within {limit}s")
        time.sleep(0.1)


@pytest.mark.slow
def test_outage_readiness_flips_and_recovers_without_restart(outage_cluster, capsys):
    settings = make_settings(outage_cluster.url)
    upgrade(settings)
    app = create_app(settings)
    _add_probe_routes(app)
    templates = set(app.openapi()["paths"])
    data_urls = [url for tpl, url in DATA_ROUTES.items() if tpl in templates]
    assert len(data_urls) == len(DATA_ROUTES)
    api_routes = {p for p in templates if p.startswith("/api/")}
    assert api_routes <= set(DATA_ROUTES), sorted(api_routes - set(DATA_ROUTES))  # all of them
    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.get("/readyz").status_code == 200
        assert client.get("/_test/db").status_code == 200  # a pooled connection now exists

        stopped_at = time.monotonic()
        outage_cluster.stop()
        _poll(client, "/readyz", 503, 5.0)
        flip = time.monotonic() - stopped_at
        assert flip < 5.0
        ready = client.get("/readyz")
        assert ready.headers["retry-after"] == "1"
        body = ready.json()
        assert body["detail"] == "database unreachable"
        assert body["checks"]["database"] == "unreachable"
        assert client.get("/healthz").status_code == 200

        for url in ["/_test/db", *data_urls]:
            started = time.monotonic()
            r = client.get(url)
            assert time.monotonic() - started < settings.db_connect_timeout_seconds + 1, url
            assert r.status_code == 503, (url, r.status_code, r.text)
            assert r.json() == {"detail": "database unavailable"}, url
            assert r.headers["retry-after"] == "1", url  # every 503, whichever path raised it
            assert "Traceback" not in r.text

        restarted_at = time.monotonic()
        outage_cluster.start()
        _poll(client, "/readyz", 200, 10.0)
        recovery = time.monotonic() - restarted_at
        assert recovery < 10.0
        assert client.get("/_test/db").status_code == 200  # the pool recovered (pre-ping)
    err = capsys.readouterr().err
    events = [line.get("event") for line in _json_lines(err)]
    assert "readiness: database unreachable" in events and "database unavailable" in events
    print(f"readiness flip {flip:.2f}s, recovery {recovery:.2f}s")


def _signal_cluster(cluster: PgCluster, sig: int) -> None:
    """SIGSTOP/SIGCONT the postmaster and its children: what ``docker pause`` does."""
    import os
    import subprocess

    master = int((cluster.datadir / "postmaster.pid").read_text().split()[0])
    children = subprocess.run(["pgrep", "-P", str(master)], capture_output=True, text=True,
                              check=False).stdout.split()
    for pid in [master, *map(int, children)]:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)


@pytest.mark.slow
def test_frozen_database_fails_fast_and_recovers(outage_cluster, capsys):
    """TCP still accepts but nothing answers: only client-side deadlines prevent a hang."""
    import signal

    settings = make_settings(outage_cluster.url, db_connect_timeout_seconds=2,
                             db_statement_timeout_ms=1000)
    upgrade(settings)
    app = create_app(settings)
    _add_probe_routes(app)
    templates = set(app.openapi()["paths"])
    data_urls = [url for tpl, url in DATA_ROUTES.items() if tpl in templates]
    # pre-ping (2 s) + reconnect attempt (2 s), or statement (1 s + 1 s margin), plus slack
    bound = 2 * settings.db_connect_timeout_seconds + 1.5
    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.get("/_test/db").status_code == 200  # leaves a pooled connection
        assert client.get("/readyz").status_code == 200
        _signal_cluster(outage_cluster, signal.SIGSTOP)
        try:
            frozen_at = time.monotonic()
            _poll(client, "/readyz", 503, 5.0)
            assert time.monotonic() - frozen_at < 5.0
            assert client.get("/healthz").status_code == 200
            for url in ["/_test/db", "/_test/db", *data_urls]:
                started = time.monotonic()
                r = client.get(url)
                took = time.monotonic() - started
                assert r.status_code == 503, (url, r.status_code, r.text)
                assert r.json() == {"detail": "database unavailable"}
                assert took < bound, f"{url} took {took:.1f}s while the database was frozen"
        finally:
            _signal_cluster(outage_cluster, signal.SIGCONT)
        thawed_at = time.monotonic()
        _poll(client, "/readyz", 200, 10.0)
        assert time.monotonic() - thawed_at < 10.0
        assert client.get("/_test/db").status_code == 200
    events = [line.get("event") for line in _json_lines(capsys.readouterr().err)]
    assert "database call exceeded its deadline; connection severed" in events


def test_chunked_body_too_large_for_a_fastapi_body_parameter(ops_client):
    app = ops_client.app

    def take(payload: dict[str, str]) -> dict:
        return {"keys": len(payload)}

    app.add_api_route("/_test/json", take, methods=["POST"], include_in_schema=False)

    def chunks():
        yield b'{"a": "'
        for _ in range(10):
            yield b"z" * 1000
        yield b'"}'

    r = ops_client.post("/_test/json", content=chunks(),
                        headers={"content-type": "application/json"})
    assert r.status_code == 413 and r.json() == {"detail": "request body too large"}
    r = ops_client.post("/_test/json", json={"a": "b"})
    assert r.status_code == 200 and r.json() == {"keys": 1}


def test_pool_exhausted_is_503(migrated_db_url, capsys):
    settings = make_settings(migrated_db_url, db_pool_size=1, db_max_overflow=0,
                             db_pool_timeout_seconds=0.5)
    app = create_app(settings)
    _add_probe_routes(app)
    with TestClient(app, raise_server_exceptions=False) as client:
        capsys.readouterr()
        with client.app_state["engine"].connect() as held:
            held.execute(text("SELECT 1"))
            body = client.get("/metrics").text
            assert 'db_pool_connections_in_use{pool="sqlalchemy"} 1.0' in body
            started = time.monotonic()
            r = client.get("/_test/db")
            assert time.monotonic() - started < 3
            assert r.status_code == 503 and r.json() == {"detail": "database unavailable"}
        assert client.get("/_test/db").status_code == 200
    warn = [line for line in _json_lines(capsys.readouterr().err)
            if line.get("event") == "database unavailable"]
    assert warn and warn[0]["reason"] == "connection pool exhausted"
