"""The live-reload command of compose.dev.yaml starts cleanly: one process, no warnings."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]


def _uvicorn_argv(reload_dir: Path, port: int) -> list[str]:
    compose = yaml.safe_load((REPO / "compose.dev.yaml").read_text())
    script = compose["services"]["api"]["command"][0]
    line = re.search(r"exec (uvicorn .*?)(?:\n\S|\Z)", script.replace("\\\n", " "), re.S)
    assert line, script
    argv = line.group(1).split()
    argv[argv.index("--reload-dir") + 1] = str(reload_dir)
    argv[argv.index("--port") + 1] = str(port)
    argv[argv.index("--host") + 1] = "127.0.0.1"
    return [sys.executable, "-m", *argv]


def test_reload_command_runs_without_the_workers_warning(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "WEB_CONCURRENCY": "2",  # what docker-compose.yml sets
           "DATABASE_URL": "postgresql://analyst:pw@127.0.0.1:9/sports_analytics",
           "LOG_FORMAT": "json"}
    argv = _uvicorn_argv(tmp_path, port)
    assert "--reload" in argv and argv[argv.index("--workers") + 1] == "1"
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, start_new_session=True)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.2)
        else:
            raise AssertionError("the reload server did not start")
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        output = proc.communicate(timeout=20)[0]
    assert "Started reloader process" in output, output
    assert "ignored when reloading" not in output, output
    assert "warning" not in output.lower(), output
