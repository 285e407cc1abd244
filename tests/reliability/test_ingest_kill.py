"""``sports-analytics ingest`` killed with SIGKILL in the middle of writing leaves every table
exactly as it was (row-level checksums), and releases everything it held.

The file is large and valid (tens of thousands of games over many past seasons), so the write
phase lasts long enough to be caught: the test waits until the ingest's transaction holds a
write lock on ``games`` (it is inside its load), then SIGKILLs the process.

Sequences are not compared: PostgreSQL sequences are non-transactional by design (an aborted
insert still consumes ids, and the data-version bump only invalidates ETags).
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from datetime import date, timedelta
from pathlib import Path

import psycopg
import pytest
from psycopg.conninfo import make_conninfo

from reliability.relharness import cli_env, cli_path, poll_until, record_figure

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

APP_NAME = "sports-analytics-ingest"
HEADER = "season,game_date,game_id,team,opponent,home_away,pts,fgm,fga,fg3m,fg3a,ftm,fta,oreb,reb,ast,stl,blk,tov,pf,min"
# two valid lines: pts = 2*fgm + fg3m + ftm
WIN = "112,41,85,12,36,18,22,10,44,25,7,5,13,19,240"   # 2*41+12+18 = 112
LOSS = "105,38,79,12,36,17,21,10,44,25,7,5,13,19,240"  # 2*38+12+17 = 105


def write_big_csv(path: Path, seasons: range, days: int) -> int:
    from sports_analytics.ingest.teams import NBA_TEAMS

    teams = [t.abbreviation for t in NBA_TEAMS]
    games = 0
    with path.open("w") as out:
        out.write(HEADER + "\n")
        for season in seasons:
            start = date(season, 10, 20)
            for day in range(days):
                when = (start + timedelta(days=day)).isoformat()
                rot = teams[day % 29:] + teams[: day % 29]  # a different pairing every day
                for k in range(15):
                    home, away = rot[2 * k], rot[2 * k + 1]
                    gid = f"R{season}{day:03d}{k:02d}"
                    home_line, away_line = (WIN, LOSS) if (day + k) % 2 else (LOSS, WIN)
                    out.write(f"{season},{when},{gid},{home},{away},H,{home_line}\n")
                    out.write(f"{season},{when},{gid},{away},{home},A,{away_line}\n")
                    games += 1
    return games


def checksums(url: str) -> dict[str, tuple[int, str]]:
    with psycopg.connect(make_conninfo(url), autocommit=True) as conn:
        tables = [r[0] for r in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")]
        out = {}
        for table in tables:
            row = conn.execute(
                f'SELECT count(*), coalesce(md5(string_agg(t::text, \'|\' ORDER BY t::text)), \'\') '
                f'FROM "{table}" t').fetchone()
            assert row is not None
            out[table] = (int(row[0]), str(row[1]))
    return out


def _ingest_writing(url: str) -> bool:
    """True once the ingest backend holds a write lock on games (its load has started)."""
    with psycopg.connect(make_conninfo(url), autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE a.application_name = %s AND l.relation = 'games'::regclass "
            "AND l.mode = 'RowExclusiveLock' AND l.granted", (APP_NAME,)).fetchone()
    return bool(row and row[0])


def _ingest_backends(url: str) -> int:
    with psycopg.connect(make_conninfo(url), autocommit=True) as conn:
        row = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = %s",
                           (APP_NAME,)).fetchone()
    return int(row[0]) if row else 0


def test_sigkill_mid_ingest_leaves_database_exactly_as_before(seeded_db_url: str,
                                                               tmp_path: Path) -> None:
    csv_path = tmp_path / "many_seasons.csv"
    games = write_big_csv(csv_path, range(1960, 2010), 60)  # 45,000 games, 90,000 rows
    before = checksums(seeded_db_url)
    assert before["games"][0] == 1230

    proc = subprocess.Popen([cli_path(), "ingest", str(csv_path)], env=cli_env(seeded_db_url),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True)
    try:
        started = time.monotonic()
        caught = poll_until(lambda: proc.poll() is None and _ingest_writing(seeded_db_url), 180,
                            interval=0.02)
        in_write_s = time.monotonic() - started
        if not caught:
            out = proc.communicate(timeout=60)[0].decode(errors="replace")
            pytest.fail(f"ingest finished (rc {proc.returncode}) before its write phase was "
                        f"caught; make the file larger\n{out[-2000:]}")
        time.sleep(0.3)  # well inside the load
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(30)

    assert proc.returncode == -signal.SIGKILL
    # the server notices the dead client and rolls back; its backend goes away
    assert poll_until(lambda: _ingest_backends(seeded_db_url) == 0, 60, interval=0.1), \
        "the killed ingest's backend is still there"
    after = checksums(seeded_db_url)
    changed = sorted(t for t in before if before[t] != after.get(t))
    assert not changed, f"tables changed by a killed ingest: {changed}"
    assert set(after) == set(before)
    record_figure("ingest.sigkill_tables_changed", len(changed), "tables",
                  f"SIGKILL {in_write_s:.1f} s into a {games}-game ingest, inside its write "
                  f"transaction; {len(before)} tables compared by row checksum")

    # and the same file still imports completely afterwards: nothing was left half-locked
    done = subprocess.run([cli_path(), "ingest", str(csv_path)], env=cli_env(seeded_db_url),
                          capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-2000:]
    assert checksums(seeded_db_url)["games"][0] == 1230 + games
