"""Faults against the real Compose stack (image built from the repo's Dockerfile).

- Outage: ``docker compose stop postgres`` / ``start``, and ``pause`` / ``unpause``: readiness
  flip time, data routes 503 within the timeouts, /healthz 200, recovery time, no api restart.
- Restart under load: a steady request stream while the api container gets SIGTERM
  (``docker compose stop``: graceful, must exit 0) and starts again. No response may be an
  error; a client that retries refused/unanswered connections sees no failure at all.
- Concurrent deploys: three ``migrate`` containers started at once (``--scale migrate=3``) all
  exit 0, ``alembic_version`` holds one row at head, and the demo season is loaded once.

Marked e2e: skipped without a Docker engine unless RUN_E2E=1 (then it fails loudly).
"""

from __future__ import annotations

import json
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import pytest

from tests.e2e import conftest as e2e
from tests.helpers.relharness import data_urls, json_lines, poll_until, record_figure, status

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.timeout(900)]

READY_FLIP_LIMIT_S = 5.0
RECOVERY_LIMIT_S = 10.0
# Compose defaults: connect 3 s, pool wait 5 s, statement 5 s; plus slack. Longer is a hang.
REQUEST_BOUND_S = 5 + 5 + 2.0
UNAVAILABLE = {"detail": "database unavailable"}


@pytest.fixture(scope="module")
def stack(app_image: str) -> Iterator:  # type: ignore[no-untyped-def]
    project = e2e.ComposeProject(e2e.unique_name("sarel"), image=app_image)
    try:
        project.up(timeout=240)
        e2e.wait_http(project.base_url + "/readyz", timeout=60)
        yield project
    finally:
        project.down(volumes=True)


def _container_state(project, service: str) -> dict:  # type: ignore[no-untyped-def]
    return project.inspect(service)["State"]


def _wait_healthy(project, service: str, timeout: float = 90) -> None:  # type: ignore[no-untyped-def]
    """Compose refuses to start a dependant while a dependency's healthcheck says unhealthy
    (a long pause fails pg_isready several times); wait until it has caught up."""
    ok = poll_until(lambda: _container_state(project, service).get("Health", {}).get("Status")
                    == "healthy", timeout, interval=1)
    assert ok, f"{service} not healthy again: {_container_state(project, service).get('Health')}"


def _timed(url: str, timeout: float = 30.0) -> tuple[int | None, object, float]:
    started = time.monotonic()
    try:
        resp = httpx.get(url, timeout=timeout)
        body: object = resp.json() if "json" in resp.headers.get("content-type", "") else resp.text[:200]
        return resp.status_code, body, time.monotonic() - started
    except httpx.HTTPError as exc:
        return None, repr(exc), time.monotonic() - started


def _outage(project, kind: str, down: list[str], up: list[str]) -> None:  # type: ignore[no-untyped-def]
    base = project.base_url
    urls = data_urls(base)
    api_started = _container_state(project, "api")["StartedAt"]

    # timings run from the moment the command is issued: the conservative reference
    down_at = time.monotonic()
    project.compose(*down, "postgres")
    flipped = poll_until(lambda: status(base + "/readyz", timeout=10) == 503, 30, interval=0.05)
    flip_s = time.monotonic() - down_at
    assert flipped, f"/readyz never turned 503 after {kind}\n{project.logs('api')[-3000:]}"
    record_figure(f"compose_{kind}.readyz_flip_s", round(flip_s, 2), "s",
                  f"docker compose {' '.join(down)} postgres -> /readyz 503")

    assert status(base + "/healthz") == 200
    problems, worst = [], 0.0
    for url in urls:
        code, body, took = _timed(url)
        worst = max(worst, took)
        if code != 503 or body != UNAVAILABLE or took > REQUEST_BOUND_S:
            problems.append(f"{url}: {code} {body!r} in {took:.2f}s")
    record_figure(f"compose_{kind}.slowest_503_s", round(worst, 2), "s",
                  f"slowest data-route answer, DB {kind} (bound {REQUEST_BOUND_S:g} s)")
    assert status(base + "/healthz") == 200

    up_at = time.monotonic()
    project.compose(*up, "postgres")
    recovered = poll_until(lambda: status(base + "/readyz", timeout=5) == 200, 60, interval=0.05)
    recovery_s = time.monotonic() - up_at
    assert recovered, f"/readyz never recovered after {kind}\n{project.logs('api')[-3000:]}"
    record_figure(f"compose_{kind}.recovery_s", round(recovery_s, 2), "s",
                  f"docker compose {' '.join(up)} postgres -> /readyz 200, api not restarted")

    assert not problems, f"data routes during the outage ({kind}):\n" + "\n".join(problems)
    assert flip_s <= READY_FLIP_LIMIT_S, f"readiness flip {flip_s:.2f}s > {READY_FLIP_LIMIT_S}s"
    assert recovery_s <= RECOVERY_LIMIT_S, f"recovery {recovery_s:.2f}s > {RECOVERY_LIMIT_S}s"
    after = [(u, status(u, timeout=10)) for u in urls]
    assert all(code == 200 for _, code in after), after
    assert _container_state(project, "api")["StartedAt"] == api_started, "api was restarted"


def test_compose_postgres_stopped(stack) -> None:  # type: ignore[no-untyped-def]
    try:
        _outage(stack, "stopped", ["stop", "-t", "10"], ["start"])
    finally:
        stack.compose("start", "postgres", check=False)
        _wait_healthy(stack, "postgres")


def test_compose_postgres_paused(stack) -> None:  # type: ignore[no-untyped-def]
    try:
        _outage(stack, "paused", ["pause"], ["unpause"])
    finally:
        stack.compose("unpause", "postgres", check=False)
        _wait_healthy(stack, "postgres")


# --------------------------------------------------------------------------------------------
# Restart under load


@dataclass
class Stream:
    """A steady request stream in a thread.

    Outcomes: ``ok`` (2xx), ``http_<code>`` (an error response), ``unanswered`` (refused, or the
    connection closed/reset before any response byte: behind Docker's port proxy that is what a
    refused connection looks like, and the request never reached the app), ``cut`` (reset in the
    middle of a response) and ``timeout``. With ``retry`` only ``unanswered`` is retried, as any
    HTTP client may for a GET; everything else is a failure.
    """

    urls: list[str]
    retry: bool
    rate: float = 20.0
    outcomes: Counter = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    unanswered_at: list[float] = field(default_factory=list)
    retries: int = 0
    longest_wait_s: float = 0.0
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        # A fresh connection per request: stale keep-alive sockets are a client concern, not
        # what this test is about.
        limits = httpx.Limits(max_keepalive_connections=0)
        with httpx.Client(timeout=httpx.Timeout(30.0, connect=2.0), limits=limits) as client:
            i = 0
            next_at = time.monotonic()
            while not self.stop.is_set():
                url = self.urls[i % len(self.urls)]
                i += 1
                self._one(client, url)
                next_at += 1 / self.rate
                time.sleep(max(0.0, next_at - time.monotonic()))

    def _one(self, client: httpx.Client, url: str) -> None:
        started = time.monotonic()
        deadline = started + 60
        while True:
            headers_seen = False
            try:
                with client.stream("GET", url) as resp:
                    headers_seen = True
                    resp.read()
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.RemoteProtocolError,
                    httpx.ReadError, httpx.WriteError) as exc:
                if headers_seen:
                    self.outcomes["cut"] += 1
                    self.failures.append(f"{url}: cut mid-response ({exc!r})")
                    return
                self.unanswered_at.append(time.monotonic())
                if self.retry and time.monotonic() < deadline:
                    self.retries += 1
                    time.sleep(0.1)
                    continue
                self.outcomes["unanswered"] += 1
                if self.retry:
                    self.failures.append(f"{url}: gave up after 60 s ({exc!r})")
                return
            except httpx.TimeoutException as exc:
                self.outcomes["timeout"] += 1
                self.failures.append(f"{url}: {exc!r}")
                return
            except httpx.HTTPError as exc:
                self.outcomes["other"] += 1
                self.failures.append(f"{url}: {exc!r}")
                return
            self.longest_wait_s = max(self.longest_wait_s, time.monotonic() - started)
            if 200 <= resp.status_code < 300:
                self.outcomes["ok"] += 1
            else:
                self.outcomes[f"http_{resp.status_code}"] += 1
                self.failures.append(f"{url}: HTTP {resp.status_code} {resp.text[:120]}")
            return


def test_restart_under_load(stack) -> None:  # type: ignore[no-untyped-def]
    base = stack.base_url
    game = httpx.get(base + "/api/v1/games", params={"limit": 1}, timeout=10).json()["items"][0]
    urls = [f"{base}/api/v1/standings?season={game['season']}", f"{base}/api/v1/games/{game['game_id']}",
            f"{base}/api/v1/teams", f"{base}/api/v1/games?limit=20"]
    _wait_healthy(stack, "postgres")
    since = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())  # this test's log lines only
    retrying, plain = Stream(urls, retry=True), Stream(urls, retry=False)
    threads = [threading.Thread(target=s.run, daemon=True) for s in (retrying, plain)]
    for t in threads:
        t.start()
    try:
        time.sleep(3)
        stopped_at = time.monotonic()
        stack.compose("stop", "-t", "30", "api", timeout=90)
        stop_s = time.monotonic() - stopped_at
        state = _container_state(stack, "api")
        exit_code = state["ExitCode"]
        stack.compose("start", "api", timeout=90)
        assert poll_until(lambda: status(base + "/readyz", timeout=3) == 200, 60, interval=0.1)
        back_s = time.monotonic() - stopped_at
        time.sleep(3)
    finally:
        for s in (retrying, plain):
            s.stop.set()
        for t in threads:
            t.join(90)

    logs = stack.compose("logs", "--no-color", "--no-log-prefix", "--since", since, "api",
                         check=False).stdout
    total_retrying = sum(retrying.outcomes.values())
    plain_failed = sum(v for k, v in plain.outcomes.items() if k not in {"ok", "unanswered"})

    def phase(t: float) -> str:
        if t < stopped_at:
            return "before"
        if t < stopped_at + stop_s:
            return "draining"
        return "down/starting" if t < stopped_at + back_s else "after"

    unanswered = Counter(phase(t) for t in plain.unanswered_at)
    record_figure("restart.requests_sent", total_retrying + sum(plain.outcomes.values()), "requests",
                  "two 20 req/s streams across docker compose stop (SIGTERM) + start of api")
    record_figure("restart.failed_retrying_client", len(retrying.failures), "requests",
                  f"client retrying unanswered connections: {retrying.outcomes['ok']} ok, "
                  f"{retrying.retries} retries, longest wait {retrying.longest_wait_s:.1f} s")
    record_figure("restart.failed_accepted_requests", plain_failed, "requests",
                  "non-retrying client: error responses, timeouts, responses cut short; "
                  f"unanswered by phase {dict(unanswered)}")
    record_figure("restart.sigterm_to_exit_s", round(stop_s, 2), "s",
                  f"docker compose stop api (graceful), exit code {exit_code}")
    record_figure("restart.sigterm_to_ready_s", round(back_s, 2), "s", "stop + start until /readyz 200")

    detail = (f"retrying: {dict(retrying.outcomes)} {retrying.failures[:10]}\n"
              f"plain: {dict(plain.outcomes)} {plain.failures[:10]} unanswered {dict(unanswered)}"
              f"\n--- api log\n{logs[-3000:]}")
    assert exit_code == 0, f"api exited {exit_code} on SIGTERM\n{detail}"
    assert retrying.outcomes["ok"] > 50, detail
    assert not retrying.failures and total_retrying == retrying.outcomes["ok"], detail
    assert plain_failed == 0, detail
    server_errors = [r for r in json_lines(logs) if str(r.get("route", "")).startswith("/api")
                     and int(r.get("status", 0)) >= 500]
    assert not server_errors, server_errors[:5]
    assert not [r for r in json_lines(logs) if r.get("level") == "error"], detail
    assert "Traceback" not in logs, logs[-3000:]


# --------------------------------------------------------------------------------------------
# Concurrent deploys


def test_three_migrate_containers_at_once(app_image: str) -> None:
    from sports_analytics.db.migrate import script_heads
    from sports_analytics.db.writes import LockKey

    project = e2e.ComposeProject(e2e.unique_name("samig"), image=app_image)
    holder = None

    def psql(sql: str) -> list[str]:
        out = project.compose("exec", "-T", "postgres", "sh", "-c",
                              f'psql -U "$POSTGRES_USER" -d "$POSTGRES_DB" -tAc "{sql}"').stdout
        return [line for line in out.splitlines() if line.strip()]

    try:
        project.up("postgres", timeout=120)
        # Hold the migration lock so that all three containers provably queue on it at once.
        holder = subprocess.Popen(
            ["docker", "compose", "-p", project.name, "-f", str(e2e.COMPOSE_FILE), "exec", "-T",
             "postgres", "sh", "-c",
             'PGAPPNAME=rel-lock-holder psql -U "$POSTGRES_USER" -d "$POSTGRES_DB" -c '
             f'"SELECT pg_advisory_lock({LockKey.MIGRATION}); SELECT pg_sleep(120)"'],
            env=project.env, cwd=e2e.REPO_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        assert poll_until(lambda: psql("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                                       "AND granted") == ["1"], 30, interval=0.5)
        project.compose("up", "-d", "--no-deps", "--no-build", "--pull", "never", "--scale",
                        "migrate=3", "migrate", timeout=120)
        waiting = poll_until(lambda: psql("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                                          "AND NOT granted") == ["3"], 120, interval=0.5)
        assert waiting, "the three migrate containers never queued on the lock together\n" + \
            project.logs("migrate")[-4000:]
        released_at = time.monotonic()
        psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
             "WHERE application_name = 'rel-lock-holder'")

        def all_exited() -> bool:
            out = project.compose("ps", "-a", "--format", "json", "migrate").stdout
            rows = [json.loads(line) for line in out.splitlines() if line.strip()]
            if out.strip().startswith("["):
                rows = json.loads(out)
            return len(rows) == 3 and all(r["State"] == "exited" for r in rows)

        assert poll_until(all_exited, 300, interval=0.5), project.logs("migrate")[-4000:]
        all_done_s = time.monotonic() - released_at
        ids = project.compose("ps", "-a", "-q", "migrate").stdout.split()
        codes = [json.loads(e2e.docker("inspect", cid).stdout)[0]["State"]["ExitCode"] for cid in ids]
        logs = project.logs("migrate")
        assert len(ids) == 3 and codes == [0, 0, 0], f"exit codes {codes}\n{logs[-4000:]}"

        versions = psql("SELECT version_num FROM alembic_version")
        assert versions == sorted(script_heads()), versions
        games = psql("SELECT count(*) FROM games")
        assert games == ["1230"], games
        events = [r for r in json_lines(logs) if r.get("logger") == "sports_analytics.db.migrate"]
        applied = [r for r in events if r.get("event") == "migrations applied"]
        current = [r for r in events if r.get("event") == "schema already current"]
        waits = [r.get("waited_s", 0) for r in events if r.get("event") == "migration lock acquired"]
        assert len(applied) == 1 and len(current) == 2, f"applied {applied}, current {current}"
        record_figure("deploy.concurrent_migrate_exit_codes", ",".join(map(str, codes)), "",
                      f"3 migrate containers queued on the lock at once: one applied, two found "
                      f"head (lock waits {sorted(waits)} s, all exited {all_done_s:.1f} s after "
                      f"release); alembic_version rows {versions}")
    finally:
        if holder is not None:
            holder.kill()
            holder.wait(10)
        project.down(volumes=True)
