"""``sports-analytics migrate`` under the advisory lock, and migrations down and up."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import create_engine, inspect

from sports_analytics.db.migrate import downgrade, script_heads, upgrade
from tests.helpers.pgharness import make_settings

BIN = Path(sys.executable).with_name("sports-analytics")
TABLES = {"teams", "players", "games", "team_game_stats", "player_game_stats", "game_features",
          "predictions"}


def _env(db_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DATABASE_", "POSTGRES_", "PROMETHEUS_"))}
    env.update({"DATABASE_URL": db_url, "APP_ENV": "development", "LOG_FORMAT": "json",
                "DB_WAIT_SECONDS": "10"})
    env.update(extra)
    return env


def _versions(db_url: str) -> list[str]:
    with psycopg.connect(db_url) as conn:
        return [r[0] for r in conn.execute("SELECT version_num FROM alembic_version")]


def _tables(db_url: str) -> set[str]:
    engine = create_engine(make_settings(db_url).sqlalchemy_url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


@pytest.mark.slow
def test_three_concurrent_migrate_processes(empty_db_url):
    procs = [subprocess.Popen([str(BIN), "migrate"], env=_env(empty_db_url),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(3)]
    results = [(p.wait(120), *p.communicate()) for p in procs]
    for code, out, err in results:
        assert code == 0, err
        for line in (out + err).splitlines():
            json.loads(line)  # every line is JSON in json mode
    assert _versions(empty_db_url) == sorted(script_heads())
    assert _tables(empty_db_url) >= TABLES
    outcomes = [json.loads(line)["event"] for _, out, err in results
                for line in (out + err).splitlines()
                if json.loads(line)["event"] in ("migrations applied", "schema already current")]
    assert sorted(outcomes) == ["migrations applied", "schema already current",
                                "schema already current"]


def test_migrations_down_to_base_and_up_again(migrated_db_url):
    settings = make_settings(migrated_db_url)
    assert _tables(migrated_db_url) >= TABLES
    downgrade(settings, "base")
    assert _tables(migrated_db_url) <= {"alembic_version"}
    assert _versions(migrated_db_url) == []
    upgrade(settings)
    assert _tables(migrated_db_url) >= TABLES
    assert _versions(migrated_db_url) == sorted(script_heads())
    upgrade(settings)  # idempotent
    assert _versions(migrated_db_url) == sorted(script_heads())


def test_migrate_gives_up_after_db_wait_seconds_with_one_json_line():
    from tests.helpers.pgharness import free_port

    url = f"postgresql://nobody:pw@127.0.0.1:{free_port()}/nothing"
    started = time.monotonic()
    proc = subprocess.run([str(BIN), "migrate"], env=_env(url, DB_WAIT_SECONDS="2"),
                          capture_output=True, text=True, timeout=60)
    assert time.monotonic() - started < 15
    assert proc.returncode == 3
    lines = [json.loads(line) for line in proc.stderr.splitlines()]
    failed = [line for line in lines if line["event"] == "command failed"]
    assert len(failed) == 1 and failed[0]["command"] == "migrate"
    assert "unreachable" in failed[0]["error"]
    assert "pw@" not in proc.stderr


def test_migrate_fails_at_once_on_a_refused_login(pg_admin_url):
    """Waiting can't fix a wrong user: migrate must not spend DB_WAIT_SECONDS retrying it."""
    from psycopg.conninfo import conninfo_to_dict

    params = conninfo_to_dict(pg_admin_url)
    url = f"postgresql://no_such_role:pw@{params['host']}:{params['port']}/postgres"
    started = time.monotonic()
    proc = subprocess.run([str(BIN), "migrate"], env=_env(url, DB_WAIT_SECONDS="30"),
                          capture_output=True, text=True, timeout=60)
    assert time.monotonic() - started < 10
    assert proc.returncode == 3
    failed = [json.loads(line) for line in proc.stderr.splitlines()]
    assert [line["event"] for line in failed] == ["command failed"]
    assert "refused the connection" in failed[0]["error"]
    assert "pw@" not in proc.stderr


# --- sports-analytics check -----------------------------------------------------------------


def test_check_reports_schema_status(migrated_db_url, empty_db_url):
    ok = subprocess.run([str(BIN), "check"], env=_env(migrated_db_url),
                        capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0, ok.stderr
    line = next(json.loads(x) for x in ok.stderr.splitlines() if '"check passed"' in x)
    assert line["schema"] == "at head" and line["revision"] == sorted(script_heads())
    pending = subprocess.run([str(BIN), "check"], env=_env(empty_db_url),
                             capture_output=True, text=True, timeout=60)
    assert pending.returncode == 0
    assert "migrations pending" in pending.stderr


def test_check_unreachable_is_one_line_and_nonzero():
    from tests.helpers.pgharness import free_port

    url = f"postgresql://analyst:topsecretpw@127.0.0.1:{free_port()}/sports_analytics"
    proc = subprocess.run([str(BIN), "check"], env=_env(url, LOG_FORMAT="console"),
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 3
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("sports-analytics check: database 127.0.0.1:")
    assert "unreachable" in lines[0] and "topsecretpw" not in proc.stderr
