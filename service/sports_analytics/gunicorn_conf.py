"""gunicorn configuration, loaded by ``sports-analytics serve`` as
``gunicorn --config python:sports_analytics.gunicorn_conf``.

Everything comes from the same settings as the app (environment only). ``GUNICORN_CMD_ARGS``
still overrides any value here (gunicorn applies it after the config file), e.g.
``GUNICORN_CMD_ARGS="--bind 127.0.0.1:8080"`` for a loopback-only local run.

Works on a read-only root filesystem with an unwritable ``$HOME``: the worker heartbeat files
go to /dev/shm (or the temp dir), and gunicorn's control socket (gunicorn >= 25.1, created
under ``$HOME``/``$XDG_RUNTIME_DIR``) is disabled.

This module deliberately does not import ``sports_analytics.metrics``: creating metric objects
in the master would write value files for the master's pid into the multiprocess directory.
"""

from __future__ import annotations

import os
import tempfile
from typing import Any

import structlog

from sports_analytics.config import load_settings
from sports_analytics.logging import configure_structlog, gunicorn_logconfig_dict

_settings = load_settings()
configure_structlog(_settings)
_log = structlog.get_logger("sports_analytics.gunicorn")


def _worker_tmp_dir() -> str:
    shm = "/dev/shm"  # noqa: S108  (a tmpfs; writable on a read-only root)
    if os.path.isdir(shm) and os.access(shm, os.W_OK):
        return shm
    return tempfile.gettempdir()


wsgi_app = "sports_analytics.app:create_app()"
bind = [f"0.0.0.0:{_settings.port}"]  # the container's port
workers = _settings.web_concurrency
worker_class = "uvicorn_worker.UvicornWorker"
graceful_timeout = _settings.graceful_timeout
timeout = _settings.worker_timeout
keepalive = 5
worker_tmp_dir = _worker_tmp_dir()
control_socket_disable = True
proc_name = "sports-analytics"
loglevel = _settings.log_level.lower()
errorlog = "-"
accesslog = None  # the app's middleware writes one JSON access line per request
logconfig_dict = gunicorn_logconfig_dict(_settings)
preload_app = False  # each worker imports the app after fork (per-process metric files)


def on_starting(server: Any) -> None:
    """Master, before workers fork: create and wipe the Prometheus multiprocess directory."""
    path = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not path:
        _log.warning("PROMETHEUS_MULTIPROC_DIR is not set; /metrics covers one worker only")
        return
    os.makedirs(path, exist_ok=True)
    removed = 0
    for name in os.listdir(path):
        if name.endswith(".db"):
            try:
                os.unlink(os.path.join(path, name))
                removed += 1
            except FileNotFoundError:
                pass
    _log.info("metrics directory prepared", path=path, stale_files_removed=removed)


def child_exit(server: Any, worker: Any) -> None:
    """Master, after a worker exited: drop its live-gauge files."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


def worker_abort(worker: Any) -> None:
    _log.error("worker timed out and was aborted", worker_pid=worker.pid, timeout_s=timeout)


def post_fork(server: Any, worker: Any) -> None:
    """Worker, right after the fork: tracing (when configured) starts here, never in the master."""
    from sports_analytics import telemetry

    telemetry.setup()


def worker_exit(server: Any, worker: Any) -> None:
    """Worker, on its way out: flush queued spans within a share of the graceful timeout."""
    from sports_analytics import telemetry

    telemetry.shutdown(telemetry.flush_timeout(graceful_timeout))
