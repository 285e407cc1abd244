"""Shared machinery for the reliability tests and the fault/load benchmarks.

Everything here talks to 127.0.0.1 only and is bounded in time: a live ``sports-analytics
serve`` (gunicorn + uvicorn workers) on a free loopback port, a private PostgreSQL cluster
that can be stopped, started or frozen, and small helpers for timing and /proc reads.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from tests.helpers.pgharness import PgCluster, free_port, wait_for  # noqa: F401  (re-exported)

REPO = Path(__file__).resolve().parents[2]
RESULTS_DIR = REPO / "benchmarks" / "results"
FIGURES_FILE = RESULTS_DIR / "reliability-figures.json"

# Settings the live servers share: short DB timeouts so outages show quickly.
CONNECT_TIMEOUT_S = 2
STATEMENT_TIMEOUT_MS = 3000
POOL_TIMEOUT_S = 3


def cli_path() -> str:
    """The ``sports-analytics`` console script of the interpreter running the tests."""
    candidate = Path(sys.executable).with_name("sports-analytics")
    if candidate.exists():
        return str(candidate)
    return "sports-analytics"


def record_figure(name: str, value: Any, unit: str = "", note: str = "") -> None:
    """Merge one measured figure into benchmarks/results/reliability-figures.json."""
    import fcntl

    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    with (RESULTS_DIR / ".figures.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # several pytest sessions may record at once
        data: dict[str, Any] = {}
        if FIGURES_FILE.exists():
            with contextlib.suppress(ValueError):
                data = json.loads(FIGURES_FILE.read_text())
        data[name] = {"value": value, "unit": unit, "note": note,
                      "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        tmp = FIGURES_FILE.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
        tmp.replace(FIGURES_FILE)


def base_env() -> dict[str, str]:
    """The test process's env minus anything that would point the service elsewhere."""
    drop = ("DATABASE_URL", "DATABASE_URL_FILE", "POSTGRES_", "GEMINI_", "PROMETHEUS_MULTIPROC_DIR",
            "PORT", "WEB_CONCURRENCY", "GUNICORN_CMD_ARGS", "APP_ENV", "LOG_")
    return {k: v for k, v in os.environ.items() if not k.startswith(drop)}


def cli_env(database_url: str, **extra: str) -> dict[str, str]:
    env = base_env()
    env.update({
        "DATABASE_URL": database_url,
        "APP_ENV": "development",
        "LOG_FORMAT": "json",
        "DB_WAIT_SECONDS": "5",
        "DB_CONNECT_TIMEOUT_SECONDS": str(CONNECT_TIMEOUT_S),
    })
    env.update(extra)
    return env


class LiveServer:
    """``sports-analytics serve`` on 127.0.0.1:<free port>, in its own process group."""

    def __init__(self, database_url: str, *, workers: int = 2, **env: str) -> None:
        self.database_url = database_url
        self.workers = workers
        self.extra_env = env
        self.port = free_port()
        self.tmp = Path(tempfile.mkdtemp(prefix="sa-live-"))
        self.log_path = self.tmp / "server.log"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        metrics_dir = self.tmp / "prometheus"
        metrics_dir.mkdir(exist_ok=True)
        env = cli_env(self.database_url)
        env.update({
            "PORT": str(self.port),
            "GUNICORN_CMD_ARGS": f"--bind 127.0.0.1:{self.port}",
            "WEB_CONCURRENCY": str(self.workers),
            "GRACEFUL_TIMEOUT": "10",
            "DB_STATEMENT_TIMEOUT_MS": str(STATEMENT_TIMEOUT_MS),
            "DB_POOL_TIMEOUT_SECONDS": str(POOL_TIMEOUT_S),
            "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
            "TMPDIR": str(self.tmp),
        })
        env.update(self.extra_env)
        return env

    def start(self, timeout: float = 40.0) -> LiveServer:
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [cli_path(), "serve"], env=self.env(), stdout=log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True, cwd=self.tmp,
        )
        log.close()
        self.wait_healthy(timeout)
        return self

    def wait_healthy(self, timeout: float = 40.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}:\n{self.log_tail()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            time.sleep(0.1)
        raise TimeoutError(f"server not healthy after {timeout}s:\n{self.log_tail()}")

    def wait_ready(self, timeout: float = 30.0) -> float:
        started = time.monotonic()
        if not poll_until(lambda: status(self.url + "/readyz") == 200, timeout):
            raise TimeoutError(f"server not ready after {timeout}s:\n{self.log_tail()}")
        return time.monotonic() - started

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def log_lines(self) -> list[str]:
        return self.log_path.read_text(errors="replace").splitlines()

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def worker_pids(self) -> list[int]:
        return children(self.pid)

    def stop(self, timeout: float = 30.0) -> int | None:
        """SIGTERM the master; SIGKILL the whole group if it overstays. Returns its exit code."""
        if self.proc is None:
            return None
        code = self.proc.poll()
        if code is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.proc.pid, signal.SIGTERM)
            try:
                code = self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                code = None
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        if code is None:
            self.proc.wait(5)
        return code

    def close(self) -> None:
        self.stop()
        subprocess.run(["rm", "-rf", str(self.tmp)], check=False)

    def __enter__(self) -> LiveServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()


def status(url: str, timeout: float = 2.0) -> int | None:
    try:
        return httpx.get(url, timeout=timeout).status_code
    except httpx.HTTPError:
        return None


def poll_until(predicate: Callable[[], bool], timeout: float, interval: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        with contextlib.suppress(OSError):
            found.extend(int(p) for p in task.read_text().split())
    return sorted(found)


def descendants(pid: int) -> list[int]:
    out: list[int] = []
    todo = [pid]
    while todo:
        kids = children(todo.pop())
        out.extend(kids)
        todo.extend(kids)
    return out


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


def postmaster_pid(cluster: PgCluster) -> int:
    return int((cluster.datadir / "postmaster.pid").read_text().splitlines()[0])


class Freezer:
    """SIGSTOP every process of a cluster (what ``docker pause`` does); ``thaw`` undoes it."""

    def __init__(self, cluster: PgCluster) -> None:
        self.cluster = cluster
        self.pids: list[int] = []

    def freeze(self) -> None:
        root = postmaster_pid(self.cluster)
        self.pids = [root, *descendants(root)]
        for p in self.pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(p, signal.SIGSTOP)

    def thaw(self) -> None:
        for p in self.pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(p, signal.SIGCONT)
        self.pids = []


def data_urls(base: str) -> list[str]:
    """Every GET route under /api/v1 from the service's own OpenAPI, with real ids filled in."""
    spec = httpx.get(base + "/openapi.json", timeout=10).json()
    games = httpx.get(base + "/api/v1/games", params={"limit": 1}, timeout=10).json()["items"]
    players = httpx.get(base + "/api/v1/players", params={"limit": 1}, timeout=10).json()["items"]
    game_id = games[0]["game_id"]
    player_id = players[0].get("player_id", players[0].get("id"))
    season = games[0]["season"]
    urls = []
    for path, ops in sorted(spec["paths"].items()):
        if not path.startswith("/api/v1") or "get" not in ops:
            continue
        concrete = path
        for param in ops["get"].get("parameters", []):
            if param.get("in") != "path":
                continue
            name = param["name"]
            if "game" in name:
                value = str(game_id)
            elif "player" in name:
                value = str(player_id)
            elif "abbr" in name or "team" in name:
                value = games[0]["home_team"]
            elif path.startswith("/api/v1/models/") and name == "name":
                value = "elo_v1"  # a model every seeded database has predictions from
            else:
                raise AssertionError(f"unknown path parameter {name} in {path}")
            concrete = concrete.replace("{" + name + "}", value)
        if "standings" in path:
            concrete += f"?season={season}"
        urls.append(base + concrete)
    assert len(urls) >= 6, urls
    return urls


def prepare_database(url: str, *, seed: bool = True) -> None:
    """Migrate (and seed) through the real CLI, as an operator would."""
    for args in (["migrate"], ["seed-demo"] if seed else []):
        if not args:
            continue
        done = subprocess.run([cli_path(), *args], env=cli_env(url), capture_output=True,
                              text=True, timeout=600)
        if done.returncode != 0:
            raise RuntimeError(f"{args[0]} failed ({done.returncode}): {done.stderr[-2000:]}")


def json_lines(text: str) -> list[dict[str, Any]]:
    out = []
    for line in text.splitlines():
        line = line.strip()
        if not line.startswith("{"):
            continue
        with contextlib.suppress(ValueError):
            out.append(json.loads(line))
    return out
