"""A real Prometheus server scrapes the live service; promtool lints its /metrics output.

Uses Debian's ``prometheus`` package (``prometheus`` and ``promtool``). Skipped only when the
binaries are missing and ``RUN_E2E`` is unset; in CI (``RUN_E2E=1``) missing binaries fail.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.helpers.relharness import LiveServer, free_port, poll_until

pytestmark = pytest.mark.timeout(180)


def _binary(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    if os.environ.get("RUN_E2E", "").strip().lower() in {"1", "true", "yes"}:
        pytest.fail(f"RUN_E2E=1 but `{name}` is missing: apt-get install -y prometheus")
    pytest.skip(f"`{name}` not installed (Debian package prometheus)")


def _exercise(server: LiveServer) -> None:
    """Some traffic on templated routes, including a 404 and a 422."""
    games = httpx.get(server.url + "/api/v1/games", params={"limit": 2}, timeout=10).json()
    for item in games["items"]:
        httpx.get(f"{server.url}/api/v1/games/{item['game_id']}", timeout=10)
    httpx.get(server.url + "/api/v1/teams", timeout=10)
    httpx.get(server.url + "/api/v1/teams/ZZZ", timeout=10)
    httpx.get(server.url + "/api/v1/games", params={"limit": -1}, timeout=10)
    httpx.get(server.url + "/healthz", timeout=10)


def test_promtool_check_metrics(live_server: LiveServer) -> None:
    promtool = _binary("promtool")
    _exercise(live_server)
    text = httpx.get(live_server.url + "/metrics", timeout=10).text
    assert "http_requests_total" in text
    done = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, f"promtool check metrics:\n{done.stdout}{done.stderr}"


@pytest.fixture
def prometheus(live_server: LiveServer) -> Iterator[str]:
    binary = _binary("prometheus")
    root = Path(tempfile.mkdtemp(prefix="sa-prom-"))
    port = free_port()
    target = f"127.0.0.1:{live_server.port}"
    (root / "prometheus.yml").write_text(
        "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\n"
        "scrape_configs:\n  - job_name: sports-analytics\n    metrics_path: /metrics\n"
        f"    static_configs:\n      - targets: ['{target}']\n"
    )
    log = (root / "prometheus.log").open("wb")
    proc = subprocess.Popen(
        [binary, f"--config.file={root / 'prometheus.yml'}", f"--storage.tsdb.path={root / 'data'}",
         f"--web.listen-address=127.0.0.1:{port}", "--storage.tsdb.retention.time=1h"],
        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
    )
    log.close()
    url = f"http://127.0.0.1:{port}"
    try:
        if not poll_until(lambda: _ok(url + "/-/ready"), 30, interval=0.2):
            raise AssertionError("prometheus not ready:\n" + (root / "prometheus.log").read_text()[-3000:])
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        shutil.rmtree(root, ignore_errors=True)


def _ok(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _query(prom: str, expr: str) -> list[dict]:
    resp = httpx.get(prom + "/api/v1/query", params={"query": expr}, timeout=5)
    resp.raise_for_status()
    body = resp.json()
    assert body["status"] == "success", body
    return body["data"]["result"]


def test_real_prometheus_scrapes_the_service(live_server: LiveServer, prometheus: str) -> None:
    _exercise(live_server)
    up: list[dict] = []

    def scraped() -> bool:
        nonlocal up
        up = _query(prometheus, 'up{job="sports-analytics"}')
        return bool(up) and up[0]["value"][1] == "1"

    assert poll_until(scraped, 30, interval=0.5), f"up never became 1: {up}"

    series: list[dict] = []

    def has_requests() -> bool:
        nonlocal series
        series = _query(prometheus, 'http_requests_total{job="sports-analytics"}')
        return any("{" in s["metric"].get("route", "") for s in series)

    assert poll_until(has_requests, 20, interval=0.5), f"no templated http_requests_total: {series}"
    for s in series:
        assert {"method", "route", "status"} <= set(s["metric"]), s
        # route templates, never raw ids
        assert not any(ch.isdigit() for ch in s["metric"]["route"].replace("v1", "")), s
