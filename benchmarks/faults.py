#!/usr/bin/env python3
"""Fault figures in one table: outages, restarts, concurrent deploys, killed ingest, fuzz.

Runs the reliability tests with pytest (each records what it measured in
benchmarks/results/reliability-figures.json), then prints every figure recorded by this run
as a Markdown table. ``--e2e`` adds the Compose-stack tests (needs a Docker engine);
``--print-only`` just prints the figures already recorded.

    .venv/bin/python benchmarks/faults.py            # local: private PostgreSQL + serve
    .venv/bin/python benchmarks/faults.py --e2e      # plus the Compose stack
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FIGURES = REPO / "benchmarks" / "results" / "reliability-figures.json"

LOCAL_TESTS = [
    "tests/reliability/test_db_outage.py",
    "tests/reliability/test_graceful_shutdown.py",
    "tests/reliability/test_ingest_kill.py",
    "tests/reliability/test_migration_failure.py",
    "tests/reliability/test_concurrent_deploys.py",
    "tests/reliability/test_cli_db_down.py",
    "tests/reliability/test_fuzz.py",
]
E2E_TESTS = ["tests/reliability/test_e2e_compose_faults.py"]

# Ordered rows for the table: (figure key, label, target)
ROWS = [
    ("outage_stopped.readyz_flip_s", "DB stopped: /readyz -> 503", "<= 5 s"),
    ("outage_stopped.slowest_503_s", "DB stopped: slowest data-route 503", "no hang"),
    ("outage_stopped.recovery_s", "DB back: /readyz -> 200 (no restart)", "<= 10 s"),
    ("outage_frozen.readyz_flip_s", "DB frozen (SIGSTOP): /readyz -> 503", "<= 5 s"),
    ("outage_frozen.slowest_503_s", "DB frozen: slowest data-route 503", "no hang"),
    ("outage_frozen.recovery_s", "DB thawed: /readyz -> 200 (no restart)", "<= 10 s"),
    ("compose_stopped.readyz_flip_s", "Compose `stop postgres`: /readyz -> 503", "<= 5 s"),
    ("compose_stopped.slowest_503_s", "Compose `stop postgres`: slowest data-route 503", "no hang"),
    ("compose_stopped.recovery_s", "Compose `start postgres`: /readyz -> 200", "<= 10 s"),
    ("compose_paused.readyz_flip_s", "Compose `pause postgres`: /readyz -> 503", "<= 5 s"),
    ("compose_paused.slowest_503_s", "Compose `pause postgres`: slowest data-route 503", "no hang"),
    ("compose_paused.recovery_s", "Compose `unpause postgres`: /readyz -> 200", "<= 10 s"),
    ("restart.failed_accepted_requests", "Restart under load: accepted requests failed", "0"),
    ("restart.failed_retrying_client", "Restart under load: failures, client retrying refused", "0"),
    ("restart.sigterm_to_exit_s", "api SIGTERM -> exit (graceful)", "< GRACEFUL_TIMEOUT"),
    ("restart.sigterm_to_ready_s", "api SIGTERM -> ready again", ""),
    ("local_restart.failed_requests", "Local serve restart: failures, retrying client", "0"),
    ("local_restart.sigterm_to_exit_s", "Local serve SIGTERM -> exit, held requests answered", ""),
    ("deploy.concurrent_migrate_exit_codes", "3 `migrate` containers at once: exit codes", "0,0,0"),
    ("deploy.local_concurrent_jobs", "3 local `migrate && seed-demo` at once: exit codes", "0,0,0"),
    ("ingest.sigkill_tables_changed", "SIGKILL mid-ingest: tables changed", "0"),
    ("fuzz.schemathesis_cases", "Schemathesis cases run", ""),
    ("fuzz.schemathesis_5xx", "Schemathesis 5xx", "0"),
    ("fuzz.hostile_requests", "Hostile-value requests", ""),
    ("fuzz.hostile_5xx", "Hostile-value 5xx", "0"),
]


def load() -> dict:
    try:
        return json.loads(FIGURES.read_text())
    except (OSError, ValueError):
        return {}


def print_table(figures: dict, since: str | None) -> None:
    print("| fault | measured | target | how |")
    print("|---|---:|---|---|")
    for key, label, target in ROWS:
        fig = figures.get(key)
        if fig is None or (since and fig["measured_at"] < since):
            continue
        value = f"{fig['value']} {fig['unit']}".strip() if fig["unit"] not in {"", "5xx", "tables"} \
            else str(fig["value"])
        print(f"| {label} | {value} | {target} | {fig['note']} |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--e2e", action="store_true", help="also run the Compose-stack tests")
    parser.add_argument("--print-only", action="store_true", help="print recorded figures only")
    args = parser.parse_args()
    since = None
    rc = 0
    if not args.print_only:
        since = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        tests = LOCAL_TESTS + (E2E_TESTS if args.e2e else [])
        cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *tests]
        if args.e2e:
            env = dict(os.environ, RUN_E2E="1")
        else:
            env = dict(os.environ)
            cmd += ["-m", "not e2e"]
        rc = subprocess.run(cmd, cwd=REPO, env=env, check=False).returncode
        print()
    print_table(load(), since)
    return rc


if __name__ == "__main__":
    sys.exit(main())
