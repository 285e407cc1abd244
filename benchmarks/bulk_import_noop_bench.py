#!/usr/bin/env python3
"""No-op analytics after a bulk import: plain ``features`` / ``predict`` right after ``ingest``.

On a throwaway PostgreSQL cluster (tests/helpers/pgharness.py) unless ``--database-url`` is
given:

1. a source database with ``seed-demo --seasons N+1`` gives N synthetic seasons before the demo
   season; their team lines are exported as one team game-log CSV (docs/ingest-format.md);
2. the benchmark database: ``migrate``, ``seed-demo`` (the demo season), ``features``,
   ``predict``, then ``ingest`` of that CSV (which recomputes the analytics it affects);
3. plain ``features`` twice and plain ``predict`` once, timed: nothing is left to change, so
   each must finish within the goal (1 s), and ``features --full`` is timed for reference.

Each plain run is judged on the time the command itself reports (its ``features computed`` /
``predictions computed`` log line: connect, detect, recompute, commit), which leaves out the
interpreter's start-up; the wall time of the whole process is reported beside it.

    .venv/bin/python benchmarks/bulk_import_noop_bench.py [--seasons 40] [--database-url URL]

Prints the timings as JSON and writes them to benchmarks/results/; exits 1 when a plain run
after the import takes longer than the goal or changes anything.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.serving import migrated_database, postgres_server, run_command  # noqa: E402
from tests.helpers.relharness import json_lines  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
GOAL_SECONDS = 1.0
CSV_HEADER = ("season", "game_date", "game_id", "team", "opponent", "home_away", "pts", "fgm",
              "fga", "fg3m", "fg3a", "ftm", "fta", "oreb", "reb", "ast", "stl", "blk", "tov",
              "pf", "min")
EXPORT = """
SELECT g.season, g.date, 'H' || g.id, t.abbreviation, o.abbreviation,
       CASE WHEN s.is_home THEN 'H' ELSE 'A' END, s.points, s.fgm, s.fga, s.fg3m, s.fg3a,
       s.ftm, s.fta, s.offensive_rebounds, s.rebounds, s.assists, s.steals, s.blocks,
       s.turnovers, s.fouls, s.minutes
FROM team_game_stats s JOIN games g ON g.id = s.game_id
JOIN teams t ON t.id = s.team_id
JOIN teams o ON o.id = CASE WHEN s.is_home THEN g.away_team_id ELSE g.home_team_id END
WHERE g.season < 2025 ORDER BY g.id, s.is_home DESC
"""


def log(msg: str) -> None:
    print(f"[bulk_import_noop_bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr,
          flush=True)


def cli(url: str, *args: str) -> tuple[float, list[dict[str, Any]]]:
    """One ``sports-analytics`` command at INFO: (wall seconds, its JSON log lines)."""
    took, output = run_command(url, *args, log_level="INFO")
    return took, json_lines(output)


def new_db(admin_url: str, prefix: str) -> str:
    return migrated_database(admin_url, f"{prefix}_{uuid.uuid4().hex[:8]}")


def export_history(admin_url: str, seasons: int, path: Path) -> int:
    url = new_db(admin_url, "noop_src")
    log(f"seed-demo --seasons {seasons + 1} (the source of {seasons} imported seasons)")
    cli(url, "seed-demo", "--seasons", str(seasons + 1), "--no-analytics")
    rows = 0
    with psycopg.connect(url) as conn, path.open("w", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(CSV_HEADER)
        for row in conn.execute(EXPORT):
            out.writerow(row)
            rows += 1
    return rows


def _summary(lines: list[dict[str, Any]]) -> dict[str, Any]:
    found = [x for x in lines if x.get("event") in ("features computed",
                                                    "predictions computed")]
    if not found:
        raise SystemExit("no 'features computed' / 'predictions computed' log line")
    return {k: v for k, v in found[-1].items() if k in ("rows", "changed", "games", "mode",
                                                         "seconds")}


def bench(admin_url: str, seasons: int) -> dict[str, Any]:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"bulk_import_noop-{seasons}-seasons.csv"
    rows = export_history(admin_url, seasons, path)
    url = new_db(admin_url, "noop_bench")
    out: dict[str, Any] = {"seasons_imported": seasons, "csv_rows": rows}
    try:
        for step in (("seed-demo",), ("features",), ("predict",)):
            out[" ".join(step)] = round(cli(url, *step)[0], 2)
        log(f"ingest of {rows} rows")
        out["ingest"] = round(cli(url, "ingest", str(path))[0], 2)
        for key, args in (("features (plain, 1st)", ("features",)),
                          ("features (plain, 2nd)", ("features",)),
                          ("predict (plain)", ("predict",))):
            took, lines = cli(url, *args)
            summary = _summary(lines)
            out[key] = summary["seconds"]
            out[key + " (wall, with start-up)"] = round(took, 3)
            out[key + " result"] = summary
            log(f"{key}: {summary['seconds']} s in the command, {took:.3f} s wall")
        out["features --full"] = round(cli(url, "features", "--full")[0], 2)
    finally:
        path.unlink(missing_ok=True)
    return out


def misses(out: dict[str, Any]) -> list[str]:
    bad = []
    for key in ("features (plain, 1st)", "features (plain, 2nd)", "predict (plain)"):
        if out[key] > GOAL_SECONDS:
            bad.append(f"{key}: {out[key]} s > {GOAL_SECONDS} s")
        result = out[key + " result"]
        if result.get("rows") or result.get("changed"):
            bad.append(f"{key}: changed {result} after nothing changed")
    return bad


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--seasons", type=int, default=40)
    parser.add_argument("--database-url", help="an admin URL of a running server")
    args = parser.parse_args()
    with postgres_server(args.database_url) as admin_url:
        out = bench(admin_url, args.seasons)
    out["goal_seconds"] = GOAL_SECONDS
    out["misses"] = misses(out)
    text = json.dumps(out, indent=2, default=str)
    print(text)
    (RESULTS / "bulk_import_noop_bench.json").write_text(text + "\n", encoding="utf-8")
    return 1 if out["misses"] else 0


if __name__ == "__main__":
    sys.exit(main())
