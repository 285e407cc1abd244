"""Readiness: the database answers within 1 s AND the schema is not behind this code.

The check never uses the application's pool (a saturated or broken pool must not make the
probe wait for ``pool_timeout``). It opens its own short-lived async psycopg connection with
``connect_timeout=1`` and the whole check runs under a hard 1 s ``asyncio`` deadline, so a
paused or black-holed server cannot hang the probe either.

Schema status mirrors ``MigrationContext.get_current_heads()`` (the rows of
``alembic_version``), compared with the script heads loaded once when the checker is built:

* current == heads, or current contains a revision this code does not know -> ready. The
  unknown case means a newer release already migrated during a rolling update: old pods stay
  ready and a warning is logged.
* otherwise (no version table, or an older known revision) -> 503 "migrations pending".

Results are cached for ``ttl`` seconds (per worker) and concurrent probes share one check.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

import psycopg
import structlog

from sports_analytics.config import Settings
from sports_analytics.db.engine import libpq_conninfo
from sports_analytics.db.errors import db_error_reason
from sports_analytics.db.migrate import known_revisions, script_heads

log = structlog.get_logger(__name__)

UNREACHABLE = "database unreachable"
PENDING = "migrations pending"
REPLICA_UNREACHABLE = "read replica unreachable"


@dataclass(frozen=True)
class Readiness:
    ready: bool
    detail: str | None = None
    checks: dict[str, str] = field(default_factory=dict)

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"status": "ready" if self.ready else "unavailable"}
        if self.detail:
            body["detail"] = self.detail
        body["checks"] = self.checks
        return body


_VERSION_SQL = (
    "SELECT version_num FROM alembic_version"
)
_HAS_TABLE_SQL = "SELECT to_regclass('alembic_version') IS NOT NULL"


class ReadinessChecker:
    def __init__(self, settings: Settings, *, timeout: float = 1.0, ttl: float = 1.0) -> None:
        self._conninfo = libpq_conninfo(settings)
        # DATABASE_READ_URL: the data routes read there, so it must answer too.
        self._replica_conninfo = (libpq_conninfo(settings, replica=True)
                                  if settings.sqlalchemy_read_url is not None else None)
        self._timeout = timeout
        self._ttl = ttl
        # Loaded once, at startup: the probe never reads the migration scripts again.
        self.heads = script_heads()
        self.known = known_revisions()
        self._cached: Readiness | None = None
        self._cached_at = 0.0
        self._lock: asyncio.Lock | None = None
        self._last_state: str | None = None

    async def check(self) -> Readiness:
        now = time.monotonic()
        if self._cached is not None and now - self._cached_at < self._ttl:
            return self._cached
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if self._cached is not None and time.monotonic() - self._cached_at < self._ttl:
                return self._cached
            result = await self._run()
            self._cached, self._cached_at = result, time.monotonic()
            return result

    async def _run(self) -> Readiness:
        started = time.monotonic()
        try:
            current = await asyncio.wait_for(self._current_revisions(), self._timeout)
        except (TimeoutError, OSError, psycopg.Error) as exc:
            reason = db_error_reason(exc)
            self._transition("unreachable", log.warning, "readiness: database unreachable",
                             reason=reason)
            return Readiness(False, UNREACHABLE,
                             {"database": "unreachable", "migrations": "unknown"})
        elapsed_ms = round((time.monotonic() - started) * 1000, 1)
        result = self._evaluate(current, elapsed_ms)
        if self._replica_conninfo is None:
            return result
        left = max(0.1, self._timeout - (time.monotonic() - started))
        try:
            await asyncio.wait_for(self._ping(self._replica_conninfo), left)
        except (TimeoutError, OSError, psycopg.Error) as exc:
            self._transition("replica", log.warning, "readiness: read replica unreachable",
                             reason=db_error_reason(exc))
            return Readiness(False, REPLICA_UNREACHABLE,
                             {**result.checks, "replica": "unreachable"})
        return Readiness(result.ready, result.detail, {**result.checks, "replica": "ok"})

    async def _ping(self, conninfo: str) -> None:
        conn = await psycopg.AsyncConnection.connect(
            conninfo, connect_timeout=max(1, int(self._timeout)), autocommit=True,
            application_name="sports-analytics-readyz")
        try:
            await conn.execute("SELECT 1")
        finally:
            await conn.close()

    def _evaluate(self, current: frozenset[str], elapsed_ms: float) -> Readiness:
        if current == self.heads:
            self._transition("ready", log.info, "readiness: ready", revision=sorted(current),
                             check_ms=elapsed_ms)
            return Readiness(True, None, {"database": "ok", "migrations": "ok"})
        unknown = current - self.known
        if unknown:
            self._transition("ahead", log.warning,
                             "readiness: database schema is at a revision this release does not "
                             "know (a newer release migrated it); staying ready",
                             revision=sorted(current), code_heads=sorted(self.heads))
            return Readiness(True, None, {"database": "ok", "migrations": "ahead"})
        self._transition("pending", log.warning, "readiness: migrations pending",
                         revision=sorted(current), code_heads=sorted(self.heads))
        return Readiness(False, PENDING, {"database": "ok", "migrations": "pending"})

    def _transition(self, state: str, emit: Any, event: str, **fields: Any) -> None:
        """Log on state changes only: probes every few seconds must not flood the log."""
        if state != self._last_state:
            self._last_state = state
            emit(event, **fields)

    async def _current_revisions(self) -> frozenset[str]:
        conn = await psycopg.AsyncConnection.connect(
            self._conninfo,
            connect_timeout=max(1, int(self._timeout)),
            autocommit=True,
            application_name="sports-analytics-readyz",
        )
        try:
            cur = await conn.execute(_HAS_TABLE_SQL)
            row = await cur.fetchone()
            if not row or not row[0]:
                return frozenset()
            cur = await conn.execute(_VERSION_SQL)
            return frozenset(r[0] for r in await cur.fetchall())
        finally:
            await conn.close()

