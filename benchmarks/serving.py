"""Serving and loading the service for the HTTP benchmarks: a seeded database, a real
``sports-analytics serve``, wrk (or a Python client when wrk is missing) and its figures.

Shared by http_bench.py and page_cost.py, so that neither imports the other; the PostgreSQL
server, database, CLI runner and result report are shared by the other benchmarks too.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import psycopg
from tests.helpers.pgharness import PgCluster, wait_for

RESULTS = Path(__file__).resolve().parent / "results"


def log(msg: str) -> None:
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


def prepare_database(cluster: PgCluster) -> str:
    from tests.helpers.pgharness import make_settings, with_dbname

    from sports_analytics.db.migrate import upgrade
    from sports_analytics.ingest.demo.seed import seed_demo

    with psycopg.connect(cluster.url, autocommit=True) as conn:
        conn.execute("CREATE DATABASE bench")
    url = with_dbname(cluster.url, "bench")
    settings = make_settings(url)
    upgrade(settings)
    seed_demo(settings, force=False)
    return url


def start_server(db_url: str, port: int, workers: int, logfile: Path) -> subprocess.Popen:
    exe = shutil.which("sports-analytics", path=str(Path(sys.executable).parent)) or shutil.which(
        "sports-analytics")
    if exe is None:
        raise SystemExit("sports-analytics is not installed in this environment")
    env = {
        **os.environ,
        "DATABASE_URL": db_url,
        "PORT": str(port),
        "WEB_CONCURRENCY": str(workers),
        "APP_ENV": "development",
        "LOG_FORMAT": "json",
        "GUNICORN_CMD_ARGS": f"--bind 127.0.0.1:{port}",  # loopback only
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    out = logfile.open("wb")
    proc = subprocess.Popen([exe, "serve"], env=env, stdout=out, stderr=subprocess.STDOUT,
                            start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode}; see {logfile}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    proc.kill()
    raise SystemExit("server did not become healthy in 60 s")


def worker_rss_mib(master_pid: int) -> dict[int, float]:
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children")
    pids = [int(p) for p in children.read_text().split()] if children.exists() else []
    rss = {}
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    rss[pid] = round(int(line.split()[1]) / 1024, 1)
        except FileNotFoundError:
            continue
    return rss


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


def _ms(value: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value)
    if not m:
        raise ValueError(value)
    return float(m.group(1)) * _UNITS[m.group(2)]


def run_wrk(url: str, duration: int, connections: int, threads: int,
            script: str | None = None) -> dict:
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency"]
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fh:
        if script:
            fh.write(script)
            cmd += ["-s", fh.name]
    try:
        out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout
    finally:
        os.unlink(fh.name)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    p50 = _ms(re.search(r"\n\s+50%\s+(\S+)", out).group(1))
    p99 = _ms(re.search(r"\n\s+99%\s+(\S+)", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors = (int(non2xx.group(1)) if non2xx else 0) + (sum(map(int, sock.groups())) if sock else 0)
    return {"rps": rps, "p50_ms": p50, "p99_ms": p99, "requests": total, "errors": errors}


async def _python_load(base: str, paths: list[tuple[str, dict]], duration: int,
                       connections: int) -> dict:
    latencies: list[float] = []
    errors = 0
    stop = time.monotonic() + duration
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=10) as client:
        async def worker(offset: int) -> None:
            nonlocal errors
            i = offset
            while time.monotonic() < stop:
                path, headers = paths[i % len(paths)]
                i += connections
                t0 = time.perf_counter()
                try:
                    r = await client.get(path, headers=headers)
                    if r.status_code >= 400:
                        errors += 1
                except httpx.HTTPError:
                    errors += 1
                latencies.append((time.perf_counter() - t0) * 1000)

        started = time.monotonic()
        await asyncio.gather(*(worker(k) for k in range(connections)))
        elapsed = time.monotonic() - started
    q = statistics.quantiles(latencies, n=100)
    return {"rps": round(len(latencies) / elapsed, 1), "p50_ms": round(q[49], 3),
            "p99_ms": round(q[98], 3), "requests": len(latencies), "errors": errors}


@contextmanager
def postgres_server(admin_url: str | None = None) -> Iterator[str]:
    """An admin URL that answers: ``admin_url`` (a running server) or, without one, a
    throwaway local cluster that is destroyed on leaving."""
    cluster = None
    if admin_url is None:
        cluster = PgCluster()
        cluster.start()
        admin_url = cluster.url
    try:
        wait_for(admin_url)
        yield admin_url
    finally:
        if cluster is not None:
            cluster.destroy()


def migrated_database(admin_url: str, name: str) -> str:
    """A new database ``name`` on the server of ``admin_url``, migrated to head: its URL."""
    from tests.helpers.pgharness import make_settings, with_dbname

    from sports_analytics.db.migrate import upgrade

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = with_dbname(admin_url, name)
    upgrade(make_settings(url))
    return url


def run_command(url: str, *args: str, log_level: str = "WARNING") -> tuple[float, str]:
    """One ``sports-analytics`` command on the database ``url``, as a fresh process (what a
    CronJob or an operator runs): its wall seconds and its output (stdout, then stderr).
    A failed command ends the benchmark with the tail of its stderr."""
    exe = shutil.which("sports-analytics", path=str(Path(sys.executable).parent))
    env = {**os.environ, "DATABASE_URL": url, "APP_ENV": "development", "LOG_FORMAT": "json",
           "LOG_LEVEL": log_level}
    started = time.perf_counter()
    done = subprocess.run([exe or "sports-analytics", *args], env=env, capture_output=True,
                          text=True)
    took = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"sports-analytics {' '.join(args)} failed:\n{done.stderr[-2000:]}")
    return took, done.stdout + done.stderr


def report(name: str, result: dict, missed: list[str], verdict: str | None = None) -> int:
    """Write ``result`` to benchmarks/results/<name>.json and print it, each missed target on
    stderr, then ``verdict`` (PASS or FAIL by default); the exit code: 1 when a target was
    missed."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    for line in missed:
        print(f"target missed: {line}", file=sys.stderr)
    print(verdict or ("FAIL" if missed else "PASS"))
    return 1 if missed else 0
