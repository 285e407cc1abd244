#!/usr/bin/env python3
"""Lighthouse on ``/`` and ``/standings``: accessibility, best practices and performance.

The pinned Lighthouse (``tools/browser``, ``npm ci --prefix tools/browser``) drives the system
Chromium (Debian's ``chromium``) headless. Lighthouse's default profile is used: a mid-range
phone on a slow 4G connection, simulated. Each page is audited ``--runs`` times and the median
score per category is kept (performance varies a few points between runs; the median is
Lighthouse's own advice).

Without ``--base-url`` it starts a throwaway PostgreSQL cluster, seeds the demo as the Compose
quick start does (``seed-demo --as-of today``: today's games scheduled, the days before final),
computes features and predictions, and serves the app on 127.0.0.1; with it, it audits that
server. It prints a markdown table, writes the JSON reports' scores to benchmarks/results/
(gitignored), and exits 1 unless every page reaches the floors below.

    .venv/bin/python benchmarks/lighthouse_bench.py [--runs 3] [--base-url http://127.0.0.1:8000]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

LIGHTHOUSE = ROOT / "tools" / "browser" / "node_modules" / ".bin" / "lighthouse"
RESULTS = ROOT / "benchmarks" / "results"
PAGES = ("/", "/standings")
FLOORS = {"accessibility": 95, "best-practices": 95, "performance": 90}
# Shown per run: what the performance score is made of (and the server's response time).
METRICS = ("first-contentful-paint", "largest-contentful-paint", "total-blocking-time",
           "cumulative-layout-shift", "speed-index", "server-response-time")
CHROME_FLAGS = "--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage"


def log(msg: str) -> None:
    print(f"[lighthouse] {msg}", file=sys.stderr, flush=True)


def chromium() -> str:
    path = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which(
        "chromium-browser")
    if not path:
        raise SystemExit("Chromium is not installed (apt-get install chromium)")
    return path


def audit(url: str, chrome: str, workdir: Path) -> dict[str, int]:
    """One Lighthouse run: category -> score (0-100)."""
    if not LIGHTHOUSE.exists():
        raise SystemExit(f"Lighthouse is not installed: npm ci --prefix {LIGHTHOUSE.parents[2]}")
    report = workdir / "report.json"
    cmd = [str(LIGHTHOUSE), url, "--quiet", "--output=json", f"--output-path={report}",
           f"--chrome-path={chrome}", f"--chrome-flags={CHROME_FLAGS}",
           "--only-categories=" + ",".join(FLOORS)]
    for attempt in (1, 2):
        report.unlink(missing_ok=True)
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=240, check=False)
        if done.returncode == 0 and report.exists():
            break
        # A trace Lighthouse could not record (NO_NAVSTART and the like) says "run again".
        log(f"{url}: attempt {attempt} failed ({done.returncode}): {done.stderr[-500:]}")
    else:
        raise SystemExit(f"lighthouse failed on {url} ({done.returncode}): {done.stderr[-2000:]}")
    result = json.loads(report.read_text())
    audits = result["audits"]
    log(f"{url}: " + ", ".join(f"{key} {audits[key]['displayValue']}" for key in METRICS))
    return {name: round(result["categories"][name]["score"] * 100) for name in FLOORS}


def warm_up(url: str, requests: int = 5) -> None:
    """A few requests first: a running server has compiled its templates and filled its pools,
    and the audit should not time the first request after start-up."""
    for _ in range(requests):
        httpx.get(url, timeout=30).raise_for_status()


def settled(samples: list[dict[str, int]], runs: int) -> bool:
    """True when the audits still to come cannot change any category's median verdict: a
    median of ``runs`` reaches a floor exactly when more than half of the audits do."""
    majority = runs // 2 + 1
    for category, floor in FLOORS.items():
        above = sum(s[category] >= floor for s in samples)
        if above < majority and len(samples) - above < runs - majority + 1:
            return False
    return True


def audit_pages(base_url: str, runs: int, stop_when_settled: bool = False
                ) -> dict[str, dict[str, int]]:
    chrome = chromium()
    scores: dict[str, dict[str, int]] = {}
    with tempfile.TemporaryDirectory(prefix="lighthouse-") as tmp:
        for path in PAGES:
            warm_up(base_url + path)
            samples: list[dict[str, int]] = []
            while len(samples) < runs and not (stop_when_settled and settled(samples, runs)):
                samples.append(audit(base_url + path, chrome, Path(tmp)))
            log(f"{path}: {samples}")
            scores[path] = {c: round(statistics.median(s[c] for s in samples)) for c in FLOORS}
    return scores


def shortfalls(scores: dict[str, dict[str, int]]) -> list[str]:
    return [f"{path} {category} {value} < {FLOORS[category]}"
            for path, by_category in scores.items()
            for category, value in by_category.items() if value < FLOORS[category]]


def table(scores: dict[str, dict[str, int]]) -> str:
    lines = ["| page | " + " | ".join(FLOORS) + " |", "|---" * (len(FLOORS) + 1) + "|"]
    lines += [f"| `{path}` | " + " | ".join(str(s[c]) for c in FLOORS) + " |"
              for path, s in scores.items()]
    lines.append("| floor | " + " | ".join(f">= {v}" for v in FLOORS.values()) + " |")
    return "\n".join(lines)


def serve_demo(stack: ExitStack) -> str:
    """A throwaway cluster with today's demo and its analytics, served on loopback."""
    from tests.helpers.pgharness import PgCluster, make_settings, wait_for, with_dbname
    from tests.helpers.serving import BIN, ServeProcess, inherited_env, with_password

    from sports_analytics.db.migrate import upgrade
    from sports_analytics.ingest.demo.as_of import parse_as_of
    from sports_analytics.ingest.demo.seed import seed_demo

    cluster = PgCluster()
    cluster.start()
    stack.callback(cluster.destroy)
    wait_for(cluster.url)
    import psycopg

    with psycopg.connect(cluster.url, autocommit=True) as conn:
        conn.execute("CREATE DATABASE lighthouse")
    url = with_dbname(cluster.url, "lighthouse")
    upgrade(make_settings(url))
    seed_demo(make_settings(url), as_of=parse_as_of("today"))
    env = {**inherited_env(), "APP_ENV": "production", "WEB_CONCURRENCY": "2",
           "DATABASE_URL": with_password(url, "lighthouse-bench")}  # trust auth ignores it
    for command in ("features", "predict"):
        subprocess.run([str(BIN), command], env=env, check=True, capture_output=True)
    logs = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="lighthouse-serve-")))
    served = ServeProcess(env, logs, ready_timeout=120)  # a busy machine boots workers slowly
    stack.callback(served.terminate)
    return served.base_url


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3, help="audits per page (the median is kept)")
    ap.add_argument("--base-url", help="audit this server instead of starting one")
    ap.add_argument("--stop-when-settled", action="store_true",
                    help="stop auditing a page once the remaining audits cannot change its "
                         "pass/fail verdict (a check, not a figure)")
    args = ap.parse_args()
    with ExitStack() as stack:
        base_url = args.base_url or serve_demo(stack)
        scores = audit_pages(base_url.rstrip("/"), args.runs, args.stop_when_settled)
    print(table(scores))
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "lighthouse.json").write_text(json.dumps(
        {"scores": scores, "floors": FLOORS, "runs": args.runs}, indent=2))
    missed = shortfalls(scores)
    for line in missed:
        print(f"below the floor: {line}", file=sys.stderr)
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
