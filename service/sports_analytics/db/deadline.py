"""Client-side deadlines for the SQLAlchemy (sync psycopg) path.

``statement_timeout`` is enforced by the server, and libpq's ``connect_timeout`` only covers
connecting. A server that stops answering on an established connection (``docker pause``, a
SIGSTOPped postmaster, a network black hole: TCP still ACKs, nothing replies) would leave a
request blocked forever in the pool's pre-ping, in a query, or in the rollback that returns a
connection to the pool.

A per-process watchdog thread closes the gap: every statement, pre-ping and reset-on-return is
*armed* with a deadline and disarmed when it finishes. When a deadline passes, the watchdog
shuts the connection's socket down; the blocked call then fails at once with a disconnect
error, SQLAlchemy invalidates the connection, and the request answers 503 "database
unavailable" through the error handler. The server stays in charge in normal operation: the
statement deadline is ``statement_timeout`` plus a margin, so a healthy server always cancels a
slow query first.

The thread wakes every ``TICK`` seconds and scans the (pool-sized) table of armed connections;
arming and disarming are one dict operation each.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from typing import Any

import structlog
from sqlalchemy import Engine, event

log = structlog.get_logger(__name__)

TICK = 0.2
STATEMENT_MARGIN_S = 1.0


class Watchdog:
    def __init__(self) -> None:
        self._armed: dict[int, tuple[float, Any, str]] = {}
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._pid = 0
        self.severed = 0  # connections severed so far (a CLI command compares before/after)

    def arm(self, dbapi_conn: Any, seconds: float, what: str) -> None:
        self._ensure_thread()
        self._armed[id(dbapi_conn)] = (time.monotonic() + seconds, dbapi_conn, what)

    def disarm(self, dbapi_conn: Any) -> None:
        self._armed.pop(id(dbapi_conn), None)

    def _ensure_thread(self) -> None:
        pid = os.getpid()
        if self._pid == pid and self._thread is not None:
            return
        with self._lock:
            if self._pid == pid and self._thread is not None:
                return
            self._armed = {}  # a forked child must not act on the parent's connections
            self._thread = threading.Thread(target=self._run, name="db-deadline", daemon=True)
            self._thread.start()
            self._pid = pid

    def _run(self) -> None:
        while True:
            time.sleep(TICK)
            now = time.monotonic()
            for key, (deadline, conn, what) in list(self._armed.items()):
                if deadline <= now and self._armed.get(key, (None, None, None))[1] is conn:
                    self._armed.pop(key, None)
                    self.severed += 1
                    _sever(conn, what)


def _sever(dbapi_conn: Any, what: str) -> None:
    """Shut the socket down under the blocked call (the fd itself stays owned by libpq)."""
    try:
        fd = dbapi_conn.pgconn.socket
        dup = socket.socket(fileno=os.dup(fd))
    except Exception:  # already closed: nothing is blocked on it
        return
    try:
        dup.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    finally:
        dup.close()
    log.warning("database call exceeded its deadline; connection severed", operation=what)


WATCHDOG = Watchdog()


def install_deadlines(engine: Engine, *, statement_timeout_ms: int,
                      connect_timeout_s: float) -> None:
    """Arm statements, the pool's pre-ping and reset-on-return of ``engine`` with deadlines."""
    statement_s = statement_timeout_ms / 1000 + STATEMENT_MARGIN_S
    ping_s = float(connect_timeout_s)
    dog = WATCHDOG

    @event.listens_for(engine, "before_cursor_execute")
    def _before(conn: Any, cursor: Any, statement: str, params: Any, context: Any,
                executemany: bool) -> None:
        # executemany pipelines many statements in one call: each has the server's
        # statement_timeout, but their sum may legitimately exceed it (seed, ingest).
        if not executemany:
            dog.arm(cursor.connection, statement_s, "statement")

    @event.listens_for(engine, "after_cursor_execute")
    def _after(conn: Any, cursor: Any, statement: str, params: Any, context: Any,
               executemany: bool) -> None:
        dog.disarm(cursor.connection)

    @event.listens_for(engine, "handle_error")
    def _error(ctx: Any) -> None:
        cursor = getattr(ctx, "cursor", None)
        if cursor is not None:
            dog.disarm(cursor.connection)

    pool = engine.pool

    @event.listens_for(pool, "reset")
    def _reset(dbapi_conn: Any, record: Any, state: Any) -> None:
        dog.arm(dbapi_conn, ping_s, "reset")

    @event.listens_for(pool, "checkin")
    def _checkin(dbapi_conn: Any, record: Any) -> None:
        if dbapi_conn is not None:
            dog.disarm(dbapi_conn)

    @event.listens_for(pool, "checkout")
    def _checkout(dbapi_conn: Any, record: Any, proxy: Any) -> None:
        dog.disarm(dbapi_conn)

    dialect = engine.dialect
    original_ping = dialect.do_ping

    def do_ping(dbapi_conn: Any) -> bool:
        dog.arm(dbapi_conn, ping_s, "pre-ping")
        try:
            return original_ping(dbapi_conn)
        finally:
            dog.disarm(dbapi_conn)

    dialect.do_ping = do_ping  # type: ignore[method-assign,assignment]
