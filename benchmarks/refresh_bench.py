#!/usr/bin/env python3
"""Refresh benchmark: what the nightly job costs when little or nothing changed.

Against the local fake stats API (tests/helpers/fake_stats.py) serving a full 1230-game,
30-team season (8 players a team), on one fresh database of a throwaway PostgreSQL cluster
(or ``--database-url``), all in one run:

1. **full season**: the first ``sports-analytics refresh`` loads every game played so far
   (all but the last night) with box scores, player lines, the remaining schedule, features
   and predictions;
2. **no change**: the same refresh again (upstream unchanged): nothing is written, no data
   version bump;
3. **one night**: the last night's games go final upstream, then refresh;
4. **--full**: a refresh that recomputes the analytics of the whole season, for reference.

Each step runs the real CLI as the CronJob does (a fresh process: interpreter, nba_api and
pandas imports included). Figures are the process's wall time and the command's own time
(its ``refresh complete`` log line), each also as a ratio to step 1: medians over
``--rounds`` sequences, each on a fresh database (the machine is shared, single runs are noisy).

    .venv/bin/python benchmarks/refresh_bench.py [--database-url URL]

Exits 1 when the no-change refresh costs a tenth of the full-season one or more, or bumps the
data version.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.serving import postgres_server, report  # noqa: E402
from tests.helpers.fake_stats import FakeGame, FakeStats  # noqa: E402
from tests.helpers.relharness import cli_env, cli_path, json_lines  # noqa: E402

from sports_analytics.ingest.teams import NBA_TEAMS  # noqa: E402

SEASON_START = dt.date(2026, 10, 20)
GAMES_PER_NIGHT = 15  # every team plays: 82 nights give 1230 games


def season_games() -> list[FakeGame]:
    """A 1230-game round-robin season: 30 teams, 15 games a night, 82 nights."""
    teams = [t.abbreviation for t in NBA_TEAMS]
    games: list[FakeGame] = []
    ring = teams[1:]
    for night in range(82):
        day = SEASON_START + dt.timedelta(days=night)
        lineup = [teams[0], *ring]
        for i in range(GAMES_PER_NIGHT):
            a, b = lineup[i], lineup[-1 - i]
            home, away = (a, b) if (night + i) % 2 else (b, a)
            n = len(games) + 1
            games.append(FakeGame(f"00226{n:05d}", day, dt.time(19, 30), home, away,
                                  night < 81, n))
        ring = ring[-1:] + ring[:-1]
    return games


def _refresh(url: str, fake: FakeStats, *extra: str) -> tuple[float, float]:
    """(wall time of the process, the command's own ``seconds`` from its summary line)."""
    env = cli_env(url, NBA_STATS_BASE_URL=fake.base_url, NBA_STATS_REQUEST_DELAY_SECONDS="0")
    started = time.perf_counter()
    done = subprocess.run([cli_path(), "refresh", "--season", "2026", *extra], env=env,
                          capture_output=True, text=True, timeout=1800)
    took = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"refresh failed: {done.stdout[-2000:]}{done.stderr[-2000:]}")
    line = next(x for x in json_lines(done.stdout + done.stderr)
                if x.get("event") == "refresh complete")
    return took, float(line["seconds"])


def _version(url: str) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT coalesce(max(version), 0) FROM data_versions").fetchone()
        assert row is not None
        return int(row[0])


STEPS = ("full_season", "no_change", "one_night", "full_recompute")
# A refresh with nothing new upstream costs under a tenth of a full-season load (the command's
# own time, median over the rounds) and bumps no data version, so ETags stay valid.
NO_CHANGE_TARGET_RATIO = 0.10


def bench_round(admin_url: str) -> dict:
    """One sequence of the four steps on a fresh database: step -> (wall s, command s)."""
    from sports_analytics.config import Settings
    from sports_analytics.db.migrate import upgrade

    name = f"sa_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = admin_url.rpartition("/")[0] + f"/{name}"
    fake = FakeStats(first_day=SEASON_START, games=season_games(), roster_size=8,
                     cache_documents=True).start()
    for kind in ("T", "P", "schedule"):
        fake.body(kind)
    try:
        upgrade(Settings(database_url=url, log_level="WARNING"))
        out: dict = {"full_season": _refresh(url, fake)}
        v1 = _version(url)
        out["no_change"] = _refresh(url, fake)
        out["no_change_bumped_data_version"] = _version(url) != v1
        last = [g for g in fake.games if not g.final]
        for g in last:
            fake.finish(g.game_id)
        for kind in ("T", "P", "schedule"):  # published before the job runs, like the real API
            fake.body(kind)
        out["one_night"] = _refresh(url, fake)
        out["full_recompute"] = _refresh(url, fake, "--full")
        out["new_games_last_night"] = len(last)
        with psycopg.connect(url) as conn:
            out["counts"] = conn.execute("SELECT (SELECT count(*) FROM games), "
                                         "(SELECT count(*) FROM player_game_stats), "
                                         "(SELECT count(*) FROM predictions)").fetchone()
    finally:
        fake.stop()
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return out


def bench(admin_url: str, rounds: int) -> dict:
    results = [bench_round(admin_url) for _ in range(rounds)]
    games, lines, predictions = results[-1]["counts"]
    out: dict = {"rounds": rounds, "games": games, "player_lines": lines,
                 "predictions": predictions,
                 "new_games_last_night": results[-1]["new_games_last_night"],
                 "no_change_bumped_data_version": any(r["no_change_bumped_data_version"]
                                                      for r in results)}
    for i, kind in enumerate(("wall", "command")):
        base = statistics.median(r["full_season"][i] for r in results)
        for step in STEPS:
            values = [r[step][i] for r in results]
            median = statistics.median(values)
            out[f"{step}_{kind}_s"] = round(median, 2)
            out[f"{step}_{kind}_ratio"] = round(median / base, 3)
            out[f"{step}_{kind}_round_ratios"] = [round(r[step][i] / r["full_season"][i], 3)
                                                  for r in results]
    return out


def misses(result: dict) -> list[str]:
    """The targets this result misses, one line each (empty: all met)."""
    missed = []
    ratio = result["no_change_command_ratio"]
    if ratio >= NO_CHANGE_TARGET_RATIO:
        missed.append(f"no change upstream: {ratio:.3f} of a full-season refresh "
                      f"(target < {NO_CHANGE_TARGET_RATIO})")
    if result["no_change_bumped_data_version"]:
        missed.append("no change upstream: the data version was bumped (target: unchanged)")
    return missed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="admin URL of a running PostgreSQL")
    parser.add_argument("--rounds", type=int, default=3, help="fresh databases (medians)")
    args = parser.parse_args()
    with postgres_server(args.database_url) as url:
        result = bench(url, args.rounds)
    missed = misses(result)
    return report("refresh_bench", result, missed, verdict=(
        f"no change: {result['no_change_command_ratio']:.3f} of a full season "
        f"(target < {NO_CHANGE_TARGET_RATIO}), data version bumped: "
        f"{result['no_change_bumped_data_version']} -> {'FAIL' if missed else 'PASS'}"))


if __name__ == "__main__":
    sys.exit(main())
