"""Structured logging: structlog for our own lines, the same formatter for everyone else's.

* JSON (one object per line) in production or when ``LOG_FORMAT=json``; a console renderer in
  development.
* Standard-library records (gunicorn.error, gunicorn.access, uvicorn.*, sqlalchemy, alembic, ...)
  go through :class:`structlog.stdlib.ProcessorFormatter` with a ``foreign_pre_chain``, so they
  come out in exactly the same shape. Every logger propagates to one root handler on stderr.
* ``merge_contextvars`` runs first, so the request id bound by the middleware is on every line
  logged while a request is handled.
* :func:`redact` masks any field whose name contains password, secret, key or token, and scrubs
  ``scheme://user:password@`` credentials and ``password=...`` pairs inside string values. It runs
  in the formatter's final chain, which every event (ours and foreign ones) passes through after
  exceptions are rendered, just before the renderer.
* :func:`gunicorn_logconfig_dict` is handed to gunicorn's ``logconfig_dict`` so that the master's
  own lines ("Starting gunicorn", "Booting worker", ...) are JSON too.
"""

from __future__ import annotations

import logging
import logging.config
import os
import re
import sys
import threading
from collections.abc import Callable, MutableMapping
from datetime import UTC, datetime
from typing import Any

import orjson
import structlog

from sports_analytics.config import Settings
from sports_analytics.telemetry import add_trace_ids

REDACTED = "***"
_SENSITIVE_NAME = re.compile(r"password|passwd|secret|key|token", re.IGNORECASE)
_URL_CREDENTIALS = re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://[^:/?#@\s]*):[^@\s/]*@")
_KV_PASSWORD = re.compile(
    r"(?i)\b(password|passwd|secret|token|api[_-]?key)(\s*[=:]\s*)('[^']*'|\"[^\"]*\"|[^\s,;&]+)"
)

# Loggers that must end up in our formatter (they propagate to the root handler).
ROUTED_LOGGERS = {
    "gunicorn": "INFO",
    "gunicorn.error": "INFO",
    "gunicorn.access": "INFO",
    "uvicorn": "INFO",
    "uvicorn.error": "INFO",
    # Our middleware writes the one access line per request; uvicorn's would duplicate it.
    "uvicorn.access": "WARNING",
    "sqlalchemy": "WARNING",
    "sqlalchemy.engine": "WARNING",
    "sqlalchemy.pool": "WARNING",
    "alembic": "INFO",
    "alembic.runtime.plugins": "WARNING",
    "httpx": "WARNING",
    "httpcore": "WARNING",
    "google_genai": "WARNING",
}

EventDict = MutableMapping[str, Any]


_KV_HINTS = ("passw", "secret", "token", "key")


def scrub_text(value: str) -> str:
    """Remove credentials from free text (DSNs in error messages, conninfo strings)."""
    if "@" in value and "://" in value:
        value = _URL_CREDENTIALS.sub(r"\1:" + REDACTED + "@", value)
    if ("=" in value or ":" in value) and any(h in value.lower() for h in _KV_HINTS):
        value = _KV_PASSWORD.sub(r"\1\2" + REDACTED, value)
    return value


_name_cache: dict[str, bool] = {}


def _is_sensitive(name: str) -> bool:
    hit = _name_cache.get(name)
    if hit is None:
        hit = bool(_SENSITIVE_NAME.search(name))
        if len(_name_cache) < 4096:
            _name_cache[name] = hit
    return hit


def _redact_value(value: Any, depth: int = 0) -> Any:
    if isinstance(value, str):
        return scrub_text(value)
    if depth < 4 and isinstance(value, dict):
        return {
            k: (REDACTED if isinstance(k, str) and _is_sensitive(k) else
                _redact_value(v, depth + 1))
            for k, v in value.items()
        }
    if depth < 4 and isinstance(value, list | tuple):
        return type(value)(_redact_value(v, depth + 1) for v in value)
    return value


def redact(logger: Any, method_name: str, event_dict: EventDict) -> EventDict:
    """Mask sensitive fields by name and credentials inside string values."""
    for key in list(event_dict):
        if key.startswith("_"):
            continue
        value = event_dict[key]
        if _is_sensitive(key):
            if value is not None:
                event_dict[key] = REDACTED
        elif isinstance(value, str):
            event_dict[key] = scrub_text(value)
        elif isinstance(value, dict | list | tuple):
            event_dict[key] = _redact_value(value)
    return event_dict


def drop_color_message(logger: Any, method_name: str, event_dict: EventDict) -> EventDict:
    """uvicorn attaches an ANSI-coloured duplicate of each message; never emit it."""
    event_dict.pop("color_message", None)
    return event_dict


def _add_process(logger: Any, method_name: str, event_dict: EventDict) -> EventDict:
    record = event_dict.get("_record")
    event_dict["pid"] = record.process if record is not None else os.getpid()
    return event_dict


def _json_dumps(obj: Any, **kw: Any) -> str:
    return orjson.dumps(obj, default=repr).decode()


def _wants_json(settings: Settings) -> bool:
    return settings.effective_log_format == "json"


def _shared_processors() -> list[Callable[..., Any]]:
    """Run for structlog events (before wrap_for_formatter) and as the foreign_pre_chain."""
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _add_process,
        drop_color_message,
        add_trace_ids,  # trace_id/span_id inside a span, so log lines join traces
    ]


def make_formatter(json: bool = True) -> structlog.stdlib.ProcessorFormatter:
    """The one formatter every handler uses. Referenced by name from the dictConfig."""
    final: list[Callable[..., Any]] = [structlog.stdlib.ProcessorFormatter.remove_processors_meta]
    if json:
        final += [structlog.processors.format_exc_info, redact,
                  structlog.processors.JSONRenderer(serializer=_json_dumps)]
    else:
        final += [redact, structlog.dev.ConsoleRenderer(colors=_isatty())]
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=_shared_processors(),
        processors=final,
    )


def _isatty() -> bool:
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


_STDERR_LOCK = threading.RLock()


class StderrHandler(logging.StreamHandler):
    """A StreamHandler bound to whatever ``sys.stderr`` is at emit time (test capture works).

    All instances share one lock with :func:`access`, so lines never interleave.
    """

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    def createLock(self) -> None:
        self.lock = _STDERR_LOCK

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        pass


def logging_dict(settings: Settings) -> dict[str, Any]:
    """A ``logging.config.dictConfig`` for the stdlib side: one handler on root, JSON or console."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "structlog": {
                "()": "sports_analytics.logging.make_formatter",
                "json": _wants_json(settings),
            }
        },
        "handlers": {
            "default": {
                "()": "sports_analytics.logging.StderrHandler",
                "formatter": "structlog",
            }
        },
        "root": {"level": settings.log_level, "handlers": ["default"]},
        "loggers": {
            name: {"level": _at_least(level, settings.log_level), "handlers": [],
                   "propagate": True}
            for name, level in ROUTED_LOGGERS.items()
        },
    }


def _at_least(level: str, configured: str) -> str:
    """Library loggers stay at their floor unless LOG_LEVEL asks for less noise."""
    return level if logging.getLevelName(level) >= logging.getLevelName(configured) else configured


def gunicorn_logconfig_dict(settings: Settings) -> dict[str, Any]:
    """For gunicorn's ``logconfig_dict``: gunicorn's own loggers propagate to the JSON handler."""
    return logging_dict(settings)


def configure_structlog(settings: Settings) -> None:
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *_shared_processors(),
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


def configure_logging(settings: Settings) -> None:
    """Idempotent: the CLI, the gunicorn master and every worker call it."""
    global _ACCESS_MODE
    configure_structlog(settings)
    logging.config.dictConfig(logging_dict(settings))
    logging.captureWarnings(True)
    if logging.getLevelName(settings.log_level) > logging.INFO:
        _ACCESS_MODE = _ACCESS_OFF
    elif _wants_json(settings):
        _ACCESS_MODE = _ACCESS_FAST_JSON
    else:
        _ACCESS_MODE = _ACCESS_STRUCTLOG


# --- the per-request access line ------------------------------------------------------------
# It is on the hot path of every request. In JSON mode it is rendered directly (same fields,
# same order, same redaction as the structlog chain would give, about 5x cheaper); otherwise
# it goes through structlog like every other line.

_ACCESS_OFF, _ACCESS_STRUCTLOG, _ACCESS_FAST_JSON = 0, 1, 2
_ACCESS_MODE = _ACCESS_STRUCTLOG
ACCESS_LOGGER = "sports_analytics.access"
_access_structlog = structlog.get_logger(ACCESS_LOGGER)


def access(method: str, route: str, path: str, status: int, duration_ms: float) -> None:
    mode = _ACCESS_MODE
    if mode == _ACCESS_OFF:
        return
    if mode == _ACCESS_STRUCTLOG:
        _access_structlog.info("request", method=method, route=route, path=path, status=status,
                               duration_ms=duration_ms)
        return
    # Only the path and the bound context can carry anything sensitive; the rest are ours.
    if "=" in path or "@" in path:
        path = scrub_text(path)
    event: dict[str, Any] = {"method": method, "route": route, "path": path, "status": status,
                             "duration_ms": duration_ms, "event": "request"}
    context = structlog.contextvars.get_contextvars()
    if context:
        event.update(redact(None, "info", context))
    event["level"] = "info"
    event["logger"] = ACCESS_LOGGER
    event["timestamp"] = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    event["pid"] = os.getpid()
    add_trace_ids(None, "info", event)
    line = orjson.dumps(event, default=repr).decode() + "\n"
    with _STDERR_LOCK:
        stream = sys.stderr
        stream.write(line)
        stream.flush()
