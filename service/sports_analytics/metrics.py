"""Prometheus metrics, correct under several gunicorn workers.

When ``PROMETHEUS_MULTIPROC_DIR`` is set (the image sets it; ``sports-analytics serve`` sets it
when it is missing) prometheus-client writes every value to per-process mmap files in that
directory and ``/metrics`` merges them with a fresh ``MultiProcessCollector`` per scrape. The
variable must be in the environment before ``prometheus_client`` is first imported, which is
why it is set by the image or by ``serve`` before gunicorn starts, never from here.

Without it (tests with an in-process TestClient) the default registry is used.

Gauges use a ``live*`` multiprocess mode so a dead worker's value disappears once gunicorn's
``child_exit`` hook calls :func:`mark_process_dead`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.registry import Collector

MULTIPROCESS = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))
if MULTIPROCESS:
    # A gauge writes its file at definition time; entry points other than `serve` (a plain
    # uvicorn run, a script) must not crash because nobody created the directory yet.
    os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)
CONTENT_TYPE = CONTENT_TYPE_LATEST

disable_created_metrics()

HTTP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

http_requests_total = Counter(
    "http_requests_total",
    "HTTP requests handled, by method, route template and status code.",
    ["method", "route", "status"],
)
http_request_duration_seconds = Histogram(
    "http_request_duration_seconds",
    "Time from request start to the end of the response, by method and route template.",
    ["method", "route"],
    buckets=HTTP_BUCKETS,
)
http_requests_in_progress = Gauge(
    "http_requests_in_progress",
    "HTTP requests being handled right now (summed over live workers).",
    multiprocess_mode="livesum",
)
# pool="sqlalchemy" (primary), "sqlalchemy_read" (read replica, when DATABASE_READ_URL is
# set) and "read" (the psycopg pool of the JSON data routes).
db_pool_connections_in_use = Gauge(
    "db_pool_connections_in_use",
    "Database connections checked out of the pool, by pool (summed over live workers).",
    ["pool"],
    multiprocess_mode="livesum",
)
db_pool_size = Gauge(
    "db_pool_size",
    "Maximum connections the pool may open, by pool (summed over live workers).",
    ["pool"],
    multiprocess_mode="livesum",
)
app_build_info = Gauge(
    "app_build_info",
    "Build of the running service; the value is always 1.",
    ["version", "git_sha"],
    multiprocess_mode="livemax",
)

# For the analytics (Gemini game brief) code.
gemini_requests_total = Counter(
    "gemini_requests_total",
    "Calls to the Gemini API by outcome (ok, error, timeout, breaker_open, ...).",
    ["outcome"],
)
gemini_request_duration_seconds = Histogram(
    "gemini_request_duration_seconds",
    "Duration of Gemini API calls, retries included.",
    buckets=(0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 30.0, 60.0),
)
gemini_tokens_total = Counter(
    "gemini_tokens_total",
    "Tokens reported by Gemini usage metadata, by kind (prompt, candidates, total).",
    ["kind"],
)


def render(extra: Sequence[Collector] = ()) -> bytes:
    """The exposition text for one scrape; ``extra`` collectors (read from the database,
    not per process, such as api/freshness.py) are added once, not once per worker."""
    if MULTIPROCESS:
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        for collector in extra:
            registry.register(collector)
        return generate_latest(registry)
    out = generate_latest(REGISTRY)
    if extra:
        own = CollectorRegistry(auto_describe=False)
        for collector in extra:
            own.register(collector)
        out += generate_latest(own)
    return out


def set_build_info(version: str, git_sha: str) -> None:
    app_build_info.labels(version=version, git_sha=git_sha).set(1)


def instrument_pool(engine: Any, settings: Any, name: str = "sqlalchemy") -> Callable[[], None]:
    """Feed the pool gauges from SQLAlchemy pool events (per worker, summed on scrape)."""
    from sqlalchemy import event

    capacity = settings.db_pool_size + settings.db_max_overflow
    size, in_use = db_pool_size.labels(pool=name), db_pool_connections_in_use.labels(pool=name)
    size.inc(capacity)
    pool = engine.pool

    # A failed checkout (database down) fires "checkin" without "checkout": count only
    # records this listener saw leave the pool, so the gauge cannot drift below zero.
    def _checkout(dbapi_conn: Any, record: Any, proxy: Any) -> None:
        if not record.info.get(_OUT):
            record.info[_OUT] = True
            in_use.inc()

    def _checkin(dbapi_conn: Any, record: Any) -> None:
        if record.info.pop(_OUT, False):
            in_use.dec()

    event.listen(pool, "checkout", _checkout)
    event.listen(pool, "checkin", _checkin)

    def _uninstrument() -> None:
        event.remove(pool, "checkout", _checkout)
        event.remove(pool, "checkin", _checkin)
        size.dec(capacity)

    return _uninstrument


def instrument_read_pool(read_pool: Any, name: str = "read") -> Callable[[], None]:
    """The same gauges for the psycopg read pool: its capacity, and queries holding a
    connection (``ReadPool.observer`` is called with +1 / -1)."""
    size, in_use = db_pool_size.labels(pool=name), db_pool_connections_in_use.labels(pool=name)
    size.inc(read_pool.size)
    read_pool.observer = in_use.inc

    def _uninstrument() -> None:
        read_pool.observer = None
        size.dec(read_pool.size)

    return _uninstrument


_OUT = "sports_analytics.metrics.checked_out"
