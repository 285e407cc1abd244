#!/usr/bin/env python3
"""Training benchmark: ``train`` on 40 seasons, training's share of a one-night refresh, and
what request handling would pay for the training library.

On a throwaway PostgreSQL cluster (or ``--database-url``, an admin URL):

1. **40 seasons**: ``seed-demo --seasons 40 --no-analytics``, ``features --full`` and
   ``predict --full``, then ``train`` as a fresh process (every weekly snapshot fitted, the
   scikit-learn import included), then ``train`` again (nothing changed: no version, no row);
2. **one night**: the refresh benchmark's season (benchmarks/refresh_bench.py: the fake NBA
   stats API, 1230 games) is refreshed with all but the last night final, then after the last
   night's 15 games went final. The refresh run records its training step's own seconds
   (``refresh_runs.counts -> models -> seconds``): its share of the refresh without it;
3. **worker memory**: peak RSS of a process that builds the app and answers
   ``/api/v1/models`` and ``/api/v1/predictions/accuracy`` (the training library stays
   unimported), and of the same process after importing scikit-learn, for comparison.

Exits 1 when a target is missed: train on 40 seasons <= 30 s, training adds <= 10 % to the
one-night refresh, no training library in the request path.

    .venv/bin/python benchmarks/train_bench.py [--database-url URL] [--rounds 2]
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.refresh_bench import SEASON_START, season_games  # noqa: E402
from benchmarks.serving import postgres_server, report  # noqa: E402
from tests.helpers.fake_stats import FakeStats  # noqa: E402
from tests.helpers.relharness import cli_env, cli_path  # noqa: E402

TRAIN_TARGET_S = 30.0
NIGHT_TARGET_RATIO = 0.10
SEASONS = 40


def _database(admin_url: str) -> str:
    name = f"sa_train_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return admin_url.rpartition("/")[0] + f"/{name}"


def _drop(admin_url: str, url: str) -> None:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{url.rpartition("/")[2]}" WITH (FORCE)')


def _cli(url: str, *argv: str, **env: str) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run([cli_path(), *argv], env=cli_env(url, **env), capture_output=True,
                          text=True, timeout=3600)
    took = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{argv[0]} failed: {done.stdout[-2000:]}{done.stderr[-2000:]}")
    return took, done.stdout


def bench_history(admin_url: str) -> dict:
    url = _database(admin_url)
    try:
        _cli(url, "migrate")
        seed, _ = _cli(url, "seed-demo", "--seasons", str(SEASONS), "--no-analytics")
        _cli(url, "features", "--full")
        _cli(url, "predict", "--full")
        wall, out = _cli(url, "train")
        command = float(re.search(r"train: done in ([0-9.]+)s", out).group(1))  # type: ignore[union-attr]
        again_wall, again = _cli(url, "train")
        with psycopg.connect(url) as conn:
            games, versions = conn.execute(
                "SELECT (SELECT count(*) FROM games), (SELECT count(*) FROM model_versions)"
            ).fetchone()  # type: ignore[misc]
        return {"seasons": SEASONS, "games": games, "seed_s": round(seed, 1),
                "train_command_s": command, "train_process_s": round(wall, 2),
                "retrain_unchanged_process_s": round(again_wall, 2),
                "retrain_unchanged_output": again.strip().splitlines(),
                "model_versions": versions}
    finally:
        _drop(admin_url, url)


def _refresh(url: str, fake: FakeStats) -> tuple[float, float]:
    """(the refresh's own seconds, its training step's seconds) from its refresh_runs row."""
    _cli(url, "refresh", "--season", "2026", NBA_STATS_BASE_URL=fake.base_url,
         NBA_STATS_REQUEST_DELAY_SECONDS="0")
    with psycopg.connect(url) as conn:
        seconds, models = conn.execute(
            "SELECT extract(epoch FROM finished_at - started_at), counts -> 'models' "
            "FROM refresh_runs ORDER BY id DESC LIMIT 1").fetchone()  # type: ignore[misc]
    return float(seconds), float(models.get("seconds", 0.0))


def bench_night(admin_url: str) -> dict:
    url = _database(admin_url)
    fake = FakeStats(first_day=SEASON_START, games=season_games(), roster_size=8,
                     cache_documents=True).start()
    try:
        _cli(url, "migrate")
        for kind in ("T", "P", "schedule"):
            fake.body(kind)
        first = _refresh(url, fake)
        for g in [g for g in fake.games if not g.final]:
            fake.finish(g.game_id)
        for kind in ("T", "P", "schedule"):
            fake.body(kind)
        night = _refresh(url, fake)
        return {"season_refresh_s": round(first[0], 3), "season_train_s": first[1],
                "night_refresh_s": round(night[0], 3), "night_train_s": night[1],
                "night_ratio": round(night[1] / max(night[0] - night[1], 1e-9), 3)}
    finally:
        fake.stop()
        _drop(admin_url, url)


_MEMORY = """
import json, resource, sys
from fastapi.testclient import TestClient
from sports_analytics.app import create_app
from tests.helpers.pgharness import make_settings
with TestClient(create_app(make_settings(sys.argv[1]))) as client:
    assert client.get("/api/v1/models").status_code == 200
    assert client.get("/api/v1/predictions/accuracy").status_code == 200
serving = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
loaded = sorted({m.split(".")[0] for m in sys.modules} & {"sklearn", "lightgbm", "scipy"})
import sklearn.linear_model  # what a worker would carry if requests imported training code
print(json.dumps({"serving_kib": serving, "training_libraries_loaded": loaded,
                  "with_sklearn_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""


def bench_memory(admin_url: str) -> dict:
    url = _database(admin_url)
    try:
        _cli(url, "migrate")
        _cli(url, "seed-demo")
        done = subprocess.run([sys.executable, "-c", _MEMORY, url], capture_output=True,
                              text=True, cwd=ROOT, timeout=600, check=True)
        got = json.loads(done.stdout.strip().splitlines()[-1])
        return {"serving_mib": round(got["serving_kib"] / 1024, 1),
                "with_sklearn_mib": round(got["with_sklearn_kib"] / 1024, 1),
                "training_libraries_loaded": got["training_libraries_loaded"]}
    finally:
        _drop(admin_url, url)


def misses(result: dict) -> list[str]:
    missed = []
    if result["history"]["train_command_s"] > TRAIN_TARGET_S:
        missed.append(f"train on {SEASONS} seasons: {result['history']['train_command_s']} s "
                      f"(target <= {TRAIN_TARGET_S})")
    if result["night_ratio_median"] > NIGHT_TARGET_RATIO:
        missed.append(f"one night: training adds {result['night_ratio_median']:.3f} of the "
                      f"refresh (target <= {NIGHT_TARGET_RATIO})")
    if result["memory"]["training_libraries_loaded"]:
        missed.append(f"request path loaded {result['memory']['training_libraries_loaded']}")
    return missed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="admin URL of a running PostgreSQL")
    parser.add_argument("--rounds", type=int, default=2, help="one-night rounds (median)")
    args = parser.parse_args()
    with postgres_server(args.database_url) as url:
        nights = [bench_night(url) for _ in range(args.rounds)]
        result = {"nights": nights,
                  "night_ratio_median": statistics.median(n["night_ratio"] for n in nights),
                  "memory": bench_memory(url), "history": bench_history(url)}
    return report("train_bench", result, misses(result))


if __name__ == "__main__":
    sys.exit(main())
