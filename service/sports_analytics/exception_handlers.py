"""Every error answer of the service, installed by :func:`add_exception_handlers`.

The API's error bodies have one shape, ``{"detail": "<message>"}`` (FastAPI's, which request
validation errors also use, with a list of problems). A :class:`SportsAnalyticsError` answers
with its own status and headers. Database failures (unreachable, pool exhausted, statement or
lock timeout, a connection lost mid-query) all become **503** ``{"detail": "database
unavailable"}`` with ``Retry-After``: to a client a statement timeout is the same condition as
an outage, "the database cannot answer right now, retry", and one status keeps dashboards and
retry policies simple. The log line says which one it was (``reason``). Any other exception is
a **500** that carries the request id (:func:`unexpected_error`, called by the middleware that
logs the traceback); the traceback is never sent.

HTML or JSON is decided here and nowhere else (:func:`answers_with_html`), by the room the
address belongs to, not by the ``Accept`` header: the routes of the pages router, and addresses
no route serves outside ``/api/``, get the pages' HTML error page (same statuses and headers);
``/api/*`` and the other machine routes (``/healthz``, ``/metrics``, ``/openapi.json``, static
files) keep JSON. Why the room: an address then answers errors in one format whoever asks, so a
shared cache never needs ``Vary: Accept``, ``curl`` on a page shows what a browser shows, and a
script calling the API with ``Accept: */*`` or ``text/html`` still gets a body it can parse.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from typing import Any

import orjson
import psycopg
import structlog
from fastapi import FastAPI
from fastapi.exception_handlers import http_exception_handler, request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from sports_analytics.db.errors import db_error_reason, outage_kind
from sports_analytics.exceptions import DatabaseUnavailable, SportsAnalyticsError
from sports_analytics.pages.errors import PAGES_TAG, UNAVAILABLE, UNEXPECTED, page_error

log = structlog.get_logger(__name__)

_OUTAGE_ERRORS = (OperationalError, InterfaceError, PoolTimeoutError,
                  psycopg.OperationalError, psycopg.InterfaceError)
API_PREFIX = "/api/"
NO_PAGE = "There is no page at this address."


def answers_with_html(request: Request) -> bool:
    """Whether an error on this request is answered with the pages' HTML error page."""
    route = request.scope.get("route")
    if route is not None:
        return PAGES_TAG in (getattr(route, "tags", None) or ())
    root = str(request.scope.get("root_path", "")).rstrip("/")
    path = str(request.scope.get("path", "/")).removeprefix(root)
    return not path.startswith(API_PREFIX)


def _request_id() -> str | None:
    # Bound per request by the middleware (middleware.py), which also echoes it in X-Request-ID.
    value = structlog.contextvars.get_contextvars().get("request_id")
    return str(value) if value is not None else None


def json_error(status: int, detail: str, headers: Mapping[str, str] | None = None,
               **extra: str) -> Response:
    return Response(orjson.dumps({"detail": detail, **extra}), status_code=status,
                    media_type="application/json", headers=dict(headers or {}))


def error_response(request: Request, exc: SportsAnalyticsError) -> Response:
    if answers_with_html(request):
        message = UNAVAILABLE if isinstance(exc, DatabaseUnavailable) else exc.message
        return page_error(request, exc.status_code, message, _request_id(), exc.headers)
    return json_error(exc.status_code, exc.message, exc.headers)


async def sports_analytics_error(request: Request, exc: Exception) -> Response:
    # The code that raised it has logged the cause (the read pool logs each database failure).
    assert isinstance(exc, SportsAnalyticsError)
    return error_response(request, exc)


async def database_error(request: Request, exc: Exception) -> Response:
    """A driver or pool error from the SQLAlchemy side: the database is unavailable."""
    log.warning(
        "database unavailable",
        reason=outage_kind(exc),
        error_type=type(getattr(exc, "orig", None) or exc).__name__,
        error=db_error_reason(exc),
        path=request.url.path,
    )
    return error_response(request, DatabaseUnavailable())


async def dbapi_error(request: Request, exc: Exception) -> Response:
    """Other DBAPI errors: a lost connection is an outage (503); anything else is a bug (500)."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return await database_error(request, exc)
    raise exc


async def http_error(request: Request, exc: Exception) -> Response:
    """Starlette's errors: an unknown address (404), a method the route lacks (405)."""
    assert isinstance(exc, HTTPException)
    if not answers_with_html(request):
        return await http_exception_handler(request, exc)
    message = NO_PAGE if exc.status_code == 404 else str(exc.detail)
    return page_error(request, exc.status_code, message, _request_id(), exc.headers)


def _problem(error: Mapping[str, Any]) -> str:
    where = " ".join(str(part) for part in error.get("loc", ()))
    return f"{where}: {error.get('msg', 'invalid')}"


async def validation_error(request: Request, exc: Exception) -> Response:
    """A parameter FastAPI could not parse: 422, with each problem named."""
    assert isinstance(exc, RequestValidationError)
    if not answers_with_html(request):
        return await request_validation_exception_handler(request, exc)
    message = "; ".join(_problem(e) for e in exc.errors()) or "invalid request"
    return page_error(request, 422, message, _request_id())


def unexpected_error(scope: MutableMapping[str, Any], request_id: str) -> Response:
    """The 500 for an exception no handler took; the middleware has logged its traceback."""
    request = Request(scope)
    if answers_with_html(request):
        try:
            return page_error(request, 500, UNEXPECTED, request_id)
        except Exception:  # the error page itself failed: the plain JSON body still says 500
            log.exception("error page failed", path=request.url.path)
    return json_error(500, "internal server error", request_id=request_id)


def add_exception_handlers(app: FastAPI) -> None:
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(SportsAnalyticsError, sports_analytics_error)
    for exc_type in _OUTAGE_ERRORS:
        app.add_exception_handler(exc_type, database_error)
    app.add_exception_handler(DBAPIError, dbapi_error)
