"""Security headers on every response: a strict Content-Security-Policy and friends.

The policy allows only this origin: no CDN, no web font, no remote image, no inline or
evaluated script (the pages and the API documentation load their scripts from ``/static/``).
The pages' styles come from one stylesheet, so ``style-src`` is ``'self'`` too. Swagger UI
and ReDoc build their styles at run time (``style`` attributes and injected ``<style>``
elements), and ReDoc runs its search index in a ``blob:`` worker, so the two documentation
pages get those two allowances and nothing else. JSON bodies carry the same headers: they
cost nothing there, and a browser that opens an API URL directly treats it the same way.

A pure ASGI middleware: the header list is built once and appended to ``http.response.start``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_BASE = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
_DOCS = {**_BASE, "style-src": "'self' 'unsafe-inline'", "worker-src": "'self' blob:"}
DOCS_PATHS = frozenset({"/docs", "/redoc"})


def policy(directives: dict[str, str]) -> str:
    return "; ".join(f"{k} {v}" for k, v in directives.items())


PAGE_POLICY = policy(_BASE)
DOCS_POLICY = policy(_DOCS)


def _headers(csp: str) -> list[tuple[bytes, bytes]]:
    return [(b"content-security-policy", csp.encode()),
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"no-referrer"),
            (b"x-frame-options", b"DENY"),
            (b"cross-origin-opener-policy", b"same-origin")]


_PAGE_HEADERS = _headers(PAGE_POLICY)
_DOCS_HEADERS = _headers(DOCS_POLICY)


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        root = scope.get("root_path", "")
        path = scope["path"].removeprefix(root) if root else scope["path"]
        extra = _DOCS_HEADERS if path in DOCS_PATHS else _PAGE_HEADERS

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)
