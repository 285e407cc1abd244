"""What a database error says, safely: the driver's first line, and the kind of outage.

The first line of a psycopg/libpq message names what failed ("connection refused", "password
authentication failed for user ...") without the SQL text or its parameters, which follow on
later lines. Every log line and user-facing message about a database error uses these.
"""

from __future__ import annotations

import psycopg
from sqlalchemy.exc import TimeoutError as PoolTimeoutError


def db_error_reason(exc: BaseException) -> str:
    """The first line of the driver's message (the wrapped DBAPI error for SQLAlchemy's)."""
    if isinstance(exc, TimeoutError):
        return "timed out"
    orig = getattr(exc, "orig", None) or exc
    lines = str(orig).strip().splitlines()
    return lines[0] if lines else type(orig).__name__


def outage_kind(exc: BaseException) -> str:
    """Why a request found the database unavailable, for the log line's ``reason``."""
    orig = getattr(exc, "orig", None) or exc
    if isinstance(orig, psycopg.errors.QueryCanceled):
        return "statement timeout"
    if isinstance(orig, psycopg.errors.LockNotAvailable):
        return "lock timeout"
    if isinstance(exc, PoolTimeoutError):
        return "connection pool exhausted"
    return "connection failed"
