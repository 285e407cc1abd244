"""The refresh container under the chart's limits: peak memory and wall time on a season-sized load.

    .venv/bin/python benchmarks/refresh_pod_bench.py [--image TAG] [--roster 13]
        [--json benchmarks/results/refresh_pod.json]

Builds the repo's image (unless ``--image``), starts ``postgres:16-alpine`` on a private Docker
network and the fake NBA stats API (tests/helpers/fake_stats.py) on that network's gateway,
with a season-sized fixture: 30 teams, 160 days of 8 games (1,200 finals, 80 still to come),
``--roster`` players per team and game. Then, in containers that run like the CronJob's pod
(UID 10001, read-only root, tmpfs /tmp, the chart's default ``refresh.resources`` limits: 1 CPU,
512 MiB): ``migrate``, a first ``refresh`` (the whole season) and a second one (nothing new).
Memory is sampled with ``docker stats`` about once a second, so the peak is a lower bound.
Everything it starts is removed at the end, pass or fail. Exits 1 when a run's peak exceeds
the chart's memory request or its wall time the Job's ``activeDeadlineSeconds``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import re
import secrets
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.helpers import fake_stats as fs  # noqa: E402

TEAMS = ["ATL", "BKN", "BOS", "CHA", "CHI", "CLE", "DAL", "DEN", "DET", "GSW", "HOU", "IND",
         "LAC", "LAL", "MEM", "MIA", "MIL", "MIN", "NOP", "NYK", "OKC", "ORL", "PHI", "PHX",
         "POR", "SAC", "SAS", "TOR", "UTA", "WAS"]
LIMITS = ["--cpus", "1", "--memory", "512m"]  # charts/sports-analytics values: refresh.resources
VALUES = ROOT / "charts" / "sports-analytics" / "values.yaml"


def targets() -> dict[str, float]:
    """From the chart's defaults: each run's peak fits the memory *request* (what the scheduler
    reserves), and its wall time the Job's ``activeDeadlineSeconds``."""
    import yaml

    refresh = yaml.safe_load(VALUES.read_text())["refresh"]
    memory = refresh["resources"]["requests"]["memory"]
    assert memory.endswith("Mi"), f"refresh.resources.requests.memory in MiB expected: {memory}"
    return {"peak_mib": float(memory.removesuffix("Mi")),
            "wall_seconds": float(refresh["activeDeadlineSeconds"])}


def misses(results: dict[str, Any], goal: dict[str, float]) -> list[str]:
    return [f"{r['run']}: {key} {r[key]} (target <= {goal[key]:g})"
            for r in results["runs"] for key in goal if r[key] > goal[key]]


def sh(*args: str, check: bool = False, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(list(args), capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode:
        raise SystemExit(f"{' '.join(args[:3])} ... exited {proc.returncode}: {proc.stderr[-2000:]}")
    return proc


def season_fixture(roster: int) -> fs.FakeStats:
    today = dt.datetime.now(fs.EASTERN).date()
    first = today - dt.timedelta(days=150)
    yy = f"{fs.season_of(first) % 100:02d}"
    pairs = itertools.cycle([(h, a) for h in TEAMS for a in TEAMS if h != a])
    games, n = [], 0
    for d in range(160):
        day, busy = first + dt.timedelta(days=d), set()
        for _ in range(8):
            home, away = next(pairs)
            while home in busy or away in busy:
                home, away = next(pairs)
            busy |= {home, away}
            n += 1
            games.append(fs.FakeGame(f"002{yy}{n:05d}", day, dt.time(19, 30), home, away,
                                     day < today, n))
    fs.ROSTERS.clear()  # every team gets `roster` generated players
    return fs.FakeStats(first_day=first, games=games, roster_size=roster)


def peak_while(name: str, proc: subprocess.Popen[str]) -> tuple[float, str, str]:
    """Sample the container's memory (MiB) until the process ends; (peak, stdout, stderr)."""
    peak, done = [0.0], threading.Event()

    def poll() -> None:
        while not done.is_set():
            usage = sh("docker", "stats", "--no-stream", "--format", "{{.MemUsage}}", name).stdout
            m = re.match(r"\s*([0-9.]+)(KiB|MiB|GiB)", usage)
            if m:
                peak[0] = max(peak[0], float(m.group(1)) * {"KiB": 1 / 1024, "MiB": 1, "GiB": 1024}[m.group(2)])

    thread = threading.Thread(target=poll)
    thread.start()
    out, err = proc.communicate()
    done.set()
    thread.join()
    return peak[0], out, err


def run(image: str, roster: int) -> dict[str, Any]:
    net = "refresh-bench-" + secrets.token_hex(3)
    password = "bench-" + secrets.token_hex(8)
    pg = f"{net}-pg"
    sh("docker", "network", "create", net, check=True)
    gateway = sh("docker", "network", "inspect", "-f", "{{(index .IPAM.Config 0).Gateway}}", net).stdout.strip()
    fake = season_fixture(roster).start(host=gateway)
    results: dict[str, Any] = {"games": len(fake.games), "finals": sum(g.final for g in fake.games),
                               "players_per_team": roster, "limits": "1 CPU, 512 MiB", "runs": []}
    try:
        sh("docker", "run", "-d", "--name", pg, "--network", net, "--network-alias", "db",
           "-e", "POSTGRES_USER=analyst", "-e", f"POSTGRES_PASSWORD={password}",
           "-e", "POSTGRES_DB=sports_analytics", "postgres:16-alpine", check=True)
        while sh("docker", "exec", pg, "pg_isready", "-h", "127.0.0.1", "-U", "analyst").returncode:
            time.sleep(1)
        pod = ["--network", net, "--read-only", "--tmpfs", "/tmp", "--user", "10001:10001",
               "--cap-drop", "ALL", "--security-opt", "no-new-privileges:true", *LIMITS]
        for key, value in {"POSTGRES_HOST": "db", "POSTGRES_USER": "analyst", "POSTGRES_DB": "sports_analytics",
                           "POSTGRES_PASSWORD": password, "PGSSLMODE": "disable", "APP_ENV": "development",
                           "NBA_STATS_BASE_URL": fake.base_url, "NBA_STATS_REQUEST_DELAY_SECONDS": "0"}.items():
            pod += ["-e", f"{key}={value}"]
        sh("docker", "run", "--rm", *pod, image, "migrate", check=True)
        for label in ("whole season", "nothing new"):
            name = f"{net}-refresh"
            started = time.monotonic()
            proc = subprocess.Popen(["docker", "run", "--name", name, *pod, image, "refresh"],
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            time.sleep(0.5)
            peak, out, err = peak_while(name, proc)
            took = time.monotonic() - started
            oom = sh("docker", "inspect", "-f", "{{.State.OOMKilled}}", name).stdout.strip()
            sh("docker", "rm", "-f", name)
            if proc.returncode:
                raise SystemExit(f"refresh ({label}) exited {proc.returncode} (OOMKilled {oom}): {err[-2000:]}")
            result = json.loads(out.strip().splitlines()[-1].removeprefix("refresh: "))
            results["runs"].append({"run": label, "wall_seconds": round(took, 1), "peak_mib": round(peak),
                                    "player_lines": result["counts"]["player_lines"]})
            print(f"{label}: exit 0 in {took:.1f}s, peak about {peak:.0f} MiB", flush=True)
    finally:
        fake.stop()
        sh("docker", "rm", "-f", pg)
        sh("docker", "network", "rm", net)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--image", help="an image already built from this repository")
    parser.add_argument("--roster", type=int, default=13, help="players per team and game")
    parser.add_argument("--json", type=Path, default=ROOT / "benchmarks" / "results" / "refresh_pod.json")
    args = parser.parse_args()
    image = args.image or "sports-analytics:refresh-bench"
    if not args.image:
        sh("docker", "build", "-q", "-t", image, str(ROOT), check=True)
    try:
        results = run(image, args.roster)
    finally:
        if not args.image:
            sh("docker", "rmi", image)
    goal = targets()
    results["targets"] = goal
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results))
    missed = misses(results, goal)
    for line in missed:
        print(f"target missed: {line}", file=sys.stderr)
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
