"""A real PostgreSQL streaming replica from local binaries, for read-replica tests.

``ReplicaPair`` starts a primary (``PgCluster``), takes a ``pg_basebackup -R`` of it (which
writes ``standby.signal`` and ``primary_conninfo``) and starts that copy as a hot standby on
its own port. Both run as the ``postgres`` OS user when the tests run as root, like
tests/helpers/pgharness.py. Replay can be paused and resumed to simulate replica lag.
"""

from __future__ import annotations

import os
import pwd
import subprocess
import time
from pathlib import Path

import psycopg

from tests.helpers.pgharness import PgCluster, free_port, wait_for, with_dbname


class ReplicaPair:
    def __init__(self) -> None:
        self.primary = PgCluster()
        self.standby_port = free_port()
        self.standby_dir = self.primary.root / "standby"
        self._standby_started = False

    # --- lifecycle ------------------------------------------------------------------------

    def start_primary(self) -> None:
        self.primary.start()
        wait_for(self.primary.url)

    def start_standby(self) -> None:
        """Base backup of the primary as it is now, started as a streaming hot standby."""
        self._as_postgres("pg_basebackup", "-D", str(self.standby_dir), "-h", "127.0.0.1",
                          "-p", str(self.primary.port), "-U", "postgres", "-X", "stream", "-R",
                          "--no-sync", "-c", "fast")
        opts = (f"-p {self.standby_port} -k {self.primary.root} -c listen_addresses=127.0.0.1 "
                "-c hot_standby=on -c fsync=off -c max_connections=300")
        self._as_postgres("pg_ctl", "-D", str(self.standby_dir), "-o", opts,
                          "-l", str(self.primary.root / "standby.log"), "-w", "start")
        self._standby_started = True
        wait_for(self.standby_url)
        self.wait_caught_up()

    def destroy(self) -> None:
        if self._standby_started and (self.standby_dir / "postmaster.pid").exists():
            self._as_postgres("pg_ctl", "-D", str(self.standby_dir), "-m", "immediate", "-w",
                              "stop")
        self.primary.destroy()

    def _as_postgres(self, tool: str, *args: str) -> None:
        cmd = [str(self.primary.bindir / tool), *args]
        if os.geteuid() == 0:
            pw = pwd.getpwnam("postgres")
            os.chown(self.primary.root, pw.pw_uid, pw.pw_gid)
            cmd = ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", *cmd]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                       cwd=self.primary.root, timeout=120)

    # --- addresses ------------------------------------------------------------------------

    @property
    def standby_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.standby_port}/postgres"

    def primary_db(self, dbname: str) -> str:
        return with_dbname(self.primary.url, dbname)

    def standby_db(self, dbname: str) -> str:
        return with_dbname(self.standby_url, dbname)

    # --- replication control --------------------------------------------------------------

    def _standby(self, sql: str) -> object:
        with psycopg.connect(self.standby_url, autocommit=True) as conn:
            row = conn.execute(sql).fetchone()
            return row[0] if row else None

    def pause_replay(self) -> None:
        self._standby("SELECT pg_wal_replay_pause()")
        deadline = time.monotonic() + 10
        while self._standby("SELECT pg_get_wal_replay_pause_state()") != "paused":
            if time.monotonic() > deadline:
                raise TimeoutError("replay did not pause")
            time.sleep(0.05)

    def resume_replay(self) -> None:
        self._standby("SELECT pg_wal_replay_resume()")

    def wait_caught_up(self, timeout: float = 30.0) -> None:
        """Until the standby has replayed everything the primary has written so far."""
        with psycopg.connect(self.primary.url, autocommit=True) as conn:
            row = conn.execute("SELECT pg_current_wal_lsn()::text").fetchone()
            assert row is not None
            target = row[0]
        deadline = time.monotonic() + timeout
        while not self._standby(f"SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn"):
            if time.monotonic() > deadline:
                raise TimeoutError(f"standby did not reach {target}")
            time.sleep(0.05)


def logs(pair: ReplicaPair) -> str:
    path = Path(pair.primary.root / "standby.log")
    return path.read_text() if path.exists() else ""
