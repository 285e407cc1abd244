"""Request id, access log, metrics and body-size limit.

:class:`ObservabilityMiddleware` is a pure ASGI middleware (``BaseHTTPMiddleware`` costs a task
and a stream per request). Per HTTP request it:

* takes ``X-Request-ID`` from the request when it is printable ASCII of at most 128 characters,
  otherwise generates one; echoes it in the response and binds it to every log line
  (``clear_contextvars`` + ``bind_contextvars``);
* rejects bodies larger than ``MAX_BODY_BYTES`` with 413 (by ``Content-Length`` up front, and
  by counting for chunked uploads);
* records ``http_requests_total``, ``http_request_duration_seconds`` and
  ``http_requests_in_progress`` labelled by the route *template* (``<unmatched>`` when no route
  matched), so label cardinality stays bounded whatever paths clients send;
* writes one access line: method, route, path, status, duration_ms;
* answers ``HEAD`` on every ``GET`` route: the route runs as ``GET`` and the body is dropped
  (headers, ``Content-Length`` included, are the ``GET`` response's);
* turns an unhandled exception into a 500 carrying the request id (the traceback is logged,
  never sent): JSON, or the pages' HTML error page (exception_handlers.py decides which).

Errors raised by routes are answered by the handlers in
:mod:`sports_analytics.exception_handlers`.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import orjson
import structlog
from fastapi import FastAPI

from sports_analytics import __version__
from sports_analytics import metrics as prom
from sports_analytics.config import Settings
from sports_analytics.exception_handlers import unexpected_error
from sports_analytics.exceptions import BodyTooLarge
from sports_analytics.logging import access

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

log = structlog.get_logger(__name__)

UNMATCHED = "<unmatched>"
_VALID_REQUEST_ID = re.compile(rb"[\x20-\x7e]{1,128}")
_JSON = (b"content-type", b"application/json")


def _read_headers(scope: Scope) -> tuple[str, int, bool]:
    """The request id (the client's when valid, else a new one), Content-Length, chunked."""
    request_id: str | None = None
    content_length = -1
    chunked = False
    for name, value in scope["headers"]:
        if name == b"x-request-id":
            if _VALID_REQUEST_ID.fullmatch(value):
                request_id = value.decode("ascii")
        elif name == b"content-length":
            try:
                content_length = int(value)
            except ValueError:
                content_length = -1
        elif name == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
    return request_id or os.urandom(16).hex(), content_length, chunked


class ObservabilityMiddleware:
    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        # Label children cached by key: .labels() takes a lock and validates every call.
        self._counters: dict[tuple[str, str, int], Any] = {}
        self._histograms: dict[tuple[str, str], Any] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        start = time.perf_counter()
        method = scope["method"]
        request_id, content_length, chunked = _read_headers(scope)
        rid_bytes = request_id.encode("ascii")
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        # HEAD is answered as GET without the body (every GET route answers HEAD). The app gets
        # a copy of the scope: the server's own must keep saying HEAD.
        inner = dict(scope, method="GET") if method == "HEAD" else scope

        status = 0
        response_started = False

        async def send_wrapper(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                status = message["status"]
                response_started = True
                headers = list(message.get("headers", ()))
                headers.append((b"x-request-id", rid_bytes))
                message["headers"] = headers
            elif method == "HEAD" and message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        receive_fn = self._counting_receive(receive) if chunked else receive
        prom.http_requests_in_progress.inc()
        try:
            if content_length > self.max_body_bytes:
                await self._send_error(send_wrapper, 413, "request body too large")
            else:
                await self.app(inner, receive_fn, send_wrapper)
        except BodyTooLarge:
            if response_started:
                raise
            await self._send_error(send_wrapper, 413, "request body too large")
        except Exception:
            log.exception("unhandled exception", method=method, path=scope["path"])
            if response_started:
                raise
            response = unexpected_error(inner, request_id)
            await response(inner, receive, send_wrapper)
        finally:
            prom.http_requests_in_progress.dec()
            route = getattr(inner.get("route"), "path", None) or UNMATCHED
            self._record(method, route, scope["path"], status or 500, time.perf_counter() - start)

    def _record(self, method: str, route: str, path: str, status: int, duration: float) -> None:
        """Metrics and the access line for one request."""
        key = (method, route, status)
        counter = self._counters.get(key)
        if counter is None:
            counter = prom.http_requests_total.labels(method, route, str(status))
            self._counters[key] = counter
        counter.inc()
        hkey = (method, route)
        hist = self._histograms.get(hkey)
        if hist is None:
            hist = prom.http_request_duration_seconds.labels(method, route)
            self._histograms[hkey] = hist
        hist.observe(duration)
        access(method, route, path, status, round(duration * 1000, 2))

    def _counting_receive(self, receive: Receive) -> Receive:
        received = 0
        limit = self.max_body_bytes

        async def wrapped() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge()
            return message

        return wrapped

    @staticmethod
    async def _send_error(send: Send, status: int, detail: str) -> None:
        body = orjson.dumps({"detail": detail})
        await send({
            "type": "http.response.start",
            "status": status,
            "headers": [_JSON, (b"content-length", str(len(body)).encode())],
        })
        await send({"type": "http.response.body", "body": body})


def install_middleware(app: FastAPI, settings: Settings) -> None:
    app.add_middleware(ObservabilityMiddleware, max_body_bytes=settings.max_body_bytes)
    prom.set_build_info(settings.app_version or __version__, settings.git_sha)
