"""Errors on the pages: a readable HTML page with the right status, never a traceback.

The exception handlers (exception_handlers.py) ask :func:`is_page_request`; the routes of the
pages router (tag ``pages``) get HTML, everything else keeps the JSON body.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response

from sports_analytics.exceptions import SportsAnalyticsError
from sports_analytics.pages.rendering import html_error

PAGES_TAG = "pages"

_TITLES = {400: "Bad request", 404: "Not found", 503: "Temporarily unavailable"}
_UNAVAILABLE = ("The database is not answering right now, so this page cannot be shown. "
                "It usually comes back within seconds: reload the page.")


def is_page_request(request: Request) -> bool:
    route = request.scope.get("route")
    return PAGES_TAG in (getattr(route, "tags", None) or ())


def wants_html(request: Request) -> bool:
    """A browser navigating outside the API: it asks for HTML first."""
    return (not request.url.path.startswith("/api/")
            and "text/html" in request.headers.get("accept", ""))


def page_error(request: Request, exc: SportsAnalyticsError) -> Response:
    status = exc.status_code
    message = _UNAVAILABLE if status == 503 else exc.message
    return html_error(request, status, _TITLES.get(status, "Error"), message, exc.headers)
