"""Batch commands run under JOB_STATEMENT_TIMEOUT_MS, not the API's DB_STATEMENT_TIMEOUT_MS,
and a batch statement that runs out of time fails with a line naming the setting to raise."""

from __future__ import annotations

import subprocess

import psycopg
import pytest

from sports_analytics.db.writes import LockKey
from tests.helpers.relharness import cli_env, cli_path, json_lines

pytestmark = pytest.mark.timeout(120)


def _run(url: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([cli_path(), *args], env=cli_env(url, **env), capture_output=True,
                          text=True, timeout=90)


def test_features_ignore_the_api_deadline(seeded_db_url: str) -> None:
    # 100 ms is far below what a season's recompute takes under the API deadline's watchdog.
    done = _run(seeded_db_url, "features", DB_STATEMENT_TIMEOUT_MS="100",
                JOB_STATEMENT_TIMEOUT_MS="60000")
    assert done.returncode == 0, done.stdout + done.stderr


def test_deadline_message_names_the_setting(seeded_db_url: str) -> None:
    # Another writer holds the features lock: the command waits for it until its deadline.
    with psycopg.connect(seeded_db_url, autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(%s)", (LockKey.FEATURES,))
        done = _run(seeded_db_url, "features", "--full", JOB_STATEMENT_TIMEOUT_MS="1000")
    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    errors = [r for r in json_lines(output) if r.get("level") == "error"]
    assert len(errors) == 1, output
    assert "JOB_STATEMENT_TIMEOUT_MS" in errors[0]["error"], output
    assert "1000 ms" in errors[0]["error"], output
