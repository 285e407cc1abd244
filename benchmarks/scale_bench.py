#!/usr/bin/env python3
"""Scale benchmark: the same routes with 1 season and with 40 seasons in the database.

One run builds both databases on a throwaway PostgreSQL cluster (tests/helpers/pgharness.py)
with ``sports-analytics seed-demo --seasons N`` (synthetic seasons with full box scores, then
features and predictions), and measures:

* **Routes.** Both databases are served at once by ``sports-analytics serve`` (2 workers each,
  on 127.0.0.1). For every season-, team- or date-scoped route, measured back to back on the
  two servers: median and p99 of sequential requests (one keep-alive client), and requests/s
  under ``wrk``. Each 40-season figure is given as a ratio of the 1-season one, as a slowdown
  (latency 40/1, requests/s 1/40): goal <= 1.3.
* **Analytics.** A full ``features`` + ``predict`` over 40 seasons (goal < 60 s), and an
  incremental one after adding one night of games (goal <= 5 % of the full one).
* **Ingest.** ``sports-analytics ingest`` of 40 seasons of team lines (goal < 30 s).

    .venv/bin/python benchmarks/scale_bench.py [--duration 3] [--requests 200]

Prints a markdown report and writes it, with the raw figures, to benchmarks/results/. Exits 1
when a goal is missed (latency goals are judged on the scoped routes' medians).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.serving import (  # noqa: E402
    migrated_database,
    postgres_server,
    run_command,
    run_wrk,
    start_server,
)
from tests.helpers.pgharness import free_port, make_settings  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
SEASONS = (1, 40)
GOAL_RATIO = 1.3  # each scoped route's median latency, 40 seasons over 1
FULL_ANALYTICS_GOAL_S = 60.0  # full features + predict over 40 seasons
INCREMENTAL_GOAL_SHARE = 0.05  # one more night, as a share of the full recompute
INGEST_GOAL_S = 30.0  # ingest of 40 seasons of team lines
ROUTES = (  # (name, path); {gid} a mid-season game of 2025-26, {pid} one of its players
    ("games ?season", "/api/v1/games?season=2025"),
    ("games ?team", "/api/v1/games?team=BOS"),
    ("games ?team&season", "/api/v1/games?team=BOS&season=2025"),
    ("games ?date_from&date_to (a week)", "/api/v1/games?date_from=2026-01-05&date_to=2026-01-11"),
    ("games ?season&status", "/api/v1/games?season=2025&status=final"),
    ("box score", "/api/v1/games/{gid}"),
    ("standings ?season", "/api/v1/standings?season=2025"),
    ("predictions ?season", "/api/v1/predictions?season=2025"),
    ("predictions/accuracy ?season", "/api/v1/predictions/accuracy?season=2025"),
    ("game prediction", "/api/v1/games/{gid}/prediction"),
    ("features", "/api/v1/games/{gid}/features"),
    ("players ?team", "/api/v1/players?team=BOS"),
    ("player", "/api/v1/players/{pid}"),
    ("team roster", "/api/v1/teams/BOS"),
    ("games (unscoped, first page)", "/api/v1/games"),
    ("players (unscoped, first page)", "/api/v1/players"),
)
CSV_HEADER = ("season", "game_date", "game_id", "team", "opponent", "home_away", "pts", "fgm",
              "fga", "fg3m", "fg3a", "ftm", "fta", "oreb", "reb", "ast", "stl", "blk", "tov",
              "pf", "min")


def log(msg: str) -> None:
    print(f"[scale_bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def cli(url: str, *args: str) -> float:
    """Run one ``sports-analytics`` command against ``url``; returns its wall time."""
    return run_command(url, *args)[0]


def build(admin_url: str, seasons: int) -> tuple[str, float]:
    url = migrated_database(admin_url, f"scale_{seasons}")
    took = cli(url, "seed-demo", "--seasons", str(seasons))
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")  # what autovacuum does after a bulk load
    return url, took


def analytics_timings(url: str) -> dict[str, float]:
    """Full features + predict; then one more night of games recomputed the way ingest, sync
    and refresh do it (``recompute_after`` with the new game ids); then another night found
    by change detection (``features`` / ``predict`` without ``--full``)."""
    from sqlalchemy import text

    from sports_analytics.analytics.features import compute_features
    from sports_analytics.analytics.incremental import (
        incremental_features,
        incremental_predictions,
        recompute_after,
    )
    from sports_analytics.analytics.predictions import run_predictions
    from sports_analytics.db.engine import make_job_engine

    out: dict = {"full_cli_s": cli(url, "features", "--full") + cli(url, "predict", "--full")}
    engine = make_job_engine(make_settings(url), application_name="scale-bench")
    try:
        started = time.perf_counter()
        compute_features(engine)
        run_predictions(engine)
        out["full_s"] = time.perf_counter() - started
        night = add_one_night(url)
        started = time.perf_counter()
        with engine.begin() as conn:
            ids = conn.execute(text("SELECT id FROM games WHERE date = :d"), {"d": night})
            out["after"] = recompute_after(conn, list(ids.scalars()))
        out["after_s"] = time.perf_counter() - started
        add_one_night(url)
        started = time.perf_counter()
        out["detected"] = {"features": incremental_features(engine),
                           "predictions": incremental_predictions(engine)}
        out["detected_s"] = time.perf_counter() - started
    finally:
        engine.dispose()
    return out


def add_one_night(url: str) -> Any:
    """The next night's 15 games (the day after the last game), imported without analytics."""
    with psycopg.connect(url) as conn:
        last = conn.execute("SELECT max(date) FROM games").fetchone()[0]
        teams = [r[0] for r in conn.execute("SELECT abbreviation FROM teams ORDER BY id")]
    night = last.fromordinal(last.toordinal() + 1)
    path = RESULTS / "scale_bench-night.csv"
    with path.open("w", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(CSV_HEADER)
        for i in range(0, 30, 2):
            home, away = teams[i], teams[i + 1]
            gid = f"NIGHT-{night.isoformat()}-{home}"
            for team, opp, ha, pts in ((home, away, "H", 110), (away, home, "A", 104)):
                out.writerow((2025, night.isoformat(), gid, team, opp, ha, pts, 40, 85,
                              pts - 2 * 40 - 20 if pts > 100 else 10, 35, 20, 25, 10, 44,
                              25, 7, 5, 13, 19, 240))
    cli(url, "ingest", "--no-analytics", str(path))
    return night


def export_team_lines(url: str, path: Path) -> int:
    """Every game of the database as team game-log CSV rows (docs/ingest-format.md)."""
    sql = """
    SELECT g.season, g.date, 'X' || g.id, t.abbreviation, o.abbreviation,
           CASE WHEN s.is_home THEN 'H' ELSE 'A' END, s.points, s.fgm, s.fga, s.fg3m, s.fg3a,
           s.ftm, s.fta, s.offensive_rebounds, s.rebounds, s.assists, s.steals, s.blocks,
           s.turnovers, s.fouls, s.minutes
    FROM team_game_stats s JOIN games g ON g.id = s.game_id
    JOIN teams t ON t.id = s.team_id
    JOIN teams o ON o.id = CASE WHEN s.is_home THEN g.away_team_id ELSE g.home_team_id END
    ORDER BY g.id, s.is_home DESC"""
    rows = 0
    with psycopg.connect(url) as conn, path.open("w", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(CSV_HEADER)
        for row in conn.execute(sql):
            out.writerow(row)
            rows += 1
    return rows


def ingest_timing(admin_url: str, source_url: str) -> dict[str, float]:
    path = RESULTS / "scale_bench-40-seasons.csv"
    rows = export_team_lines(source_url, path)
    url = migrated_database(admin_url, "scale_ingest")
    took = cli(url, "ingest", "--no-analytics", str(path))
    path.unlink()
    return {"rows": rows, "seconds": took}


def targets(url: str) -> dict[str, int]:
    with psycopg.connect(url) as conn:
        gid = conn.execute("SELECT id FROM games WHERE season = 2025 ORDER BY date, id "
                           "OFFSET 600 LIMIT 1").fetchone()[0]
        pid = conn.execute("SELECT player_id FROM player_game_stats WHERE game_id = %s "
                           "ORDER BY player_id LIMIT 1", (gid,)).fetchone()[0]
    return {"gid": gid, "pid": pid}


def latency(urls: dict[int, str], n: int) -> dict[int, dict[str, float]]:
    """Sequential requests alternating between the servers, so both see the same load."""
    times: dict[int, list[float]] = {k: [] for k in urls}
    with httpx.Client(timeout=10) as client:
        for url in urls.values():
            for _ in range(20):
                assert client.get(url).status_code == 200, url
        for i in range(n):
            for k in (sorted(urls) if i % 2 else sorted(urls, reverse=True)):
                started = time.perf_counter()
                client.get(urls[k])
                times[k].append((time.perf_counter() - started) * 1000)
    out = {}
    for k, values in times.items():
        values.sort()
        out[k] = {"p50_ms": statistics.median(values),
                  "p99_ms": values[int(0.99 * (len(values) - 1))]}
    return out


def throughput(urls: dict[int, str], duration: int, rounds: int = 3) -> dict[int, dict]:
    """Median requests/s of ``rounds`` wrk runs per server, alternating between servers."""
    runs: dict[int, list[dict]] = {k: [] for k in urls}
    for i in range(rounds):
        for k in (sorted(urls) if i % 2 == 0 else sorted(urls, reverse=True)):
            runs[k].append(run_wrk(urls[k], duration, connections=8, threads=2))
    return {k: {"rps": statistics.median(r["rps"] for r in v),
                "errors": sum(r["errors"] for r in v)} for k, v in runs.items()}


def measure_routes(bases: dict[int, str], ids: dict[int, dict[str, int]], duration: int,
                   requests: int) -> list[dict]:
    rows = []
    for name, template in ROUTES:
        row: dict = {"route": name, "path": template}
        urls = {k: base + template.format(**ids[k]) for k, base in bases.items()}
        lat, rps = latency(urls, requests), throughput(urls, duration)
        for seasons in bases:
            row[seasons] = {**lat[seasons], **rps[seasons]}
        one, forty = row[SEASONS[0]], row[SEASONS[1]]
        row["ratio"] = {"p50": forty["p50_ms"] / one["p50_ms"],
                        "p99": forty["p99_ms"] / one["p99_ms"],
                        "rps": one["rps"] / forty["rps"]}
        log(f"{name}: {row['ratio']}")
        rows.append(row)
    return rows


def report(rows: list[dict], builds: dict[int, float], analytics: dict[str, Any],
           ingest: dict[str, float], args: argparse.Namespace) -> str:
    a, b = SEASONS
    lines = [f"Routes: 1 season vs 40 seasons ({time.strftime('%Y-%m-%d')}, {os.cpu_count()} "
             f"CPUs shared by both servers, PostgreSQL and the load generator; {args.requests} "
             f"sequential requests per route for p50/p99, `wrk -t2 -c8 -d{args.duration}s` for "
             "requests/s, median of 3 runs; the two servers are measured alternately; ratios are "
             "slowdowns, 40 seasons over 1: goal <= 1.3).", "",
             f"| route | p50 ms ({a} / {b}) | p99 ms ({a} / {b}) | req/s ({a} / {b}) "
             "| p50 x | p99 x | req/s x |",
             "|---|---|---|---|---|---|---|"]
    for r in rows:
        one, forty, x = r[a], r[b], r["ratio"]
        lines.append(f"| {r['route']} | {one['p50_ms']:.2f} / {forty['p50_ms']:.2f} "
                     f"| {one['p99_ms']:.2f} / {forty['p99_ms']:.2f} "
                     f"| {one['rps']:.0f} / {forty['rps']:.0f} "
                     f"| {x['p50']:.2f} | {x['p99']:.2f} | {x['rps']:.2f} |")
    after, detected = analytics["after"], analytics["detected"]
    share = analytics["after_s"] / analytics["full_s"] * 100
    share_detected = analytics["detected_s"] / analytics["full_s"] * 100
    lines += ["", "| batch work | time | goal |", "|---|---|---|",
              f"| `seed-demo --seasons 1` (generate, load, features, predict) "
              f"| {builds[a]:.1f} s | |",
              f"| `seed-demo --seasons 40` (generate, load, features, predict) "
              f"| {builds[b]:.1f} s | |",
              f"| full `features` + `predict`, 40 seasons, in process "
              f"| {analytics['full_s']:.2f} s | < 60 s |",
              f"| the same as two `--full` CLI runs (interpreter start included) "
              f"| {analytics['full_cli_s']:.2f} s | < 60 s |",
              f"| incremental features + predictions after one night of 15 games, as `ingest`, "
              f"`sync` and `refresh` run them (`recompute_after` with the new ids; "
              f"{after['feature_rows']} feature rows, {after['prediction_games']} games "
              f"predicted) | {analytics['after_s']:.3f} s ({share:.1f} % of full) | <= 5 % |",
              f"| the same for the next night through `features` + `predict` without `--full` "
              f"(change detection; {detected['features']['rows']} feature rows, "
              f"{detected['predictions']['games']} games predicted) "
              f"| {analytics['detected_s']:.3f} s ({share_detected:.1f} % of full) | <= 5 % |",
              f"| `ingest` of 40 seasons of team lines ({ingest['rows']} rows) "
              f"| {ingest['seconds']:.1f} s | < 30 s |"]
    return "\n".join(lines)


def scoped(route: str) -> bool:
    """The unscoped first pages count up to 2,000 rows by design; every other route is scoped."""
    return "unscoped" not in route


def misses(rows: list[dict], analytics: dict[str, Any], ingest: dict[str, float]) -> list[str]:
    """Every goal the run missed, one line each (empty: all met).

    Latency goals apply to the medians: p99 and requests/s swing by up to 1.5x between runs on
    a shared machine for primary-key lookups, so they are reported, not judged."""
    missed = [f"{r['route']}: p50 {r['ratio']['p50']:.2f}x (goal <= {GOAL_RATIO})"
              for r in rows if scoped(r["route"]) and r["ratio"]["p50"] > GOAL_RATIO]
    for key, label in (("full_s", "full features + predict, in process"),
                       ("full_cli_s", "full features + predict, two CLI runs")):
        if analytics[key] >= FULL_ANALYTICS_GOAL_S:
            missed.append(f"{label}: {analytics[key]:.1f} s (goal < {FULL_ANALYTICS_GOAL_S:g} s)")
    for key, label in (("after_s", "one more night, recompute_after"),
                       ("detected_s", "the next night, change detection")):
        share = analytics[key] / analytics["full_s"]
        if share > INCREMENTAL_GOAL_SHARE:
            missed.append(f"{label}: {share:.1%} of full (goal <= {INCREMENTAL_GOAL_SHARE:.0%})")
    if ingest["seconds"] >= INGEST_GOAL_S:
        missed.append(f"ingest of 40 seasons: {ingest['seconds']:.1f} s (goal < {INGEST_GOAL_S:g} s)")
    return missed


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--duration", type=int, default=3, help="wrk seconds per route and database")
    ap.add_argument("--requests", type=int, default=200, help="sequential requests per route")
    args = ap.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is required (Debian: apt-get install -y wrk)")
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    servers: list[subprocess.Popen] = []
    with postgres_server() as admin_url:
        try:
            urls, builds = {}, {}
            for seasons in SEASONS:
                log(f"building {seasons} season(s)")
                urls[seasons], builds[seasons] = build(admin_url, seasons)
            bases, ids = {}, {}
            for seasons in SEASONS:
                port = free_port()
                servers.append(start_server(urls[seasons], port, 2,
                                            RESULTS / f"scale_bench-{stamp}-{seasons}.log"))
                bases[seasons], ids[seasons] = f"http://127.0.0.1:{port}", targets(urls[seasons])
            log("measuring routes")
            rows = measure_routes(bases, ids, args.duration, args.requests)
            for proc in servers:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(30)
            servers = []
            log("timing analytics and ingest")
            analytics = analytics_timings(urls[SEASONS[1]])
            ingest = ingest_timing(admin_url, urls[SEASONS[1]])
        finally:
            for proc in servers:
                os.killpg(proc.pid, signal.SIGKILL)
    text = report(rows, builds, analytics, ingest, args)
    print(text)
    (RESULTS / f"scale_bench-{stamp}.md").write_text(text + "\n")
    (RESULTS / f"scale_bench-{stamp}.json").write_text(json.dumps(
        {"routes": rows, "builds": builds, "analytics": analytics, "ingest": ingest},
        indent=2, default=str) + "\n")
    missed = misses(rows, analytics, ingest)
    for line in missed:
        print(f"goal missed: {line}", file=sys.stderr)
    print("all goals met" if not missed else f"{len(missed)} goal(s) missed")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
