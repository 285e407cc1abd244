#!/usr/bin/env python3
"""Load benchmark: capacity, then 60 s at a fixed rate of ~50% of it, box score + standings.

What it does (everything on 127.0.0.1, bounded in time):
1. Starts a private PostgreSQL cluster, migrates and seeds it with the CLI, and starts
   ``sports-analytics serve`` with 2 workers (or uses ``--url`` + ``--master-pid``).
2. Capacity: ``wrk`` (Debian package ``wrk``; closed loop, 2 threads, 32 connections) on a
   50/50 mix of ``/api/v1/games/{id}`` (rotating over 100 games) and ``/api/v1/standings``.
   Falls back to a Python closed-loop client when wrk is missing.
3. Open loop: an asyncio generator sends requests at a fixed rate (``--fraction`` of capacity,
   default 0.5) for ``--duration`` seconds (default 60) on the same mix. Latency is measured
   from each request's *scheduled* send time, so a stall is not hidden (no coordinated
   omission). Errors = non-2xx answers and connection failures.
4. RSS of every gunicorn worker (from /proc) before and after the open-loop run.

Prints a Markdown table and writes benchmarks/results/load.json; exits 1 when the run had
errors or a worker's RSS grew by 10% or more.

    .venv/bin/python benchmarks/load.py            # the README figures
    .venv/bin/python benchmarks/load.py --duration 10 --fraction 0.5   # a quick look
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.helpers.relharness import (  # noqa: E402
    RESULTS_DIR,
    LiveServer,
    PgCluster,
    children,
    prepare_database,
    record_figure,
    rss_kib,
    wait_for,
)

RSS_GROWTH_LIMIT = 0.10


# ------------------------------------------------------------------------------------------
# A small HTTP/1.1 keep-alive client on asyncio streams: cheap enough to drive a few hundred
# requests per second from one core without becoming the bottleneck.


class Conn:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, host: str) -> None:
        self.reader, self.writer, self.host = reader, writer, host
        self.used = 0

    @classmethod
    async def open(cls, host: str, port: int) -> Conn:
        reader, writer = await asyncio.open_connection(host, port)
        return cls(reader, writer, f"{host}:{port}")

    async def get(self, path: str) -> tuple[int, bool]:
        """Returns (status, keep_alive)."""
        self.writer.write(
            f"GET {path} HTTP/1.1\r\nHost: {self.host}\r\nAccept: application/json\r\n\r\n".encode()
        )
        await self.writer.drain()
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                k, v = line.split(":", 1)
                headers[k.strip().lower()] = v.strip().lower()
        if "content-length" in headers:
            await self.reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding") == "chunked":
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                await self.reader.readexactly(size + 2)
                if size == 0:
                    break
        self.used += 1
        return status, headers.get("connection") != "close"

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.writer.close()


class Pool:
    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.idle: list[Conn] = []
        self.opened = 0
        self.stale_retries = 0

    async def get(self, path: str) -> int:
        conn = self.idle.pop() if self.idle else None
        reused = conn is not None
        if conn is None:
            conn = await Conn.open(self.host, self.port)
            self.opened += 1
        try:
            status, keep = await conn.get(path)
        except (ConnectionError, asyncio.IncompleteReadError):
            conn.close()
            if not reused:
                raise
            # the server closed an idle keep-alive connection before we reused it: what every
            # HTTP client does is retry an idempotent GET once on a fresh connection
            self.stale_retries += 1
            return await self.get(path)
        if keep:
            self.idle.append(conn)
        else:
            conn.close()
        return status

    def close(self) -> None:
        for conn in self.idle:
            conn.close()
        self.idle.clear()


def percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    idx = min(len(sorted_values) - 1, max(0, round(q / 100 * (len(sorted_values) - 1))))
    return sorted_values[idx]


async def open_loop(base: str, paths: list[str], rate: float, duration: float) -> dict:
    host, port = base.removeprefix("http://").split(":")
    pool = Pool(host, int(port))
    loop = asyncio.get_running_loop()
    total = int(rate * duration)
    results: list[tuple[str, float, int | str]] = []
    tasks: set[asyncio.Task] = set()
    start = loop.time() + 0.1

    async def one(i: int, intended: float) -> None:
        path = paths[i % len(paths)]
        kind = "box_score" if "/games/" in path else "standings"
        try:
            status: int | str = await asyncio.wait_for(pool.get(path), timeout=30)
        except Exception as exc:  # counted, never hidden
            status = type(exc).__name__
        results.append((kind, loop.time() - intended, status))

    for i in range(total):
        intended = start + i / rate
        delay = intended - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        task = asyncio.create_task(one(i, intended))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    if tasks:
        await asyncio.wait(tasks, timeout=60)
    elapsed = loop.time() - start
    pool.close()

    summary: dict = {"requests": len(results), "scheduled": total, "rate_target": rate,
                     "rate_achieved": round(len(results) / elapsed, 1),
                     "connections_opened": pool.opened, "stale_keepalive_retries": pool.stale_retries}
    for kind in ("all", "box_score", "standings"):
        rows = [r for r in results if kind in {"all", r[0]}]
        lat = sorted(r[1] * 1000 for r in rows)
        errors = [r[2] for r in rows if not (isinstance(r[2], int) and 200 <= r[2] < 300)]
        summary[kind] = {
            "requests": len(rows),
            "errors": len(errors),
            "error_kinds": sorted({str(e) for e in errors}),
            "p50_ms": round(percentile(lat, 50), 2),
            "p90_ms": round(percentile(lat, 90), 2),
            "p99_ms": round(percentile(lat, 99), 2),
            "max_ms": round(lat[-1], 2) if lat else None,
            "mean_ms": round(statistics.fmean(lat), 2) if lat else None,
        }
    summary["all"]["errors"] += total - len(results)
    return summary


# ------------------------------------------------------------------------------------------
# Capacity


WRK_SCRIPT = """
local paths = {%s}
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i %% #paths) + 1], {["Accept"] = "application/json"})
end
"""


def capacity_wrk(base: str, paths: list[str], seconds: int) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="sa-wrk-"))
    try:
        script = tmp / "mix.lua"
        script.write_text(WRK_SCRIPT % ", ".join(json.dumps(p) for p in paths))
        done = subprocess.run(
            ["wrk", "-t2", "-c32", f"-d{seconds}s", "--timeout", "10s", "--latency", "-s", str(script),
             base + paths[0]], capture_output=True, text=True, timeout=seconds + 60)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    out = done.stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    sock = re.search(r"Socket errors:(.*)", out)
    return {"tool": "wrk -t2 -c32", "rps": rps, "non_2xx": int(non2xx.group(1)) if non2xx else 0,
            "socket_errors": sock.group(1).strip() if sock else "none", "raw": out}


async def _closed_loop(base: str, paths: list[str], seconds: float, concurrency: int) -> dict:
    host, port = base.removeprefix("http://").split(":")
    pool = Pool(host, int(port))
    loop = asyncio.get_running_loop()
    end = loop.time() + seconds
    count = errors = 0

    async def worker(offset: int) -> None:
        nonlocal count, errors
        i = offset
        while loop.time() < end:
            status = await pool.get(paths[i % len(paths)])
            i += concurrency
            count += 1
            errors += not 200 <= status < 300

    started = loop.time()
    await asyncio.gather(*(worker(k) for k in range(concurrency)))
    pool.close()
    return {"tool": f"python closed loop x{concurrency}", "rps": round(count / (loop.time() - started), 1),
            "non_2xx": errors, "socket_errors": "none"}


def capacity(base: str, paths: list[str], seconds: int) -> dict:
    if shutil.which("wrk"):
        return capacity_wrk(base, paths, seconds)
    return asyncio.run(_closed_loop(base, paths, seconds, 32))


# ------------------------------------------------------------------------------------------


def worker_rss(master_pid: int) -> dict[int, int]:
    return {pid: rss_kib(pid) for pid in children(master_pid)}


def mix_paths(base: str) -> list[str]:
    import httpx

    games = httpx.get(base + "/api/v1/games", params={"limit": 100}, timeout=30).json()["items"]
    assert games, "no games: seed the database first"
    season = games[0]["season"]
    paths = []
    for game in games:
        paths.append(f"/api/v1/games/{game['game_id']}")
        paths.append(f"/api/v1/standings?season={season}")
    for p in paths[:2]:
        assert httpx.get(base + p, timeout=30).status_code == 200, p
    return paths


def run(args: argparse.Namespace) -> int:
    cluster = server = None
    try:
        if args.url:
            base, master = args.url.rstrip("/"), args.master_pid
        else:
            cluster = PgCluster()
            cluster.start()
            wait_for(cluster.url)
            subprocess.run([str(cluster.bindir / "createdb"), "-h", "127.0.0.1", "-p", str(cluster.port),
                            "-U", cluster.user, "sports_analytics"], check=True, timeout=60)
            url = cluster.url.rsplit("/", 1)[0] + "/sports_analytics"
            print("seeding a private database ...", flush=True)
            prepare_database(url)
            # the service's default timeouts, not the short ones the outage tests use
            server = LiveServer(url, workers=args.workers, LOG_LEVEL="WARNING",
                                DB_POOL_TIMEOUT_SECONDS="5", DB_STATEMENT_TIMEOUT_MS="5000",
                                DB_CONNECT_TIMEOUT_SECONDS="3").start()
            server.wait_ready(30)
            base, master = server.url, server.pid
        paths = mix_paths(base)

        print(f"capacity: {args.capacity_seconds} s closed loop on box score + standings ...", flush=True)
        cap = capacity(base, paths, args.capacity_seconds)
        rate = max(1.0, round(cap["rps"] * args.fraction))
        time.sleep(2)
        rss_before = worker_rss(master) if master else {}
        print(f"open loop: {rate:g} req/s for {args.duration:g} s ...", flush=True)
        result = asyncio.run(open_loop(base, paths, rate, args.duration))
        time.sleep(1)
        rss_after = worker_rss(master) if master else {}
    finally:
        if server is not None:
            server.close()
        if cluster is not None:
            cluster.destroy()

    workers = []
    for pid, before in sorted(rss_before.items()):
        after = rss_after.get(pid)
        workers.append({"pid": pid, "rss_before_mib": round(before / 1024, 1),
                        "rss_after_mib": round(after / 1024, 1) if after else None,
                        "growth_pct": round(100 * (after - before) / before, 1) if after else None})
    report = {"capacity": {k: v for k, v in cap.items() if k != "raw"}, "fraction": args.fraction,
              "open_loop": result, "workers": workers,
              "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    (RESULTS_DIR / "load.json").write_text(json.dumps(report, indent=2) + "\n")

    a = result["all"]
    growth = [w["growth_pct"] for w in workers if w["growth_pct"] is not None]
    max_growth = max(growth) if growth else None
    print()
    print(f"Capacity ({cap['tool']}, 2 workers, 50/50 box score + standings): "
          f"**{cap['rps']:.0f} req/s** (non-2xx {cap['non_2xx']}, socket errors {cap['socket_errors']})")
    print()
    print(f"Fixed rate {rate:g} req/s ({args.fraction:.0%} of capacity) for {args.duration:g} s, "
          "open loop, latency from the scheduled send time:")
    print()
    print("| endpoint | requests | errors | p50 ms | p90 ms | p99 ms | max ms |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for kind, label in (("box_score", "`/api/v1/games/{id}`"), ("standings", "`/api/v1/standings`"),
                        ("all", "both")):
        r = result[kind]
        print(f"| {label} | {r['requests']} | {r['errors']} | {r['p50_ms']} | {r['p90_ms']} | "
              f"{r['p99_ms']} | {r['max_ms']} |")
    print()
    print(f"Achieved {result['rate_achieved']} req/s; connections opened {result['connections_opened']}.")
    if workers:
        print()
        print("| worker | RSS before MiB | RSS after MiB | growth |")
        print("|---|---:|---:|---:|")
        for i, w in enumerate(workers, 1):
            print(f"| {i} | {w['rss_before_mib']} | {w['rss_after_mib']} | {w['growth_pct']}% |")

    record_figure("load.capacity_rps", round(cap["rps"]), "req/s", f"{cap['tool']}, 50/50 mix, 2 workers")
    record_figure("load.fixed_rate_rps", rate, "req/s", f"{args.fraction:.0%} of capacity, {args.duration:g} s")
    record_figure("load.errors", a["errors"], "errors", "open loop, non-2xx or connection failures")
    record_figure("load.p50_ms", a["p50_ms"], "ms", "both endpoints")
    record_figure("load.p99_ms", a["p99_ms"], "ms", "both endpoints")
    record_figure("load.max_ms", a["max_ms"], "ms", "both endpoints")
    if max_growth is not None:
        record_figure("load.rss_growth_max_pct", max_growth, "%", "largest per-worker RSS growth over the run")

    ok = a["errors"] == 0 and (max_growth is None or max_growth < RSS_GROWTH_LIMIT * 100)
    print()
    print("PASS" if ok else "FAIL: errors or RSS growth >= 10%")
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=60.0, help="open-loop seconds (60)")
    parser.add_argument("--fraction", type=float, default=0.5, help="share of capacity (0.5)")
    parser.add_argument("--capacity-seconds", type=int, default=10, help="wrk seconds (10)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (2)")
    parser.add_argument("--url", help="use a running server on loopback instead of starting one")
    parser.add_argument("--master-pid", type=int, default=0, help="its gunicorn master pid, for RSS")
    args = parser.parse_args()
    if args.url and not re.match(r"^http://(127\.0\.0\.1|localhost)(:\d+)?/?$", args.url):
        parser.error("--url must be a loopback http URL")
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
