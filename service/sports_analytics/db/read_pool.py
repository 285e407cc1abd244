"""The read-only connection pool of the data routes: one query, one round trip, bytes out.

Each worker keeps a small pool of psycopg ``AsyncConnection`` objects in autocommit mode, so a
request costs exactly one round trip: no pool pre-ping, no BEGIN/ROLLBACK, and psycopg prepares
the statement after a few executions. The routes' queries return ``json_build_object(...)::text``,
which goes to the client as-is; Python never builds dicts for the response.

A connection that breaks (server restart, network) is dropped and the query retried once on a
fresh connection, which is what ``pool_pre_ping`` would buy without paying for it on every
request. When the database cannot be reached :class:`DatabaseUnavailable` is raised (the API
answers 503 with ``Retry-After``).

The pool is built in the application's lifespan and closed on shutdown.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Mapping
from typing import Any

import psycopg
import structlog

from sports_analytics.config import Settings
from sports_analytics.db.engine import libpq_conninfo
from sports_analytics.db.errors import db_error_reason
from sports_analytics.exceptions import DatabaseUnavailable

log = structlog.get_logger(__name__)


class ReadPool:
    """A small asyncio pool of read-only psycopg connections for single-statement queries."""

    def __init__(self, settings: Settings, size: int | None = None) -> None:
        # The read replica when DATABASE_READ_URL is set: every query here is read-only.
        self._conninfo = libpq_conninfo(settings, replica=True)
        self._connect_kwargs: dict[str, Any] = {
            "autocommit": True,
            "connect_timeout": settings.db_connect_timeout_seconds,
            "application_name": "sports-analytics-api",
            "options": f"-c statement_timeout={settings.db_statement_timeout_ms} "
                       "-c default_transaction_read_only=on",
        }
        self.size = size or settings.db_pool_size
        self._acquire_timeout = settings.db_pool_timeout_seconds
        # statement_timeout is enforced by the server; a frozen server (SIGSTOP, a paused
        # container, a dead network path) enforces nothing, so the client bounds the wait too.
        self._query_timeout = settings.db_statement_timeout_ms / 1000 + 1.0
        self._idle: list[psycopg.AsyncConnection] = []
        self._sem: asyncio.Semaphore | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.in_use = 0
        # Told +1 / -1 as queries take and give back a connection (the pool gauges).
        self.observer: Callable[[int], object] | None = None

    def _bind_loop(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        if self._loop is not loop or self._sem is None:
            # A new event loop (tests start one per client): connections of the old loop are
            # unusable there; forget them (their sockets close when garbage-collected).
            self._idle = []
            self._sem = asyncio.Semaphore(self.size)
            self._loop = loop
        return self._sem

    async def _connect(self) -> psycopg.AsyncConnection:
        try:
            return await psycopg.AsyncConnection.connect(self._conninfo, **self._connect_kwargs)
        except psycopg.OperationalError as exc:
            log.warning("database connect failed", reason=db_error_reason(exc))
            raise DatabaseUnavailable() from None

    async def fetchrow(self, sql: str, params: Mapping[str, Any] | None = None) -> tuple | None:
        """Run one statement and return its first row (or None)."""
        sem = self._bind_loop()
        try:
            await asyncio.wait_for(sem.acquire(), self._acquire_timeout)
        except TimeoutError:
            log.warning("database pool exhausted", size=self.size)
            raise DatabaseUnavailable() from None
        self.in_use += 1
        if self.observer is not None:
            self.observer(1)
        try:
            for attempt in (1, 2):
                reused = bool(self._idle)
                conn = self._idle.pop() if reused else await self._connect()
                try:
                    row = await self._run_bounded(conn, sql, params)
                except psycopg.OperationalError as exc:
                    await _discard(conn)
                    if reused and attempt == 1 and conn.broken:
                        continue  # a stale pooled connection: retry once on a fresh one
                    log.warning("database query failed", reason=db_error_reason(exc))
                    raise DatabaseUnavailable() from None
                except DatabaseUnavailable:
                    raise  # timed out: the background query closes the connection itself
                except BaseException:
                    await _discard(conn)
                    raise
                self._idle.append(conn)
                return row
            raise DatabaseUnavailable()  # pragma: no cover - loop always returns or raises
        finally:
            self.in_use -= 1
            if self.observer is not None:
                self.observer(-1)
            sem.release()

    @staticmethod
    async def _run(conn: psycopg.AsyncConnection, sql: str,
                   params: Mapping[str, Any] | None) -> tuple | None:
        cur = await conn.execute(sql, params)
        return await cur.fetchone()

    async def _run_bounded(self, conn: psycopg.AsyncConnection, sql: str,
                           params: Mapping[str, Any] | None) -> tuple | None:
        """Run the query, giving up after ``_query_timeout`` without waiting for the server.

        Cancelling the await would make psycopg send a cancel request and wait for the
        server (seconds, on a frozen one). Instead the query is left to finish in the
        background on a connection that is no longer pooled, and closed when it does.
        """
        task = asyncio.ensure_future(self._run(conn, sql, params))
        try:
            done, _ = await asyncio.wait({task}, timeout=self._query_timeout)
        except BaseException:  # the request itself was cancelled (client went away)
            task.cancel()
            task.add_done_callback(_close_when_done(conn))
            raise
        if not done:
            task.add_done_callback(_close_when_done(conn))
            log.warning("database query timed out client-side", timeout_s=self._query_timeout)
            raise DatabaseUnavailable()
        return task.result()

    async def close(self) -> None:
        idle, self._idle = self._idle, []
        for conn in idle:
            await _discard(conn)


def _close_when_done(conn: psycopg.AsyncConnection) -> Any:
    def callback(task: asyncio.Future) -> None:
        if not task.cancelled():
            task.exception()  # retrieved, so asyncio does not log "never retrieved"
        closing = asyncio.ensure_future(_discard(conn))
        _background.add(closing)
        closing.add_done_callback(_background.discard)

    return callback


_background: set[asyncio.Future] = set()  # strong references until the closes finish


async def _discard(conn: psycopg.AsyncConnection) -> None:
    # Bounded: closing must not hang on a server that does not answer.
    with contextlib.suppress(Exception):  # already broken: nothing more to do
        await asyncio.wait_for(conn.close(), 1.0)
