"""The service's errors: one hierarchy for the API and the CLI.

Every error carries what both sides need: the HTTP ``status_code`` and ``headers`` the API
answers with (see :mod:`sports_analytics.exception_handlers`), a stable ``error_type`` that log
lines and dashboards key on, and the ``exit_code`` of a CLI command that fails with it. The
message is safe to show a user: one line, no secrets, no SQL.

CLI exit codes: 2 configuration, 3 database unavailable, 64 an argument out of range
(``EX_USAGE``), 65 bad input data (``EX_DATAERR``), 69 the NBA stats API unavailable
(``EX_UNAVAILABLE``), 1 anything else.
"""

from __future__ import annotations

from typing import ClassVar

from starlette.exceptions import HTTPException


class SportsAnalyticsError(Exception):
    """Base class: a failure with a message that may be shown to a user as it is."""

    status_code: ClassVar[int] = 500
    error_type: ClassVar[str] = "internal_error"
    exit_code: ClassVar[int] = 1
    default_message: ClassVar[str] = "internal server error"

    def __init__(self, message: str | None = None) -> None:
        self.message = message or self.default_message
        super().__init__(self.message)

    @property
    def headers(self) -> dict[str, str]:
        return {}


class CommandFailed(SportsAnalyticsError):
    """A CLI command could not do its work (for example: there are no games to process)."""

    error_type = "command_failed"
    default_message = "command failed"


class UsageError(SportsAnalyticsError):
    """A command-line argument out of range (``EX_USAGE``); the message names the flag."""

    status_code = 400
    error_type = "usage_error"
    exit_code = 64  # EX_USAGE
    default_message = "invalid command-line usage"


class ConfigError(SportsAnalyticsError, ValueError):
    """A configuration problem. The message names the variable, never its value.

    Also a ``ValueError``, so that pydantic reports it from a settings validator.
    """

    error_type = "config_error"
    exit_code = 2
    default_message = "invalid configuration"


class DatabaseUnavailable(SportsAnalyticsError):
    """The database cannot answer right now: unreachable, pool exhausted, timed out."""

    status_code = 503
    error_type = "database_unavailable"
    exit_code = 3
    default_message = "database unavailable"
    retry_after_seconds: ClassVar[int] = 1

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after_seconds)}


class BadData(SportsAnalyticsError):
    """Input data that cannot be accepted: a malformed file, a row that breaks a rule."""

    status_code = 422
    error_type = "bad_data"
    exit_code = 65  # EX_DATAERR
    default_message = "bad data"


class IngestError(BadData):
    """A problem with an input file; the message starts with ``<file>:<line>:``."""

    error_type = "ingest_error"


class UpstreamError(SportsAnalyticsError):
    """The NBA stats API failed or answered with something unusable; names the endpoint."""

    error_type = "upstream_unavailable"
    exit_code = 69  # EX_UNAVAILABLE

    def __init__(self, endpoint: str, reason: str) -> None:
        super().__init__(f"{endpoint}: {reason}")
        self.endpoint = endpoint
        self.reason = reason


class UpstreamDataError(UpstreamError):
    """The stats API answered, but with data that fails validation."""

    error_type = "upstream_bad_data"
    exit_code = 65  # EX_DATAERR


class NotFound(SportsAnalyticsError):
    """The requested resource does not exist."""

    status_code = 404
    error_type = "not_found"
    default_message = "not found"


class InvalidParameter(SportsAnalyticsError):
    """A query parameter a page cannot use (a malformed date or season); the message says why.

    422, the status the API answers for the same parameter (FastAPI's request validation).
    """

    status_code = 422
    error_type = "invalid_parameter"
    default_message = "invalid parameter"


class GameNotFound(NotFound):
    def __init__(self, game_id: int) -> None:
        self.game_id = game_id
        super().__init__(f"game {game_id} not found")


class BodyTooLarge(HTTPException):
    """A request body over ``MAX_BODY_BYTES``, raised from ``receive`` while FastAPI reads it.

    An ``HTTPException`` rather than a :class:`SportsAnalyticsError`: FastAPI's body parsing
    re-raises only those (anything else becomes a 400), and it renders as 413.
    """

    error_type: ClassVar[str] = "body_too_large"

    def __init__(self) -> None:
        super().__init__(status_code=413, detail="request body too large")
