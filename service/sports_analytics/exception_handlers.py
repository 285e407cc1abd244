"""The API's exception handlers, installed by :func:`add_exception_handlers`.

Every error body has one shape, ``{"detail": "<message>"}`` (FastAPI's, which request
validation errors also use, with a list of problems). A :class:`SportsAnalyticsError` answers
with its own status and headers. Database failures (unreachable, pool exhausted, statement or
lock timeout, a connection lost mid-query) all become **503** ``{"detail": "database
unavailable"}`` with ``Retry-After``: to a client a statement timeout is the same condition as
an outage, "the database cannot answer right now, retry", and one status keeps dashboards and
retry policies simple. The log line says which one it was (``reason``).

The HTML pages (pages/) get the same statuses and headers with a readable HTML page instead of
the JSON body. A browser that asks for a path no route has (outside ``/api/``) gets an HTML 404
page too; every other client keeps FastAPI's JSON ``{"detail": "Not Found"}``.
"""

from __future__ import annotations

import orjson
import psycopg
import structlog
from fastapi import FastAPI
from fastapi.exception_handlers import http_exception_handler
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from sports_analytics.db.errors import db_error_reason, outage_kind
from sports_analytics.exceptions import DatabaseUnavailable, NotFound, SportsAnalyticsError
from sports_analytics.pages.errors import is_page_request, page_error, wants_html

log = structlog.get_logger(__name__)

_OUTAGE_ERRORS = (OperationalError, InterfaceError, PoolTimeoutError,
                  psycopg.OperationalError, psycopg.InterfaceError)


def error_response(exc: SportsAnalyticsError) -> Response:
    return Response(orjson.dumps({"detail": exc.message}), status_code=exc.status_code,
                    media_type="application/json", headers=exc.headers)


async def sports_analytics_error(request: Request, exc: Exception) -> Response:
    # The code that raised it has logged the cause (the read pool logs each database failure).
    assert isinstance(exc, SportsAnalyticsError)
    if is_page_request(request):
        return page_error(request, exc)
    return error_response(exc)


async def database_error(request: Request, exc: Exception) -> Response:
    """A driver or pool error from the SQLAlchemy side: the database is unavailable."""
    log.warning(
        "database unavailable",
        reason=outage_kind(exc),
        error_type=type(getattr(exc, "orig", None) or exc).__name__,
        error=db_error_reason(exc),
        path=request.url.path,
    )
    if is_page_request(request):
        return page_error(request, DatabaseUnavailable())
    return error_response(DatabaseUnavailable())


async def dbapi_error(request: Request, exc: Exception) -> Response:
    """Other DBAPI errors: a lost connection is an outage (503); anything else is a bug (500)."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return await database_error(request, exc)
    raise exc


async def http_error(request: Request, exc: Exception) -> Response:
    """FastAPI's answer, except a browser's unknown path: the HTML 404 page."""
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404 and "route" not in request.scope and wants_html(request):
        return page_error(request, NotFound("There is no page at this address."))
    return await http_exception_handler(request, exc)


def add_exception_handlers(app: FastAPI) -> None:
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(SportsAnalyticsError, sports_analytics_error)
    for exc_type in _OUTAGE_ERRORS:
        app.add_exception_handler(exc_type, database_error)
    app.add_exception_handler(DBAPIError, dbapi_error)
