"""Each HTML page against its JSON twin, on the same server in the same run.

A page reads the same data as its JSON route and adds only the rendering, so it may cost at most
``PAGE_COST_LIMIT`` times as much: cost is the time per request under the same load, i.e.
``json req/s / page req/s``. Page and twin are measured back to back, alternating which goes first,
for several rounds; the median ratio is reported (background load then skews both alike).
Requests carry no validators, so every response is a full 200.

Part of every benchmarks/http_bench.py run; on its own (the same server set-up, pages only):

    .venv/bin/python benchmarks/page_cost.py [--duration 5] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

PAGE_COST_LIMIT = 2.0
SAMPLE_GAME = 600  # a mid-season game of the demo season: its day, its home team


@dataclass(frozen=True)
class Twin:
    name: str
    page: str
    json: str


def twins(base: str) -> list[Twin]:
    """The pages and their JSON routes, for a game day, a team and a game of the data."""
    game = httpx.get(f"{base}/api/v1/games/{SAMPLE_GAME}").raise_for_status().json()
    day, team, season = game["date"], game["home_team"], game["season"]
    models = "/api/v1/models"
    if httpx.get(base + models).status_code == 404:  # before the model registry: its accuracy
        models = "/api/v1/predictions/accuracy"
    return [
        Twin("day", f"/?date={day}", f"/api/v1/games?date_from={day}&date_to={day}"),
        Twin("standings", f"/standings?season={season}", f"/api/v1/standings?season={season}"),
        Twin("team", f"/teams/{team}", f"/api/v1/teams/{team}"),
        Twin("game", f"/games/{SAMPLE_GAME}", f"/api/v1/games/{SAMPLE_GAME}"),
        Twin("models", "/models", models),
    ]


def check_twins(base: str, pairs: list[Twin]) -> None:
    """Before measuring: each page is HTML and each twin JSON, both 200."""
    for twin in pairs:
        page, data = httpx.get(base + twin.page), httpx.get(base + twin.json)
        assert page.status_code == 200 and "text/html" in page.headers["content-type"], (
            f"{twin.page}: {page.status_code} {page.headers.get('content-type')}")
        assert data.status_code == 200 and "json" in data.headers["content-type"], (
            f"{twin.json}: {data.status_code} {data.headers.get('content-type')}")


def measure_twins(pairs: list[Twin], load: Callable[[str], dict], rounds: int) -> dict[str, dict]:
    """``load(path)`` load-tests one path and returns at least ``rps``, ``p50_ms``, ``errors``."""
    samples: dict[str, list[tuple[dict, dict]]] = {t.name: [] for t in pairs}
    for k in range(rounds):
        for twin in pairs:
            if k % 2:
                data = load(twin.json)
                page = load(twin.page)
            else:
                page = load(twin.page)
                data = load(twin.json)
            samples[twin.name].append((page, data))
    results = {}
    for twin in pairs:
        runs = samples[twin.name]
        ratio = statistics.median(d["rps"] / p["rps"] for p, d in runs if p["rps"])
        errors = sum(p["errors"] + d["errors"] for p, d in runs)
        results[twin.name] = {
            "page": twin.page, "json": twin.json,
            "page_rps": statistics.median(p["rps"] for p, _ in runs),
            "json_rps": statistics.median(d["rps"] for _, d in runs),
            "page_p50_ms": statistics.median(p["p50_ms"] for p, _ in runs),
            "json_p50_ms": statistics.median(d["p50_ms"] for _, d in runs),
            "cost_ratio": round(ratio, 2), "errors": errors,
            "pass": ratio <= PAGE_COST_LIMIT and errors == 0,
        }
    return results


def table(results: dict[str, dict]) -> list[str]:
    lines = ["| page | JSON twin | page req/s | JSON req/s | page p50 ms | JSON p50 ms | "
             "page cost (x JSON) | limit | errors | ok |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|:-:|"]
    for r in results.values():
        lines.append(f"| `{r['page']}` | `{r['json']}` | {r['page_rps']:.0f} | "
                     f"{r['json_rps']:.0f} | {r['page_p50_ms']:.2f} | {r['json_p50_ms']:.2f} | "
                     f"{r['cost_ratio']:.2f} | {PAGE_COST_LIMIT:.0f} | {r['errors']} | "
                     f"{'yes' if r['pass'] else 'NO'} |")
    return lines


def compute_analytics(db_url: str) -> None:
    """Features and predictions, so the pages render ratings, bars and picks as in use."""
    exe = Path(sys.executable).with_name("sports-analytics")
    env = {**os.environ, "DATABASE_URL": db_url, "APP_ENV": "development"}
    for command in ("features", "predict"):
        subprocess.run([str(exe), command], env=env, check=True, capture_output=True)


def http_load(base: str, duration: int, connections: int, threads: int) -> Callable[[str], dict]:
    """A ``load(path)`` for measure_twins: wrk when installed, else the Python generator."""
    from benchmarks.serving import _python_load, run_wrk

    def load(path: str) -> dict:
        if shutil.which("wrk"):
            return run_wrk(base + path, duration, connections, threads)
        return asyncio.run(_python_load(base, [(path, {})], duration, connections))

    return load


def main() -> int:
    from benchmarks.serving import prepare_database, start_server
    from tests.helpers.pgharness import PgCluster, free_port, wait_for

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--duration", type=int, default=5, help="seconds per measurement")
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--threads", type=int, default=2, help="wrk threads")
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    cluster = PgCluster()
    server = None
    try:
        cluster.start()
        wait_for(cluster.url)
        db_url = prepare_database(cluster)
        compute_analytics(db_url)
        port = free_port()
        server = start_server(db_url, port, 2, cluster.root / "serve.log")
        base = f"http://127.0.0.1:{port}"
        pairs = twins(base)
        check_twins(base, pairs)
        results = measure_twins(pairs, http_load(base, args.duration, args.connections,
                                                 args.threads), args.rounds)
    finally:
        if server is not None:
            server.terminate()
            server.wait(30)
        cluster.destroy()
    print("\n".join(table(results)))
    return 0 if all(r["pass"] for r in results.values()) else 1


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    sys.exit(main())
