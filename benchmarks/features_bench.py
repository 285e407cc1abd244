#!/usr/bin/env python3
"""Feature benchmark: recompute ``game_features`` for one full 1230-game season.

It starts a throwaway PostgreSQL cluster (tests/helpers/pgharness.py) unless ``--database-url`` is
given, migrates a fresh database, loads the synthetic demo season (1230 games, both teams'
box scores), then times ``compute_features(engine, season=2025)`` -- delete + one set-based
INSERT ... SELECT in one transaction -- ``--runs`` times after one warm-up run, and reports
min / median / max wall time. Target: median under 2 s.

It also times ``run_predictions`` (elo_v1 + home_always for the season) for reference.

    .venv/bin/python benchmarks/features_bench.py [--runs 7] [--database-url URL]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import uuid
from pathlib import Path

import psycopg
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.serving import postgres_server  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
TARGET_SECONDS = 2.0
SEASON = 2025


def _with_db(url: str, name: str) -> str:
    base, _, _ = url.rpartition("/")
    return f"{base}/{name}"


def bench(admin_url: str, runs: int) -> dict:
    from sports_analytics.analytics.features import compute_features
    from sports_analytics.analytics.predictions import run_predictions
    from sports_analytics.config import Settings
    from sports_analytics.db.migrate import upgrade
    from sports_analytics.ingest.demo.seed import seed_demo

    name = f"sa_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = _with_db(admin_url, name)
    try:
        settings = Settings(database_url=url, log_level="WARNING")
        upgrade(settings)
        seed_demo(settings)
        engine = sa.create_engine(settings.sqlalchemy_url)
        with engine.connect() as conn:
            games = conn.execute(sa.text("SELECT count(*) FROM games WHERE season = :s"),
                                 {"s": SEASON}).scalar_one()
            boxes = conn.execute(sa.text("SELECT count(*) FROM team_game_stats")).scalar_one()
        compute_features(engine, season=SEASON)  # warm-up: caches, plans
        times, rows = [], 0
        for _ in range(runs):
            started = time.perf_counter()
            rows = compute_features(engine, season=SEASON)
            times.append(time.perf_counter() - started)
        pstarted = time.perf_counter()
        run_predictions(engine, season=SEASON)
        predict_seconds = time.perf_counter() - pstarted
        engine.dispose()
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return {
        "games": games, "team_box_scores": boxes, "feature_rows": rows, "runs": runs,
        "min_s": round(min(times), 3), "median_s": round(statistics.median(times), 3),
        "max_s": round(max(times), 3), "target_s": TARGET_SECONDS,
        "predictions_first_run_s": round(predict_seconds, 3),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--database-url", help="a server to use (maintenance DB URL); "
                                               "default: a throwaway local cluster")
    args = parser.parse_args()
    with postgres_server(args.database_url or None) as url:
        result = bench(url, max(1, args.runs))
    ok = result["median_s"] < TARGET_SECONDS
    print("| season games | feature rows | runs | min | median | max | target |")
    print("|---|---|---|---|---|---|---|")
    print(f"| {result['games']} | {result['feature_rows']} | {result['runs']} | "
          f"{result['min_s']:.3f} s | {result['median_s']:.3f} s | {result['max_s']:.3f} s | "
          f"< {TARGET_SECONDS:g} s {'PASS' if ok else 'FAIL'} |")
    print(f"run_predictions (elo_v1 + home_always, first run): "
          f"{result['predictions_first_run_s']:.3f} s")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "features_bench.json").write_text(json.dumps(result, indent=2) + "\n")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
