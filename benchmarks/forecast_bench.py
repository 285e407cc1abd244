#!/usr/bin/env python3
"""Season forecast benchmark: the simulation's speed, and what the forecast adds to a refresh.

1. **Simulation** (no database): the demo's 1,230-game schedule from opening night, every game
   still to play, simulated with play-in and playoffs, 10,000 and 50,000 times, on one core
   (the process is pinned to one CPU). Figures are CPU seconds of the process (the machine is
   shared, so wall time also counts other work), median of ``--rounds``; wall time is shown too.
   Targets: 10,000 in at most 2 s, 50,000 in at most 10 s.
2. **Refresh after one new night** (a throwaway PostgreSQL and the local fake NBA stats API,
   tests/helpers/fake_stats.py): a 1,230-game season loaded through the middle night, then the
   next night's 15 games go final and ``sports-analytics refresh`` runs as the CronJob runs it
   (10,000 simulations), once with the stats API's default pause between requests
   (``NBA_STATS_REQUEST_DELAY_SECONDS``, as deployed) and, on the night after, with no pause
   (the lower bound of a refresh's time). The forecast's own time in the refresh (its
   ``seconds`` in the run's counts) against the rest of the refresh's time. Target: at most
   10 % as deployed; the no-pause share is reported beside it.

    .venv/bin/python benchmarks/forecast_bench.py [--rounds 3] [--skip-refresh]

Exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from benchmarks.serving import postgres_server, report  # noqa: E402
from tests.helpers.fake_stats import FakeStats  # noqa: E402
from tests.helpers.relharness import cli_env, cli_path, json_lines  # noqa: E402

from sports_analytics.analytics.elo import ELO_V1  # noqa: E402
from sports_analytics.forecast.odds import simulate_odds  # noqa: E402
from sports_analytics.forecast.ratings import RatingSource  # noqa: E402
from sports_analytics.forecast.season import SeasonArrays, build_season  # noqa: E402
from sports_analytics.ingest.demo.schedule import pairings, schedule  # noqa: E402
from sports_analytics.ingest.demo.season import DEMO_SEED  # noqa: E402
from sports_analytics.ingest.teams import NBA_TEAMS  # noqa: E402

TARGETS = {10_000: 2.0, 50_000: 10.0}  # simulations -> CPU seconds
REFRESH_SHARE_TARGET = 0.10


def opening_night() -> tuple[SeasonArrays, RatingSource]:
    """The demo schedule with no game played, and ratings spread like a real league's."""
    rng = random.Random(DEMO_SEED)
    games = sorted(schedule(rng, pairings(NBA_TEAMS)), key=lambda g: (g.date, g.home))
    rows = [(g.home, g.away, False, False, 0, g.date, False, "002") for g in games]
    teams = [(t.id, t.abbreviation, t.conference, t.division) for t in NBA_TEAMS]
    ratings = {t.id: 1505 + rng.gauss(0, 90) for t in NBA_TEAMS}
    return build_season(2025, 0, teams, rows), RatingSource("elo_v1", None, ratings, ELO_V1)


def bench_simulation(rounds: int) -> dict:
    data, source = opening_night()
    out: dict = {"games": data.games_remaining, "cpu": os.sched_getaffinity(0)}
    for sims in TARGETS:
        cpu, wall = [], []
        for r in range(rounds):
            c0, w0 = time.process_time(), time.perf_counter()
            odds = simulate_odds(data, source, sims, seed=r)
            cpu.append(time.process_time() - c0)
            wall.append(time.perf_counter() - w0)
        assert round(sum(o.p_title for o in odds), 6) == 1
        out[f"sims_{sims}_cpu_s"] = round(statistics.median(cpu), 3)
        out[f"sims_{sims}_wall_s"] = round(statistics.median(wall), 3)
    out["cpu"] = sorted(out["cpu"])
    return out


def _refresh(url: str, fake: FakeStats, **env_extra: str) -> dict:
    env = cli_env(url, NBA_STATS_BASE_URL=fake.base_url, **env_extra)
    done = subprocess.run([cli_path(), "refresh", "--season", "2026"], env=env,
                          capture_output=True, text=True, timeout=1800)
    if done.returncode != 0:
        raise SystemExit(f"refresh failed: {done.stdout[-2000:]}{done.stderr[-2000:]}")
    return next(x for x in json_lines(done.stdout) if x.get("command") == "refresh")


def _next_night(url: str, fake: FakeStats, **env_extra: str) -> tuple[float, float, int]:
    """The next scheduled night goes final, then refresh: (refresh s, forecast s, games left)."""
    night = min(g.day for g in fake.games if not g.final)
    for g in fake.games:
        if g.day == night:
            fake.finish(g.game_id)
    result = _refresh(url, fake, **env_extra)
    forecast = result["counts"]["forecast"]
    return float(result["seconds"]), float(forecast["seconds"]), forecast["games_remaining"]


def refresh_round(admin_url: str) -> dict[str, tuple[float, float, int]]:
    """One fresh database: the season loaded through mid-season, then two more nights."""
    from refresh_bench import season_games

    from sports_analytics.config import Settings
    from sports_analytics.db.migrate import upgrade

    name = f"sa_fc_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = admin_url.rpartition("/")[0] + f"/{name}"
    games = season_games()
    for g in games:
        g.final = g.day < games[0].day + (games[-1].day - games[0].day) / 2
    fake = FakeStats(first_day=games[0].day, games=games, roster_size=8,
                     cache_documents=True).start()
    try:
        upgrade(Settings(database_url=url, log_level="WARNING"))
        _refresh(url, fake, NBA_STATS_REQUEST_DELAY_SECONDS="0")
        return {"deployed": _next_night(url, fake),
                "no_pause": _next_night(url, fake, NBA_STATS_REQUEST_DELAY_SECONDS="0")}
    finally:
        fake.stop()
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def bench_refresh(rounds: int) -> dict:
    with postgres_server() as url:
        runs = [refresh_round(url) for _ in range(rounds)]
    out: dict = {"games_left": runs[0]["deployed"][2]}
    for mode in ("deployed", "no_pause"):
        shares = [r[mode][1] / (r[mode][0] - r[mode][1]) for r in runs]
        out[f"{mode}_refresh_s"] = round(statistics.median(r[mode][0] for r in runs), 3)
        out[f"{mode}_forecast_s"] = round(statistics.median(r[mode][1] for r in runs), 3)
        out[f"{mode}_forecast_share"] = round(statistics.median(shares), 3)
        out[f"{mode}_round_shares"] = [round(x, 3) for x in shares]
    return out


def misses(result: dict) -> list[str]:
    missed = [f"{sims:,} simulations: {result['simulation'][f'sims_{sims}_cpu_s']} s "
              f"(target <= {target} s)"
              for sims, target in TARGETS.items()
              if result["simulation"][f"sims_{sims}_cpu_s"] > target]
    refresh = result.get("refresh")
    if refresh and refresh["deployed_forecast_share"] > REFRESH_SHARE_TARGET:
        missed.append("refresh after one night: the forecast adds "
                      f"{refresh['deployed_forecast_share']:.1%} (target <= "
                      f"{REFRESH_SHARE_TARGET:.0%})")
    return missed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="repeats (medians)")
    parser.add_argument("--skip-refresh", action="store_true",
                        help="only the simulation (no PostgreSQL needed)")
    args = parser.parse_args()
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    result: dict = {"simulation": bench_simulation(args.rounds)}
    if not args.skip_refresh:
        result["refresh"] = bench_refresh(args.rounds)
    return report("forecast_bench", result, misses(result))


if __name__ == "__main__":
    sys.exit(main())
