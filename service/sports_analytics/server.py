"""``sports-analytics serve``: replace this process with the gunicorn master.

``os.execv`` keeps the PID (PID 1 in a container), so SIGTERM from Docker or the kubelet
reaches gunicorn's master directly and starts its graceful shutdown; no wrapper process sits
in between to swallow it.

``PROMETHEUS_MULTIPROC_DIR`` must be in the environment before any worker imports
prometheus_client, so it is set here (to a fresh directory under the temp dir) when the image
or the operator did not set it. gunicorn's ``on_starting`` hook wipes it.
"""

from __future__ import annotations

import os
import sys
import tempfile

import structlog

from sports_analytics.config import Settings

log = structlog.get_logger(__name__)

GUNICORN_CONFIG = "python:sports_analytics.gunicorn_conf"


def gunicorn_argv() -> list[str]:
    return [sys.executable, "-m", "gunicorn", "--config", GUNICORN_CONFIG]


def serve(settings: Settings) -> None:
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="sa-prometheus-")
    log.info(
        "starting gunicorn",
        port=settings.port,
        workers=settings.web_concurrency,
        graceful_timeout=settings.graceful_timeout,
        worker_timeout=settings.worker_timeout,
        database=settings.redacted_db_target,
        metrics_dir=os.environ["PROMETHEUS_MULTIPROC_DIR"],
        gunicorn_cmd_args=os.environ.get("GUNICORN_CMD_ARGS") or None,
    )
    sys.stdout.flush()
    sys.stderr.flush()
    argv = gunicorn_argv()
    os.execv(argv[0], argv)  # noqa: S606  (fixed argv, no shell)
