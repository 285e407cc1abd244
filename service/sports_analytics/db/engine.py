"""Engine construction: timeouts and pool settings live here and nowhere else."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, create_engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import sessionmaker

from sports_analytics.config import Settings
from sports_analytics.db.deadline import install_deadlines
from sports_analytics.errors import UserFacingError


def db_error_reason(exc: DBAPIError) -> str:
    """The driver's first line: says what failed without the SQL or its parameters."""
    return str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__


@contextmanager
def command_engine(settings: Settings, *, application_name: str, failure: str) -> Iterator[Engine]:
    """An engine for one CLI command: disposed afterwards, database errors become one line."""
    engine = make_engine(settings, application_name=application_name)
    try:
        yield engine
    except DBAPIError as exc:
        raise UserFacingError(f"{failure}: {db_error_reason(exc)}") from None
    finally:
        engine.dispose()


def make_engine(settings: Settings, *, application_name: str = "sports-analytics") -> Engine:
    options = (
        f"-c statement_timeout={settings.db_statement_timeout_ms} "
        f"-c lock_timeout={settings.db_statement_timeout_ms} "
        "-c idle_in_transaction_session_timeout=60000"
    )
    engine = create_engine(
        settings.sqlalchemy_url,
        pool_pre_ping=True,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout=settings.db_pool_timeout_seconds,
        pool_recycle=1800,
        connect_args={
            "connect_timeout": settings.db_connect_timeout_seconds,
            "application_name": application_name,
            "options": options,
        },
    )
    # Client-side deadlines: a server that stops answering must not hang a request forever.
    install_deadlines(engine, statement_timeout_ms=settings.db_statement_timeout_ms,
                      connect_timeout_s=settings.db_connect_timeout_seconds)
    return engine


def make_sessionmaker(engine: Engine) -> sessionmaker:
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=False)
