"""The real ``sports-analytics serve`` on loopback, as a child process with its output in a file."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.helpers.pgharness import free_port

BIN = Path(sys.executable).with_name("sports-analytics")
# Variables of the developer's shell that would change what the server under test does.
INHERITED_DROP = ("PROMETHEUS_", "GUNICORN_", "DATABASE_", "POSTGRES_")


def with_password(url: str, password: str) -> str:
    scheme, rest = url.split("://", 1)
    userinfo, hostpart = rest.split("@", 1)
    return f"{scheme}://{userinfo.split(':', 1)[0]}:{password}@{hostpart}"


def inherited_env(*drop: str) -> dict[str, str]:
    """This process's environment without the variables that configure the server."""
    return {k: v for k, v in os.environ.items() if not k.startswith((*INHERITED_DROP, *drop))}


class ServeProcess:
    """``serve`` with 2 workers (unless ``env`` says otherwise), started and waited for healthy."""

    def __init__(self, env: dict[str, str], tmp_path: Path, wrap: list[str] | None = None,
                 ready_timeout: float = 30.0) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.env = {"WEB_CONCURRENCY": "2", "GRACEFUL_TIMEOUT": "10", **env,
                    "GUNICORN_CMD_ARGS": f"--bind 127.0.0.1:{self.port}"}
        self.log_path = tmp_path / f"serve-{self.port}.log"
        self._log = self.log_path.open("wb")
        # A session of its own: the workers can be reaped with the master, even after a SIGKILL
        # of the master alone (uvicorn workers do not notice that their master has gone).
        self.proc = subprocess.Popen([*(wrap or []), str(BIN), "serve"], env=self.env,
                                     stdout=self._log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        self._wait_ready(ready_timeout)

    def _wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"serve exited {self.proc.returncode}:\n{self.log_text()}")
            try:
                if httpx.get(self.base_url + "/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise AssertionError("serve did not become healthy:\n" + self.log_text())

    def log_text(self) -> str:
        if not self._log.closed:
            self._log.flush()
        return self.log_path.read_text(errors="replace")

    def log_lines(self) -> list[dict]:
        out = []
        for raw in self.log_text().splitlines():
            if raw.strip():
                try:
                    out.append(json.loads(raw))
                except json.JSONDecodeError:
                    raise AssertionError(f"not a JSON log line: {raw!r}") from None
        return out

    def terminate(self, timeout: float = 30.0) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        finally:
            self._reap_group()
            self._log.close()

    def kill(self) -> None:
        """SIGKILL to the master alone (what a test of a crash wants), then the leftovers."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self._reap_group()
        self._log.close()

    def _reap_group(self) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)
