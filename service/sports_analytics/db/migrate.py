"""Schema migrations under a PostgreSQL advisory lock.

Several copies (replicas, a Job retried by Kubernetes, three Compose containers) may start
at once: each waits for the session-level advisory lock, then finds the schema at head and
does nothing. The lock is committed right after it is taken; otherwise Alembic would see an
open "external" transaction, skip its own, and the migrations would silently not persist.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import lru_cache

import structlog
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.exc import DBAPIError, OperationalError

from sports_analytics.config import Settings
from sports_analytics.db.errors import db_error_reason
from sports_analytics.db.writes import LockKey
from sports_analytics.exceptions import CommandFailed, DatabaseUnavailable

log = structlog.get_logger(__name__)

LOCK_WAIT_SECONDS = 600


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", "sports_analytics:migrations")
    return cfg


@lru_cache
def script_heads() -> frozenset[str]:
    return frozenset(ScriptDirectory.from_config(alembic_config()).get_heads())


@lru_cache
def known_revisions() -> frozenset[str]:
    script = ScriptDirectory.from_config(alembic_config())
    return frozenset(rev.revision for rev in script.walk_revisions())


def current_revisions(conn: Connection) -> frozenset[str]:
    return frozenset(MigrationContext.configure(conn).get_current_heads())


def migration_engine(settings: Settings) -> Engine:
    """No statement timeout: a migration may legitimately run long. Connects fail fast."""
    return create_engine(
        settings.sqlalchemy_url,
        pool_pre_ping=True,
        pool_size=1,
        max_overflow=0,
        connect_args={
            "connect_timeout": settings.db_connect_timeout_seconds,
            "application_name": "sports-analytics-migrate",
        },
    )


def wait_for_database(engine: Engine, wait_seconds: float) -> None:
    deadline = time.monotonic() + wait_seconds
    attempt = 0
    while True:
        attempt += 1
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            return
        except OperationalError as exc:
            reason = db_error_reason(exc)
            if _is_permanent(exc):
                raise DatabaseUnavailable(f"database refused the connection: {reason}") from None
            if time.monotonic() >= deadline:
                raise DatabaseUnavailable(
                    f"database unreachable after {wait_seconds:g}s: {reason}"
                ) from None
            log.warning("database not ready, retrying", attempt=attempt, reason=reason)
            time.sleep(min(2.0, 0.25 * attempt))


# Waiting cannot fix these: a wrong password, user or database name, a pg_hba rule, or a TLS
# setting that can never verify the server (wrong CA bundle, host name, missing bundle file).
_PERMANENT_CONNECT_ERRORS = (
    "password authentication failed",
    "no password supplied",
    "does not exist",
    "no pg_hba.conf entry",
    "pg_hba.conf rejects connection",
    "certificate verify failed",
    "does not match host name",
    "root certificate file",
)


def _is_permanent(exc: DBAPIError) -> bool:
    message = str(exc.orig)
    return any(marker in message for marker in _PERMANENT_CONNECT_ERRORS)


def _locked(settings: Settings, action: Callable[[Connection], None]) -> None:
    engine = migration_engine(settings)
    try:
        wait_for_database(engine, settings.db_wait_seconds)
        with engine.connect() as conn:
            conn.execute(text(f"SET lock_timeout = '{LOCK_WAIT_SECONDS}s'"))
            started = time.monotonic()
            conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": LockKey.MIGRATION})
            conn.execute(text("RESET lock_timeout"))
            conn.commit()
            log.info("migration lock acquired", waited_s=round(time.monotonic() - started, 3))
            try:
                action(conn)
            finally:
                conn.rollback()
                conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": LockKey.MIGRATION})
                conn.commit()
    except DBAPIError as exc:
        raise CommandFailed(f"migration failed: {db_error_reason(exc)}") from None
    finally:
        engine.dispose()


def _run(conn: Connection, fn: Callable[..., None], revision: str) -> None:
    cfg = alembic_config()
    cfg.attributes["connection"] = conn
    before = current_revisions(conn)
    conn.commit()  # Alembic must start its own transaction, not inherit this read's
    fn(cfg, revision)
    after = current_revisions(conn)
    log.info("migrations applied" if before != after else "schema already current",
             revision_from=sorted(before), revision_to=sorted(after))


def upgrade(settings: Settings, revision: str = "head") -> None:
    _locked(settings, lambda conn: _run(conn, command.upgrade, revision))


def downgrade(settings: Settings, revision: str) -> None:
    _locked(settings, lambda conn: _run(conn, command.downgrade, revision))
