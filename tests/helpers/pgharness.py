"""A throwaway PostgreSQL cluster from local binaries, for tests and benchmarks.

initdb and pg_ctl refuse to run as root, so as root the cluster runs as the ``postgres``
OS user in a directory that user owns.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo


def _bindir() -> Path:
    for candidate in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (candidate / "initdb").exists():
            return candidate
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    raise RuntimeError("no PostgreSQL server binaries: install Debian's postgresql package")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PgCluster:
    """initdb + pg_ctl on loopback with trust auth. ``stop()``/``start()`` simulate outages."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.bindir = _bindir()
        self.root = Path(tempfile.mkdtemp(prefix="sa-pg-"))
        self.datadir = self.root / "data"
        self.user = "postgres"
        self._as_postgres = os.geteuid() == 0
        if self._as_postgres:
            pw = pwd.getpwnam("postgres")
            os.chown(self.root, pw.pw_uid, pw.pw_gid)
        self._run("initdb", "-D", str(self.datadir), "-U", self.user, "-A", "trust", "-E", "UTF8",
                  "--no-sync")

    def _argv(self, tool: str, *args: str) -> list[str]:
        cmd = [str(self.bindir / tool), *args]
        if self._as_postgres:
            cmd = ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", *cmd]
        return cmd

    def _run(self, tool: str, *args: str) -> None:
        subprocess.run(self._argv(tool, *args), check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, cwd=self.root)

    def start(self) -> None:
        opts = (f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
                "-c synchronous_commit=off -c full_page_writes=off -c max_connections=300")
        self._run("pg_ctl", "-D", str(self.datadir), "-o", opts, "-l", str(self.root / "log"),
                  "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.datadir), "-m", mode, "-w", "stop")

    def is_running(self) -> bool:
        return (self.datadir / "postmaster.pid").exists()

    @property
    def url(self) -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/postgres"

    def destroy(self) -> None:
        if self.is_running():
            self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)

    def release_spec(self) -> dict[str, list]:
        """What :meth:`destroy` does, as data for a process that did not start the cluster
        (see tests/helpers/runshare.py)."""
        stop = self._argv("pg_ctl", "-D", str(self.datadir), "-m", "immediate", "-w", "stop")
        return {"run": [stop], "remove": [str(self.root)]}


def wait_for(url: str, timeout: float = 30.0) -> None:
    import psycopg

    deadline = time.monotonic() + timeout
    while True:
        try:
            with psycopg.connect(url, connect_timeout=2):
                return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def with_dbname(url: str, dbname: str) -> str:
    params = conninfo_to_dict(url)
    params["dbname"] = dbname
    return "postgresql://" + _userinfo(params) + f"{params.get('host', '127.0.0.1')}:{params.get('port', 5432)}/{dbname}"


def _userinfo(params: dict) -> str:
    user = params.get("user", "postgres")
    password = params.get("password")
    return f"{user}:{password}@" if password else f"{user}@"


def admin_execute(admin_url: str, sql: str) -> None:
    with psycopg.connect(make_conninfo(admin_url), autocommit=True) as conn:
        conn.execute(sql)


def make_settings(url: str, **overrides):
    from sports_analytics.config import Settings

    values = {"database_url": url, "app_env": "development", "log_format": "json"}
    values.update(overrides)
    return Settings(**values)
