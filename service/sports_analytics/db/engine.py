"""Engine construction: timeouts and pool settings live here and nowhere else."""

from __future__ import annotations

from sqlalchemy import Engine, create_engine
from sqlalchemy.exc import DBAPIError

from sports_analytics.config import Settings
from sports_analytics.db.deadline import install_deadlines

JOB_DEADLINE_SETTING = "JOB_STATEMENT_TIMEOUT_MS"


def job_deadline_message(settings: Settings) -> str:
    """What a batch command says when one of its statements ran out of time."""
    return (f"a statement exceeded the batch deadline of {settings.job_statement_timeout_ms} ms; "
            f"raise {JOB_DEADLINE_SETTING} to allow longer runs")


def is_deadline_error(exc: DBAPIError) -> bool:
    """statement_timeout / lock_timeout cancellations (SQLSTATE 57014, 55P03)."""
    return getattr(exc.orig, "sqlstate", None) in ("57014", "55P03")


def make_job_engine(settings: Settings, *, application_name: str) -> Engine:
    """An engine for batch work: statement and lock deadlines from JOB_STATEMENT_TIMEOUT_MS."""
    return make_engine(settings, application_name=application_name,
                       statement_timeout_ms=settings.job_statement_timeout_ms)


def make_engine(settings: Settings, *, application_name: str = "sports-analytics",
                statement_timeout_ms: int | None = None, replica: bool = False) -> Engine:
    """``replica``: connect to DATABASE_READ_URL (read-only routes), if one is configured."""
    timeout_ms = statement_timeout_ms or settings.db_statement_timeout_ms
    # A batch transaction may compute in Python between statements for a while.
    idle_ms = max(60_000, timeout_ms) if statement_timeout_ms else 60_000
    options = (
        f"-c statement_timeout={timeout_ms} "
        f"-c lock_timeout={timeout_ms} "
        f"-c idle_in_transaction_session_timeout={idle_ms}"
    )
    if replica and settings.sqlalchemy_read_url is not None:
        options += " -c default_transaction_read_only=on"
    url = (settings.sqlalchemy_read_url if replica else None) or settings.sqlalchemy_url
    engine = create_engine(
        url,
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
    install_deadlines(engine, statement_timeout_ms=timeout_ms,
                      connect_timeout_s=settings.db_connect_timeout_seconds)
    return engine


def libpq_conninfo(settings: Settings, *, replica: bool = False) -> str:
    """The settings' database URL in the form libpq/psycopg accept (no SQLAlchemy driver).

    ``replica``: the read replica (DATABASE_READ_URL) when one is configured."""
    url = (settings.sqlalchemy_read_url if replica else None) or settings.sqlalchemy_url
    return url.set(drivername="postgresql").render_as_string(hide_password=False)
