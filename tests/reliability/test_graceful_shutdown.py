"""SIGTERM to a live ``sports-analytics serve`` under a steady request stream.

- In-flight requests finish: requests held inside the database (a table lock another session
  holds) when SIGTERM arrives still get their 200 once the lock goes.
- New connections are refused once the master stopped listening; nothing accepted fails.
- The master exits 0 well within GRACEFUL_TIMEOUT.
- A replacement server on the same port takes over; a client that retries refused
  connections sees no failure across the restart.
"""

from __future__ import annotations

import concurrent.futures
import threading
import time
from collections import Counter

import httpx
import psycopg
import pytest

from tests.helpers.relharness import LiveServer, poll_until, record_figure

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]


def test_sigterm_finishes_in_flight_and_restart_loses_nothing(seeded_db_url: str) -> None:
    server = LiveServer(seeded_db_url, workers=2, GRACEFUL_TIMEOUT="15",
                        DB_STATEMENT_TIMEOUT_MS="15000")
    replacement: LiveServer | None = None
    stop_stream = threading.Event()
    outcomes: Counter = Counter()
    failures: list[str] = []
    retries = 0

    def stream() -> None:
        nonlocal retries
        limits = httpx.Limits(max_keepalive_connections=0)
        with httpx.Client(timeout=httpx.Timeout(20, connect=1), limits=limits) as client:
            while not stop_stream.is_set():
                url = f"http://127.0.0.1:{server.port}/api/v1/standings"
                deadline = time.monotonic() + 30
                while True:
                    try:
                        resp = client.get(url, params={"season": 2025})
                    except httpx.ConnectError:
                        if time.monotonic() < deadline:
                            retries += 1
                            time.sleep(0.05)
                            continue
                        failures.append("gave up retrying")
                        break
                    except httpx.HTTPError as exc:
                        failures.append(repr(exc))
                        break
                    outcomes[resp.status_code] += 1
                    if resp.status_code != 200:
                        failures.append(f"HTTP {resp.status_code}: {resp.text[:100]}")
                    break
                time.sleep(0.02)

    try:
        server.start()
        server.wait_ready(30)
        streamer = threading.Thread(target=stream, daemon=True)
        streamer.start()
        time.sleep(1)

        with psycopg.connect(seeded_db_url.replace("postgresql://", "postgresql://", 1),
                             autocommit=False) as blocker:
            blocker.execute("LOCK TABLE teams IN ACCESS EXCLUSIVE MODE")
            with concurrent.futures.ThreadPoolExecutor(4) as pool:
                in_flight = [pool.submit(httpx.get, f"{server.url}/api/v1/teams", timeout=20)
                             for _ in range(4)]
                # wait until the requests are inside the database, blocked on the lock
                assert poll_until(lambda: _waiting_on_lock(seeded_db_url) >= 4, 10), \
                    "requests never reached the database"
                term_at = time.monotonic()
                server.proc.send_signal(15)  # type: ignore[union-attr]
                time.sleep(1.5)
                assert server.proc.poll() is None, "master exited with requests in flight"  # type: ignore[union-attr]
                blocker.rollback()  # release the lock: the held requests may now finish
                results = [f.result() for f in in_flight]
            code = server.proc.wait(30)  # type: ignore[union-attr]
            exit_s = time.monotonic() - term_at

        replacement = LiveServer(seeded_db_url, workers=2)
        replacement.port = server.port
        replacement.start()
        replacement.wait_ready(30)
        time.sleep(1.5)
    finally:
        stop_stream.set()
        server.close()
        if replacement is not None:
            replacement.close()

    assert [r.status_code for r in results] == [200] * 4, [r.text[:100] for r in results]
    assert code == 0, f"master exited {code}\n{server.log_tail()}"
    record_figure("local_restart.sigterm_to_exit_s", round(exit_s, 2), "s",
                  "local serve, 4 requests held in the DB at SIGTERM all answered 200")
    record_figure("local_restart.failed_requests", len(failures), "requests",
                  f"retrying client across SIGTERM + new server; {sum(outcomes.values())} answered, "
                  f"{retries} connection retries")
    assert not failures, failures[:10]
    assert outcomes[200] > 20


def _waiting_on_lock(url: str) -> int:
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
            "AND application_name LIKE 'sports-analytics%' "
            "AND datname = current_database()").fetchone()
    return int(row[0]) if row else 0
