"""Concurrent deploys without Docker: three copies of the Compose ``migrate`` job
(``sports-analytics migrate && sports-analytics seed-demo``) started at the same moment on an
empty database. All exit 0; ``alembic_version`` holds one row, at head; the demo season is
loaded exactly once.

The API's short statement timeout (``DB_STATEMENT_TIMEOUT_MS``, which also sets the engine's
``lock_timeout``) must not leak into these jobs: a seeder waiting for another one to finish
waits as long as that takes. A 1 s timeout makes the race certain on any machine.
(The Compose version of this test is ``test_e2e_compose_faults.py``.)
"""

from __future__ import annotations

import subprocess
import time

import psycopg
import pytest
from psycopg.conninfo import make_conninfo

from tests.helpers.relharness import cli_env, cli_path, json_lines, record_figure

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


def test_three_migrate_and_seed_jobs_at_once(empty_db_url: str) -> None:
    from sports_analytics.db.migrate import script_heads

    cli = cli_path()
    env = cli_env(empty_db_url, DB_STATEMENT_TIMEOUT_MS="1000", DB_WAIT_SECONDS="30")
    job = f'"{cli}" migrate && exec "{cli}" seed-demo'
    started = time.monotonic()
    procs = [subprocess.Popen(["sh", "-c", job], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True) for _ in range(3)]
    outputs = [p.communicate(timeout=240)[0] for p in procs]
    took = time.monotonic() - started
    codes = [p.returncode for p in procs]
    joined = "\n---\n".join(o[-3000:] for o in outputs)
    assert codes == [0, 0, 0], f"exit codes {codes}\n{joined}"
    assert "Traceback" not in joined, joined

    with psycopg.connect(make_conninfo(empty_db_url), autocommit=True) as conn:
        versions = sorted(r[0] for r in conn.execute("SELECT version_num FROM alembic_version"))
        games = conn.execute("SELECT count(*) FROM games").fetchone()
    assert versions == sorted(script_heads())
    assert games is not None and games[0] == 1230

    events = [r.get("event") for o in outputs for r in json_lines(o)]
    assert events.count("migrations applied") == 1, events
    assert events.count("demo season loaded (synthetic data)") == 1, events
    record_figure("deploy.local_concurrent_jobs", ",".join(map(str, codes)), "",
                  f"3 x (migrate && seed-demo) at once, statement timeout 1 s: one migrated, one "
                  f"seeded, all exit 0 in {took:.1f} s")
