"""The pages' error page: the site's layout, a plain message, the status and the request id.

Which requests get it, and which keep the API's JSON body, is decided in one place:
:mod:`sports_analytics.exception_handlers`. This module only says what the page says.
"""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import Request
from fastapi.responses import Response

from sports_analytics.pages.rendering import html_error

PAGES_TAG = "pages"

_TITLES = {
    400: "Bad request",
    404: "Not found",
    405: "Not allowed",
    422: "Invalid request",
    500: "Something went wrong",
    503: "Data temporarily unavailable",
}
UNAVAILABLE = ("The data are unavailable right now: the database is not answering, so this "
               "page cannot be shown. It usually comes back within seconds: reload the page.")
UNEXPECTED = ("This page could not be built because of an unexpected error on our side. "
              "It has been logged; if it keeps happening, report it with the request id below.")


def title_for(status: int) -> str:
    return _TITLES.get(status, "Error")


def page_error(request: Request, status: int, message: str, request_id: str | None,
               headers: Mapping[str, str] | None = None) -> Response:
    """The HTML error page; ``message`` must be safe to show (no SQL, no traceback)."""
    return html_error(request, status, title_for(status), message, request_id, dict(headers or {}))
