#!/usr/bin/env python3
"""HTTP benchmark: /healthz vs the box score (cold and conditional) vs standings, one run.

It starts a throwaway PostgreSQL cluster (tests/helpers/pgharness.py), migrates and seeds the demo
season, starts ``sports-analytics serve`` with 2 workers on 127.0.0.1, then load-tests each
endpoint in turn on the same server:

* ``healthz``         GET /healthz (never touches the database): the reference rate
* ``box_score_cold``  GET /api/v1/games/{id}, ids spread over all 1230 games, no validators
* ``box_score_304``   the same with ``If-None-Match`` set to each game's current ETag
* ``standings``       GET /api/v1/standings?season=2025, no validators (seeds by the NBA
                      tie-breakers, clinched/eliminated marks); before and after the load the
                      body must equal the standings computed afresh, without the worker's cache

In the same run, each HTML page is measured against its JSON route (benchmarks/page_cost.py: a
page may cost at most 2x its twin); features and predictions are computed first so the pages
render as in use.

It prints a markdown table (requests/s, p50, p99, errors, ratio to /healthz) and each worker's
RSS after the run, and writes both to benchmarks/results/ (gitignored).

Load comes from ``wrk`` when installed (Debian: ``apt-get install -y wrk``), else from a small
asyncio/httpx generator (slower, so absolute numbers are lower; ratios remain comparable).

    .venv/bin/python benchmarks/http_bench.py [--duration 10] [--connections 32]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import page_cost  # noqa: E402
from benchmarks.serving import (  # noqa: E402
    _python_load,
    log,
    prepare_database,
    run_wrk,
    start_server,
    worker_rss_mib,
)
from tests.helpers.pgharness import PgCluster, free_port, wait_for  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
TARGETS = {"box_score_cold": 0.20, "box_score_304": 0.60, "standings": 0.50}
RSS_LIMIT_MIB = 150
GAMES = 1230

LUA_COLD = """
counter = 0
request = function()
  counter = counter + 1
  local id = (counter * 7919) %% %(games)d + 1
  return wrk.format("GET", "/api/v1/games/" .. id)
end
"""
LUA_304 = """
counter = 0
request = function()
  counter = counter + 1
  local id = (counter * 7919) %% %(games)d + 1
  return wrk.format("GET", "/api/v1/games/" .. id, {["If-None-Match"] = '"bs-' .. id .. '-%(version)d"'})
end
"""


def measure(base: str, name: str, duration: int, connections: int, threads: int,
            version: int) -> dict:
    use_wrk = shutil.which("wrk") is not None
    if name == "healthz":
        paths = [("/healthz", {})]
        script = None
    elif name == "standings":
        paths = [("/api/v1/standings?season=2025", {})]
        script = None
    elif name == "box_score_cold":
        paths = [(f"/api/v1/games/{(k * 7919) % GAMES + 1}", {}) for k in range(1, GAMES + 1)]
        script = LUA_COLD % {"games": GAMES}
    else:
        paths = [(f"/api/v1/games/{(k * 7919) % GAMES + 1}",
                  {"If-None-Match": f'"bs-{(k * 7919) % GAMES + 1}-{version}"'})
                 for k in range(1, GAMES + 1)]
        script = LUA_304 % {"games": GAMES, "version": version}
    if use_wrk:
        url = base + (paths[0][0] if script is None else "/")
        result = run_wrk(url, duration, connections, threads, script)
    else:
        result = asyncio.run(_python_load(base, paths, duration, connections))
    result["tool"] = "wrk" if use_wrk else "python-httpx"
    return result


def check_responses(base: str, version: int) -> None:
    """Sanity before measuring: the 304 path must really answer 304, cold must be 200."""
    r = httpx.get(base + "/api/v1/games/1")
    assert r.status_code == 200 and r.headers["etag"] == f'"bs-1-{version}"', r.headers
    r = httpx.get(base + "/api/v1/games/1", headers={"If-None-Match": f'"bs-1-{version}"'})
    assert r.status_code == 304, r.status_code
    r = httpx.get(base + "/api/v1/standings?season=2025")
    assert r.status_code == 200 and sum(row["wins"] for row in r.json()["items"]) == 1230


def check_standings_unchanged(base: str, db_url: str) -> None:
    """The served standings are exactly the ones computed afresh (no cache) from the data."""
    from tests.helpers.pgharness import make_settings

    from sports_analytics.db.read_pool import ReadPool
    from sports_analytics.standings.table import read_standings

    async def fresh() -> bytes:
        reader = ReadPool(make_settings(db_url))
        try:
            return (await read_standings(reader, 2025, 50, 0))[0]
        finally:
            await reader.close()

    served = httpx.get(base + "/api/v1/standings?season=2025").json()
    assert served == json.loads(asyncio.run(fresh())), "served standings differ"
    assert [row["seed"] for row in served["items"]] == [*range(1, 16)] * 2


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--duration", type=int, default=5, help="seconds per measurement slice")
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--threads", type=int, default=2, help="wrk threads")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--warmup", type=int, default=3, help="seconds of warm-up per endpoint")
    ap.add_argument("--rounds", type=int, default=5,
                    help="interleaved rounds; medians are reported (other load on the machine "
                         "then skews every endpoint alike)")
    args = ap.parse_args()

    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    cluster = PgCluster()
    server = None
    try:
        cluster.start()
        wait_for(cluster.url)
        log("seeding the demo season")
        db_url = prepare_database(cluster)
        page_cost.compute_analytics(db_url)
        with psycopg.connect(db_url) as conn:
            version = conn.execute("SELECT last_value FROM data_version_seq").fetchone()[0]
        port = free_port()
        logfile = RESULTS / f"http_bench-{stamp}-server.log"
        server = start_server(db_url, port, args.workers, logfile)
        base = f"http://127.0.0.1:{port}"
        check_responses(base, version)
        check_standings_unchanged(base, db_url)
        names = ("healthz", "box_score_cold", "box_score_304", "standings")
        # Each endpoint is measured between two /healthz measurements and compared with their
        # mean: on a shared machine the background load drifts, and adjacent slices see
        # about the same drift. Rounds repeat that; medians are reported.
        rounds: list[dict[str, dict]] = []
        if args.warmup:
            for name in names:
                measure(base, name, args.warmup, args.connections, args.threads, version)
        for k in range(args.rounds):
            current: dict[str, dict] = {}
            log(f"round {k + 1}/{args.rounds}")
            before = measure(base, "healthz", args.duration, args.connections, args.threads,
                             version)
            healthz_samples = [before]
            for name in names[1:]:
                current[name] = measure(base, name, args.duration, args.connections,
                                        args.threads, version)
                after = measure(base, "healthz", args.duration, args.connections, args.threads,
                                version)
                current[name]["healthz_rps"] = (before["rps"] + after["rps"]) / 2
                healthz_samples.append(after)
                before = after
            current["healthz"] = {
                **healthz_samples[0],
                "rps": statistics.median(h["rps"] for h in healthz_samples),
                "p50_ms": statistics.median(h["p50_ms"] for h in healthz_samples),
                "p99_ms": statistics.median(h["p99_ms"] for h in healthz_samples),
                "errors": sum(h["errors"] for h in healthz_samples),
                "requests": sum(h["requests"] for h in healthz_samples),
                "healthz_rps": statistics.median(h["rps"] for h in healthz_samples),
            }
            rounds.append(current)
        check_standings_unchanged(base, db_url)  # the same after the load
        log("pages against their JSON twins")
        pairs = page_cost.twins(base)
        page_cost.check_twins(base, pairs)
        pages = page_cost.measure_twins(pairs, page_cost.http_load(
            base, args.duration, args.connections, args.threads), args.rounds)
        rss = worker_rss_mib(server.pid)
    finally:
        if server is not None and server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
        cluster.destroy()

    results: dict[str, dict] = {}
    for name in names:
        per_round = [rd[name] for rd in rounds]
        results[name] = {
            "rps": statistics.median(r["rps"] for r in per_round),
            "p50_ms": statistics.median(r["p50_ms"] for r in per_round),
            "p99_ms": statistics.median(r["p99_ms"] for r in per_round),
            "errors": sum(r["errors"] for r in per_round),
            "requests": sum(r["requests"] for r in per_round),
            "tool": per_round[0]["tool"],
            # each slice is compared with the /healthz slices right before and after it
            "ratio": round(statistics.median(r["rps"] / r["healthz_rps"] for r in per_round), 3),
        }
    for name, r in results.items():
        target = TARGETS.get(name)
        r["target"] = target
        r["pass"] = None if target is None else (r["ratio"] >= target and r["errors"] == 0)
    rss_ok = bool(rss) and all(v < RSS_LIMIT_MIB for v in rss.values())

    lines = [
        f"HTTP benchmark ({stamp}): {args.workers} workers, {args.connections} connections, "
        f"{args.duration}s slices x {args.rounds} rounds, each endpoint between two /healthz "
        f"slices (medians), "
        f"load by {results['healthz']['tool']}, "
        f"{os.cpu_count()} CPUs shared by server, PostgreSQL and load generator",
        "",
        "| endpoint | req/s | p50 ms | p99 ms | errors | vs /healthz | target | ok |",
        "|---|---:|---:|---:|---:|---:|---:|:-:|",
    ]
    for name, r in results.items():
        target = f">= {r['target']:.0%}" if r["target"] else "-"
        ok = "-" if r["pass"] is None else ("yes" if r["pass"] else "NO")
        lines.append(f"| {name} | {r['rps']:.0f} | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} | "
                     f"{r['errors']} | {r['ratio']:.0%} | {target} | {ok} |")
    lines += ["", "Worker RSS after the run (MiB): "
              + ", ".join(f"pid {pid}: {v}" for pid, v in sorted(rss.items()))
              + f" (limit {RSS_LIMIT_MIB}: {'ok' if rss_ok else 'EXCEEDED'})"]
    lines += ["", "Pages against their JSON twins (medians of the rounds; page cost = JSON req/s "
              "/ page req/s):", "", *page_cost.table(pages)]
    table = "\n".join(lines)
    print(table)
    (RESULTS / f"http_bench-{stamp}.md").write_text(table + "\n")
    (RESULTS / f"http_bench-{stamp}.json").write_text(json.dumps(
        {"stamp": stamp, "args": vars(args), "results": results, "rounds": rounds,
         "worker_rss_mib": rss, "pages": pages},
        indent=2) + "\n")
    all_ok = (all(r["pass"] is not False for r in results.values()) and rss_ok
              and all(r["pass"] for r in pages.values()))
    return 0 if all_ok else 1


if __name__ == "__main__":
    sys.exit(main())
