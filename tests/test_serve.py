"""``sports-analytics serve`` as a real process: gunicorn master + 2 uvicorn workers on loopback.

Covers: every log line JSON (gunicorn's own included) with no secret, /metrics aggregated
across workers, the multiprocess directory set and wiped, SIGTERM finishing an in-flight
request and exiting 0 within GRACEFUL_TIMEOUT, and an unwritable HOME.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import psycopg
import pytest

from tests.helpers.serving import ServeProcess, inherited_env, with_password

pytestmark = pytest.mark.slow

SECRET = "s3cr3t-Serve-Pw-77"  # trust auth ignores it; it must never show up in a log line


@pytest.fixture
def serve_factory(tmp_path: Path) -> Iterator:
    started: list[ServeProcess] = []

    def start(db_url: str, wrap: list[str] | None = None, **env: str) -> ServeProcess:
        served = ServeProcess({**inherited_env(), "DATABASE_URL": with_password(db_url, SECRET),
                               "APP_ENV": "production", **env}, tmp_path, wrap)
        started.append(served)
        return served

    yield start
    for served in started:
        served.kill()


def _metric_samples(text: str, name: str) -> dict[str, float]:
    samples = {}
    for line in text.splitlines():
        if line.startswith(name + "{") or line.startswith(name + " "):
            key, value = line.rsplit(" ", 1)
            samples[key] = float(value)
    return samples


def test_every_log_line_is_json_and_secret_free(serve_factory, migrated_db_url):
    served = serve_factory(migrated_db_url)
    r = httpx.get(served.base_url + "/healthz", headers={"X-Request-ID": "serve-json-1"})
    assert r.headers["x-request-id"] == "serve-json-1"
    assert httpx.get(served.base_url + "/readyz").status_code == 200
    httpx.get(served.base_url + "/nope")
    assert served.terminate() == 0
    text = served.log_text()
    assert SECRET not in text
    lines = served.log_lines()
    assert all({"event", "level", "timestamp", "logger"} <= set(line) for line in lines)
    loggers = {line["logger"] for line in lines}
    assert {"gunicorn.error", "uvicorn.error", "sports_analytics.access"} <= loggers, loggers
    events = [line["event"] for line in lines]
    assert any(e.startswith("Starting gunicorn") for e in events)
    assert sum(e.startswith("Booting worker") for e in events) == 2
    assert "color_message" not in text
    access = [line for line in lines if line["event"] == "request"]
    mine = [line for line in access if line.get("request_id") == "serve-json-1"]
    assert len(mine) == 1 and mine[0]["route"] == "/healthz" and mine[0]["status"] == 200
    assert {line["route"] for line in access} >= {"/healthz", "/readyz", "<unmatched>"}


def test_metrics_aggregate_across_two_workers(serve_factory, migrated_db_url, tmp_path):
    prom_dir = tmp_path / "prom"
    prom_dir.mkdir()
    stale = prom_dir / "counter_999999.db"
    stale.write_bytes(b"stale data from a previous container")
    served = serve_factory(migrated_db_url, PROMETHEUS_MULTIPROC_DIR=str(prom_dir))
    assert not stale.exists(), "on_starting must wipe the multiprocess directory"

    n = 240
    key = 'http_requests_total{method="GET",route="/healthz",status="200"}'
    count_key = 'http_request_duration_seconds_count{method="GET",route="/healthz"}'
    before = _metric_samples(httpx.get(served.base_url + "/metrics").text, "http_requests_total")
    baseline = before.get(key, 0.0)  # the start-up wait's /healthz probes

    def hit(_: int) -> int:
        # A fresh connection each time so the two workers share the load.
        return httpx.get(served.base_url + "/healthz", headers={"Connection": "close"}).status_code

    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(hit, range(n)))
    assert statuses == [200] * n

    worker_pids = {int(p.stem.rsplit("_", 1)[1]) for p in prom_dir.glob("counter_*.db")}
    assert len(worker_pids) == 2, f"both workers must have served: {worker_pids}"

    # Scrape from each worker (several scrapes land on both) and check the merged view.
    for _ in range(4):
        body = httpx.get(served.base_url + "/metrics", headers={"Connection": "close"}).text
        assert _metric_samples(body, "http_requests_total")[key] == baseline + n
        count = _metric_samples(body, "http_request_duration_seconds_count")
        assert count[count_key] == baseline + n
        pool_size = _metric_samples(body, "db_pool_size")
        # two live workers: SQLAlchemy 5 + 5 each, the data routes' read pool 5 each
        assert pool_size['db_pool_size{pool="sqlalchemy"}'] == 2 * (5 + 5)
        assert pool_size['db_pool_size{pool="read"}'] == 2 * 5
        in_use = _metric_samples(body, "db_pool_connections_in_use")
        assert set(in_use) >= {'db_pool_connections_in_use{pool="sqlalchemy"}',
                               'db_pool_connections_in_use{pool="read"}'}
        assert _metric_samples(body, "app_build_info")  # present, value 1
        assert 'app_build_info{git_sha="unknown",version="0.1.0"} 1.0' in body
    live = {p.name for p in prom_dir.glob("gauge_live*_*.db")}
    assert any(str(pid) in name for pid in worker_pids for name in live)
    assert served.terminate() == 0
    # child_exit ran mark_process_dead for each worker: their live-gauge files are gone,
    # while counters stay (by design) for the totals.
    leftover = [p.name for p in prom_dir.glob("gauge_live*_*.db")
                if int(p.stem.rsplit("_", 1)[1]) in worker_pids]
    assert leftover == []
    assert {int(p.stem.rsplit("_", 1)[1]) for p in prom_dir.glob("counter_*.db")} == worker_pids


def test_serve_sets_a_multiproc_dir_when_missing(serve_factory, migrated_db_url):
    served = serve_factory(migrated_db_url)  # PROMETHEUS_MULTIPROC_DIR stripped from env
    key = 'http_requests_total{method="GET",route="/healthz",status="200"}'
    baseline = _metric_samples(httpx.get(served.base_url + "/metrics").text,
                               "http_requests_total").get(key, 0.0)
    for _ in range(10):
        httpx.get(served.base_url + "/healthz", headers={"Connection": "close"})
    body = httpx.get(served.base_url + "/metrics").text
    assert _metric_samples(body, "http_requests_total")[key] == baseline + 10
    assert served.terminate() == 0
    start = [line for line in served.log_lines() if line["event"] == "starting gunicorn"]
    assert start and start[0]["metrics_dir"].startswith(("/tmp", os.environ.get("TMPDIR", "/tmp")))


def _slow_target(base_url: str, db_url: str) -> tuple[str, str, int]:
    """A request that stays in flight while a test connection holds a table lock."""
    paths = httpx.get(base_url + "/openapi.json").json()["paths"]
    if "/api/v1/teams" in paths:
        return "/api/v1/teams", "teams", 200
    # Before the data routes exist: readiness waits (up to its 1 s deadline) on the lock.
    return "/readyz", "alembic_version", 503


def test_sigterm_finishes_in_flight_request_and_exits_zero(serve_factory, seeded_db_url):
    served = serve_factory(seeded_db_url, DB_STATEMENT_TIMEOUT_MS="20000", GRACEFUL_TIMEOUT="10")
    path, table, expected = _slow_target(served.base_url, seeded_db_url)
    print("in-flight request:", path)
    result: dict = {}

    with psycopg.connect(seeded_db_url) as locker:
        locker.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")

        def request() -> None:
            try:
                r = httpx.get(served.base_url + path, timeout=30)
                result["status"] = r.status_code
            except Exception as exc:  # pragma: no cover - reported below
                result["error"] = repr(exc)
            result["done"] = time.monotonic()

        thread = threading.Thread(target=request)
        thread.start()
        time.sleep(0.5)  # the request is now waiting on the lock inside a worker
        sent = time.monotonic()
        served.proc.send_signal(signal.SIGTERM)
        time.sleep(0.3 if expected == 503 else 1.5)
        # New connections are refused once the master has closed its listener.
        with pytest.raises(httpx.TransportError):
            httpx.get(served.base_url + "/healthz", timeout=2)
        locker.rollback()  # release the lock: the in-flight request can finish
    thread.join(30)
    code = served.proc.wait(30)
    elapsed = time.monotonic() - sent
    assert "error" not in result, result
    assert result["status"] == expected
    assert code == 0
    assert elapsed < 10, f"shutdown took {elapsed:.1f}s (GRACEFUL_TIMEOUT=10)"
    served.terminate()
    events = [line["event"] for line in served.log_lines()]
    assert "Handling signal: term" in events and "Shutting down: Master" in events


def test_serve_with_unwritable_home(serve_factory, migrated_db_url, tmp_path):
    # /dev/null is a file: nothing can be created below it, not even by root.
    served = serve_factory(migrated_db_url, HOME="/dev/null/home", XDG_RUNTIME_DIR="",
                           WEB_CONCURRENCY="1")
    assert httpx.get(served.base_url + "/readyz").status_code == 200
    assert served.terminate() == 0
    lines = served.log_lines()  # all JSON
    # e.g. gunicorn's control socket under $HOME would log an error here
    assert not any(line["level"] in ("error", "critical") for line in lines), lines


def _can_unshare_mounts() -> bool:
    if os.geteuid() != 0 or not shutil.which("unshare"):
        return False
    probe = subprocess.run(["unshare", "-m", "--propagation", "private", "true"],
                           capture_output=True, check=False)
    return probe.returncode == 0


@pytest.mark.skipif(not _can_unshare_mounts(), reason="needs root and mount namespaces")
def test_serve_on_read_only_root_with_only_tmp_writable(serve_factory, migrated_db_url):
    """The image's runtime contract, reproduced without a container: in a private mount
    namespace / is remounted read-only, /dev/shm too, and /tmp is a fresh tmpfs."""
    checkout = Path(__file__).resolve().parents[1]
    keep_checkout = ""
    if checkout.is_relative_to("/tmp"):
        # A clone under /tmp (as CI may make) would vanish under the fresh tmpfs: keep a
        # handle on the old /tmp in /mnt, then bind the checkout back at the same path.
        keep_checkout = (f"mkdir -p {checkout} && "
                         f"mount --bind /mnt/{checkout.relative_to('/tmp')} {checkout} && ")
    script = (("mount --bind /tmp /mnt && " if keep_checkout else "")
              + "mount -o remount,bind,ro / && mount -o remount,bind,ro /dev/shm && "
              "mount -t tmpfs -o size=64m tmpfs /tmp && " + keep_checkout
              + 'exec "$0" "$@"')
    wrap = ["unshare", "-m", "--propagation", "private", "sh", "-c", script]
    served = serve_factory(migrated_db_url, wrap=wrap, HOME="/nonexistent", XDG_RUNTIME_DIR="",
                           TMPDIR="/tmp")
    for path in ("/healthz", "/readyz", "/version"):
        assert httpx.get(served.base_url + path).status_code == 200, path
    body = httpx.get(served.base_url + "/metrics").text
    assert 'route="/healthz"' in body
    assert served.terminate() == 0
    lines = served.log_lines()  # every line JSON
    start = next(line for line in lines if line["event"] == "starting gunicorn")
    assert start["metrics_dir"].startswith("/tmp/")
    assert not any(line["level"] in ("error", "critical") for line in lines), lines
