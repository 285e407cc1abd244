"""Data-freshness metrics, read from ``refresh_runs`` without ever slowing a scrape.

* ``app_data_last_refresh_timestamp_seconds``: when the last successful refresh finished
  (absent until there is one, which the stale-data alert treats as stale);
* ``app_data_refresh_failures_total``: refresh runs that failed, over the table's history;
* ``app_data_last_refresh_success``: 1 if the most recent finished run succeeded, else 0.

The values live in a per-process cache. A scrape only reads the cache; when it is older than
:data:`MAX_AGE_SECONDS` the scrape starts one background thread to re-read the table (one
indexed query) and answers with the values it has. A slow or unreachable database therefore
delays the numbers, never the scrape. Every worker reads the same table, so in gunicorn's
multiprocess mode this collector is added to each scrape's registry next to the
``MultiProcessCollector`` (see :mod:`sports_analytics.metrics`).
"""

from __future__ import annotations

import contextvars
import threading
import time
from collections.abc import Iterator
from typing import Any

import structlog
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import Engine, text

log = structlog.get_logger(__name__)

MAX_AGE_SECONDS = 15.0

_SQL = """
SELECT extract(epoch FROM (SELECT max(finished_at) FROM refresh_runs WHERE outcome = 'success')),
       (SELECT count(*) FROM refresh_runs WHERE outcome = 'failed'),
       (SELECT outcome FROM refresh_runs WHERE outcome <> 'running'
        ORDER BY started_at DESC, id DESC LIMIT 1)
"""


class FreshnessCollector(Collector):
    def __init__(self, max_age: float = MAX_AGE_SECONDS) -> None:
        self.max_age = max_age
        self._engine: Engine | None = None
        self._values: tuple[float | None, int, str | None] | None = None
        self._read_at = float("-inf")
        self._lock = threading.Lock()
        self._reading = False

    def bind(self, engine: Engine) -> None:
        """The engine to read with (the app's; set on every scrape, a plain assignment)."""
        self._engine = engine

    def read_now(self) -> None:
        engine = self._engine
        if engine is None:
            return
        try:
            with engine.connect() as conn:
                last, failures, outcome = conn.execute(text(_SQL)).one()
            self._values = (None if last is None else float(last), int(failures), outcome)
        except Exception as exc:  # keep the last values; the next scrape tries again
            log.warning("freshness metrics not refreshed", error=type(exc).__name__)
        finally:
            with self._lock:
                self._read_at = time.monotonic()
                self._reading = False

    def _maybe_refresh(self) -> None:
        with self._lock:
            if self._reading or time.monotonic() - self._read_at < self.max_age:
                return
            self._reading = True
        # The scrape's context goes along: the read belongs to the scrape, which is not traced
        # (a bare thread would start a root trace of its own for the statement).
        threading.Thread(target=contextvars.copy_context().run, args=(self.read_now,),
                         name="freshness-metrics", daemon=True).start()

    def collect(self) -> Iterator[Metric]:
        self._maybe_refresh()
        values = self._values
        if values is None:
            return
        last, failures, outcome = values
        if last is not None:
            g = GaugeMetricFamily("app_data_last_refresh_timestamp_seconds",
                                  "Unix time the last successful data refresh finished.")
            g.add_metric([], last)
            yield g
        c = CounterMetricFamily("app_data_refresh_failures",
                                "Data refresh runs that failed (refresh_runs history).")
        c.add_metric([], failures)
        yield c
        if outcome is not None:
            ok = GaugeMetricFamily("app_data_last_refresh_success",
                                   "1 if the most recent finished data refresh succeeded, else 0.")
            ok.add_metric([], 1.0 if outcome == "success" else 0.0)
            yield ok

    def describe(self) -> list[Any]:
        return []  # values are read lazily; do not collect at registration time


COLLECTOR = FreshnessCollector()


# The stale-data alert (chart value refresh.alerts.staleAfterHours, default 36; the kustomize
# rule uses the same) fires when the last successful refresh is older than this. The pages'
# stale-data warning uses the same threshold; tests/pages compare the two.
STALE_AFTER_SECONDS = 36 * 3600
