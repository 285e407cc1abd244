"""Database outage against a live ``sports-analytics serve`` and a private cluster.

Two kinds of outage:
- **stopped**: ``pg_ctl stop -m fast`` (connections refused, like ``docker compose stop``);
- **frozen**: every postgres process SIGSTOPped (TCP still accepts, nothing answers, like
  ``docker compose pause``); only client-side timeouts can save the service here.

For each: ``/readyz`` turns 503 within 5 s, ``/healthz`` stays 200, every data route answers
503 ``{"detail": "database unavailable"}`` within the connect/statement/pool timeouts (no hang,
no 500), and after the database returns the same server process is ready again within 10 s.
"""

from __future__ import annotations

import concurrent.futures
import time
from collections.abc import Iterator

import httpx
import pytest

from sports_analytics.api.caching import VERSION_TTL_SECONDS
from tests.helpers.relharness import (
    CONNECT_TIMEOUT_S,
    POOL_TIMEOUT_S,
    STATEMENT_TIMEOUT_MS,
    Freezer,
    LiveServer,
    PgCluster,
    data_urls,
    poll_until,
    record_figure,
    status,
)

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]

READY_FLIP_LIMIT_S = 5.0
RECOVERY_LIMIT_S = 10.0
# The longest a DB-backed request may take while the DB is gone: connect or pool wait, plus the
# statement timeout, plus scheduling slack. Anything longer is a hang.
REQUEST_BOUND_S = max(CONNECT_TIMEOUT_S, POOL_TIMEOUT_S) + STATEMENT_TIMEOUT_MS / 1000 + 2.0
UNAVAILABLE = {"detail": "database unavailable"}


@pytest.fixture(scope="module")
def outage_server(seeded_cluster: tuple[PgCluster, str]) -> Iterator[tuple[LiveServer, PgCluster]]:
    cluster, url = seeded_cluster
    server = LiveServer(url, workers=2)
    try:
        server.start()
        server.wait_ready(30)
        yield server, cluster
    finally:
        server.close()
        if not cluster.is_running():
            cluster.start()


def _timed_get(url: str, timeout: float = REQUEST_BOUND_S + 4) -> tuple[int | None, object, float]:
    started = time.monotonic()
    try:
        resp = httpx.get(url, timeout=timeout)
    except httpx.HTTPError as exc:
        return None, repr(exc), time.monotonic() - started
    try:
        body: object = resp.json()
    except ValueError:
        body = resp.text[:200]
    return resp.status_code, body, time.monotonic() - started


def _check_unavailable(urls: list[str]) -> float:
    """All data routes, sequentially then concurrently: 503 + JSON, within the bound."""
    worst = 0.0
    problems = []
    for url in urls:
        code, body, took = _timed_get(url)
        worst = max(worst, took)
        if code != 503 or body != UNAVAILABLE or took > REQUEST_BOUND_S:
            problems.append(f"{url}: {code} {body!r} in {took:.2f}s")
    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        for (code, body, took), url in zip(pool.map(_timed_get, urls * 3), urls * 3, strict=True):
            worst = max(worst, took)
            if code != 503 or body != UNAVAILABLE or took > REQUEST_BOUND_S:
                problems.append(f"concurrent {url}: {code} {body!r} in {took:.2f}s")
    assert not problems, "during the outage:\n" + "\n".join(problems)
    return worst


def _outage_cycle(server: LiveServer, kind: str, go_down, come_back) -> None:  # type: ignore[no-untyped-def]
    base = server.url
    urls = data_urls(base)
    before = {u: status(u, timeout=10) for u in urls}
    assert all(code == 200 for code in before.values()), f"data routes before the outage: {before}"
    master, workers = server.pid, server.worker_pids()

    down_at = go_down()
    flipped = poll_until(lambda: status(base + "/readyz", timeout=READY_FLIP_LIMIT_S + 5) == 503,
                         READY_FLIP_LIMIT_S + 10, interval=0.05)
    flip_s = time.monotonic() - down_at
    assert flipped, f"/readyz never turned 503 ({kind})\n{server.log_tail()}"
    record_figure(f"outage_{kind}.readyz_flip_s", round(flip_s, 2), "s",
                  f"DB {kind} -> /readyz 503 (limit {READY_FLIP_LIMIT_S:g} s)")
    assert flip_s <= READY_FLIP_LIMIT_S, f"/readyz took {flip_s:.2f}s to turn 503 ({kind})"

    assert status(base + "/healthz") == 200, "/healthz must not depend on the database"
    # An answer cached per data version (standings) may be served until its version check is
    # VERSION_TTL_SECONDS old, the documented staleness bound; past it, every route says 503.
    time.sleep(max(0.0, down_at + VERSION_TTL_SECONDS + 0.1 - time.monotonic()))
    try:
        worst = _check_unavailable(urls)
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n--- server log\n{server.log_tail(60)}") from None
    record_figure(f"outage_{kind}.slowest_503_s", round(worst, 2), "s",
                  f"slowest data-route answer while DB {kind} (bound {REQUEST_BOUND_S:g} s)")
    assert status(base + "/healthz") == 200

    up_at = come_back()
    recovered = poll_until(lambda: status(base + "/readyz", timeout=5) == 200,
                           RECOVERY_LIMIT_S + 20, interval=0.05)
    recovery_s = time.monotonic() - up_at
    assert recovered, f"/readyz never recovered ({kind})\n{server.log_tail()}"
    record_figure(f"outage_{kind}.recovery_s", round(recovery_s, 2), "s",
                  f"DB back -> /readyz 200, no restart (limit {RECOVERY_LIMIT_S:g} s)")
    assert recovery_s <= RECOVERY_LIMIT_S, f"recovery took {recovery_s:.2f}s ({kind})"

    failures = [(u, c) for u in urls for c in [status(u, timeout=10)] if c != 200]
    assert not failures, f"data routes not back after recovery: {failures}"
    assert server.pid == master and server.proc is not None and server.proc.poll() is None
    assert server.worker_pids() == workers, "workers were restarted to recover"
    assert "Traceback" not in server.log_path.read_text(errors="replace"), server.log_tail()


def test_database_stopped(outage_server: tuple[LiveServer, PgCluster]) -> None:
    server, cluster = outage_server

    # timings run from the moment the command is issued: the conservative reference
    def down() -> float:
        issued = time.monotonic()
        cluster.stop("fast")
        return issued

    def up() -> float:
        issued = time.monotonic()
        cluster.start()
        return issued

    _outage_cycle(server, "stopped", down, up)


def test_database_frozen(outage_server: tuple[LiveServer, PgCluster]) -> None:
    server, cluster = outage_server
    freezer = Freezer(cluster)

    def down() -> float:
        issued = time.monotonic()
        freezer.freeze()
        return issued

    def up() -> float:
        issued = time.monotonic()
        freezer.thaw()
        return issued

    try:
        _outage_cycle(server, "frozen", down, up)
    finally:
        freezer.thaw()
