"""``sports-analytics ingest`` killed with SIGKILL in the middle of writing leaves every table
exactly as it was (row-level checksums), and releases everything it held.

Deterministic: another session holds a SHARE lock on ``team_game_stats``, so the ingest, after
upserting every game of the file into ``games`` (uncommitted), blocks on its next write. The
test waits for exactly that state (write lock on ``games`` granted, a lock wait pending), then
SIGKILLs the process group and releases the blocker. The server finishes the statement, finds
the client gone, and rolls the whole transaction back.

Sequences are not compared: PostgreSQL sequences are non-transactional by design (an aborted
insert still consumes ids, and the data-version bump only invalidates ETags).
"""

from __future__ import annotations

import os
import signal
import subprocess
from datetime import date, timedelta
from pathlib import Path

import psycopg
import pytest
from psycopg.conninfo import make_conninfo

from tests.helpers.relharness import cli_env, cli_path, poll_until, record_figure

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


def _ingest_blocked_mid_write(url: str) -> bool:
    """True once the ingest holds its write lock on games and waits for another lock."""
    with psycopg.connect(make_conninfo(url), autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity a WHERE a.application_name = %s "
            "AND a.datname = current_database() AND a.wait_event_type = 'Lock' AND EXISTS (SELECT 1 FROM pg_locks l "
            "WHERE l.pid = a.pid AND l.relation = 'games'::regclass "
            "AND l.mode = 'RowExclusiveLock' AND l.granted)", (APP_NAME,)).fetchone()
    return bool(row and row[0])


def _ingest_backends(url: str) -> int:
    with psycopg.connect(make_conninfo(url), autocommit=True) as conn:
        # this database only: other test processes may run ingests on the same server
        row = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = %s "
                           "AND datname = current_database()", (APP_NAME,)).fetchone()
    return int(row[0]) if row else 0


def test_sigkill_mid_ingest_leaves_database_exactly_as_before(seeded_db_url: str,
                                                               tmp_path: Path) -> None:
    csv_path = tmp_path / "many_seasons.csv"
    games = write_big_csv(csv_path, range(1980, 2000), 60)  # 18,000 games, 36,000 rows
    before = checksums(seeded_db_url)
    assert before["games"][0] == 1230

    blocker = psycopg.connect(make_conninfo(seeded_db_url))  # one open transaction
    proc = None
    try:
        blocker.execute("LOCK TABLE team_game_stats IN SHARE MODE")
        proc = subprocess.Popen([cli_path(), "ingest", str(csv_path)], env=cli_env(seeded_db_url),
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                start_new_session=True)
        caught = poll_until(lambda: proc.poll() is None and _ingest_blocked_mid_write(seeded_db_url),
                            120, interval=0.05)
        if not caught:
            out = proc.communicate(timeout=60)[0].decode(errors="replace") if proc.poll() is not None else ""
            pytest.fail(f"the ingest never reached its write phase (rc {proc.poll()})\n{out[-2000:]}")
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(30)
    finally:
        blocker.rollback()  # the blocked backend resumes, finds its client gone, rolls back
        blocker.close()
        if proc is not None and proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(30)

    assert proc.returncode == -signal.SIGKILL
    assert poll_until(lambda: _ingest_backends(seeded_db_url) == 0, 60, interval=0.1), \
        "the killed ingest's backend is still there"
    after = checksums(seeded_db_url)
    changed = sorted(t for t in before if before[t] != after.get(t))
    assert not changed, f"tables changed by a killed ingest: {changed}"
    assert set(after) == set(before)
    record_figure("ingest.sigkill_tables_changed", len(changed), "tables",
                  f"SIGKILL with all {games} games of the file upserted but uncommitted; "
                  f"{len(before)} tables compared by row checksum")

    # and the same file still imports completely afterwards: nothing was left half-locked
    done = subprocess.run([cli_path(), "ingest", str(csv_path)], env=cli_env(seeded_db_url),
                          capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-2000:]
    assert checksums(seeded_db_url)["games"][0] == 1230 + games
