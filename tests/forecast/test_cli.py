"""``sports-analytics forecast`` as a user runs it: bad arguments exit 64 with one line, an
unknown season or an empty database says so, and a running refresh is waited for (bounded)."""

from __future__ import annotations

import subprocess
import time

import pytest
import sqlalchemy as sa

from sports_analytics.db.writes import LockKey
from tests.helpers.pgharness import make_settings
from tests.helpers.relharness import cli_env, cli_path


def _forecast(url: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([cli_path(), "forecast", *args], capture_output=True, text=True,
                          timeout=timeout, env=cli_env(url, LOG_FORMAT="console"))


def _runs(url: str) -> int:
    engine = sa.create_engine(make_settings(url).sqlalchemy_url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(sa.text("SELECT count(*) FROM forecast_runs")).scalar_one())
    finally:
        engine.dispose()


@pytest.mark.parametrize(("args", "fragment"), [
    (["--sims", "0"], "--sims must be between 1 and 1,000,000, got 0"),
    (["--sims", "-5"], "--sims must be between 1 and 1,000,000, got -5"),
    (["--sims", "1000001"], "--sims must be between 1 and 1,000,000, got 1000001"),
    (["--season", "1800"], "--season must be a start year"),
    (["--wait", "-1"], "--wait must be 0 or more seconds"),
])
def test_bad_arguments_exit_64_with_one_line(migrated_db_url: str, args: list[str],
                                             fragment: str) -> None:
    done = _forecast(migrated_db_url, *args)
    assert done.returncode == 64, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0], done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""


def test_empty_database_and_unknown_season(shared_seeded_db_url: str,
                                           migrated_db_url: str) -> None:
    empty = _forecast(migrated_db_url)
    assert empty.returncode == 1
    assert "no games in the database" in empty.stderr and "Traceback" not in empty.stderr
    unknown = _forecast(shared_seeded_db_url, "--season", "2019")
    assert unknown.returncode == 1
    assert "season 2019 is not in the database" in unknown.stderr
    assert len(unknown.stderr.strip().splitlines()) == 1


def test_runs_and_reports_one_line(seeded_db_url: str) -> None:
    done = _forecast(seeded_db_url, "--sims", "500", "--seed", "3")
    assert done.returncode == 0, done.stderr
    assert "forecast: season 2025, 500 simulations (seed 3, elo_v1), 0 games left" in done.stdout
    assert _runs(seeded_db_url) == 1


def test_waits_for_a_running_refresh_then_gives_up_clearly(seeded_db_url: str) -> None:
    engine = sa.create_engine(make_settings(seeded_db_url).sqlalchemy_url)
    try:
        with engine.connect() as holder:
            holder.execute(sa.text("SELECT pg_advisory_lock(:k)"), {"k": LockKey.REFRESH})
            holder.commit()
            started = time.monotonic()
            busy = _forecast(seeded_db_url, "--sims", "200", "--wait", "1")
            assert busy.returncode == 1
            assert "a refresh is running and did not finish within 1 s" in busy.stderr
            assert time.monotonic() - started >= 1
            assert _runs(seeded_db_url) == 0  # nothing written, not even half a run
            at_once = _forecast(seeded_db_url, "--sims", "200", "--wait", "0")
            assert at_once.returncode == 1 and "did not finish within 0 s" in at_once.stderr
            waiting = subprocess.Popen(
                [cli_path(), "forecast", "--sims", "200", "--wait", "60"], text=True,
                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                env=cli_env(seeded_db_url, LOG_FORMAT="console"))
            time.sleep(2)
            assert waiting.poll() is None  # still waiting for the refresh
            holder.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": LockKey.REFRESH})
            holder.commit()
            out, err = waiting.communicate(timeout=120)
        assert "forecast: season 2025, 200 simulations" in out
        assert waiting.returncode == 0, err
        assert _runs(seeded_db_url) == 1
    finally:
        engine.dispose()


def test_seed_demo_ends_with_a_forecast(migrated_db_url: str) -> None:
    done = subprocess.run([cli_path(), "seed-demo", "--as-of", "2026-01-15"],
                          capture_output=True, text=True, timeout=300,
                          env=cli_env(migrated_db_url, LOG_FORMAT="console"))
    assert done.returncode == 0, done.stderr[-2000:]
    assert "forecast: season 2025, 10,000 simulations" in done.stdout
    engine = sa.create_engine(make_settings(migrated_db_url).sqlalchemy_url)
    try:
        with engine.connect() as conn:
            left = conn.execute(sa.text("SELECT games_remaining FROM forecast_runs")).scalars()
            assert [n > 0 for n in left] == [True]
    finally:
        engine.dispose()
