"""The image and docker-compose.yml under a real engine.

One stack per module (unique project name, free loopback API port, random secrets) serves the
read-only checks; it is torn down with ``down -v`` whatever happens. The persistence test runs
last because it restarts that stack. A second, short-lived project checks that a failing
migration keeps the API from starting.
"""

from __future__ import annotations

import json
import re
import secrets
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

# ``import conftest`` would be tests/conftest.py; this directory is the package ``e2e``.
from tests.e2e import conftest as _e2e

E2E_APP_VERSION = _e2e.E2E_APP_VERSION
E2E_BUILD_TIME = _e2e.E2E_BUILD_TIME
E2E_GIT_SHA = _e2e.E2E_GIT_SHA
E2E_SOURCE_URL = _e2e.E2E_SOURCE_URL
COMPOSE_FILE = _e2e.COMPOSE_FILE
ComposeProject = _e2e.ComposeProject
docker = _e2e.docker
http_get = _e2e.http_get
unique_name = _e2e.unique_name
wait_http = _e2e.wait_http

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.timeout(900)]

CLI_COMMANDS = ("serve", "migrate", "seed-demo", "ingest", "sync", "refresh", "check", "features",
                "predict")
# One finished game in the CSV ingest format (docs/ingest-format.md).
INGEST_CSV = (
    "season,game_date,game_id,team,opponent,home_away,pts,fgm,fga,fg3m,fg3a,ftm,fta,oreb,reb,"
    "ast,stl,blk,tov,pf,min\n"
    "2024,2024-11-02,0022400101,BOS,NYK,H,112,41,85,12,36,18,22,10,44,25,7,5,13,19,240\n"
    "2024,2024-11-02,0022400101,NYK,BOS,A,105,38,79,12,36,17,21,10,44,25,7,5,13,19,240\n"
)


def _write_secret(directory: Path, name: str, value: str) -> Path:
    path = directory / name
    path.write_text(value)
    path.chmod(0o644)  # compose bind-mounts secret files: UID 10001 and postgres must read them
    directory.chmod(0o755)
    return path


@pytest.fixture(scope="module")
def runtime_secrets(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return {
        "db_password": "e2e-" + secrets.token_hex(16),
        "gemini_api_key": "e2e-gemini-" + secrets.token_hex(16),
    }


@pytest.fixture(scope="module")
def stack(app_image: str, runtime_secrets: dict[str, str],
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[ComposeProject]:
    secret_dir = tmp_path_factory.mktemp("secrets")
    env = {
        "POSTGRES_PASSWORD_FILE_HOST": str(_write_secret(secret_dir, "pg", runtime_secrets["db_password"])),
        "GEMINI_API_KEY_FILE_HOST": str(_write_secret(secret_dir, "gemini", runtime_secrets["gemini_api_key"])),
    }
    project = ComposeProject(unique_name(), image=app_image, env=env)
    try:
        proc = project.up(check=False)
        if proc.returncode != 0:
            pytest.fail(f"`docker compose up --wait` failed:\n{proc.stderr[-3000:]}\n{project.logs()[-6000:]}")
        yield project
    finally:
        project.down(volumes=True)


def _standings(project: ComposeProject) -> list[dict]:
    """The latest season's standings: Compose seeds the demo season around today."""
    status, body, _ = http_get(f"{project.base_url}/api/v1/standings?limit=30")
    assert status == 200, body[:500]
    return json.loads(body)["items"]


def _psql(project: ComposeProject, sql: str, database: str = "sports_analytics") -> str:
    user = "analyst"
    proc = project.compose("exec", "-T", "postgres", "psql", "-U", user, "-d", database,
                           "-tAc", sql)
    return proc.stdout.strip()


# --- the image ------------------------------------------------------------------------------


def test_image_metadata_comes_from_build_args(app_image: str) -> None:
    info = json.loads(docker("image", "inspect", app_image).stdout)[0]
    cfg = info["Config"]
    labels = cfg["Labels"]
    assert labels["org.opencontainers.image.version"] == E2E_APP_VERSION
    assert labels["org.opencontainers.image.revision"] == E2E_GIT_SHA
    assert labels["org.opencontainers.image.created"] == E2E_BUILD_TIME
    assert labels["org.opencontainers.image.source"] == E2E_SOURCE_URL
    env = dict(e.split("=", 1) for e in cfg["Env"])
    assert env["APP_VERSION"] == E2E_APP_VERSION and env["GIT_SHA"] == E2E_GIT_SHA
    assert env["APP_ENV"] == "production" and env["PROMETHEUS_MULTIPROC_DIR"] == "/tmp/prometheus"
    assert env["PYTHONUNBUFFERED"] == "1" and env["PYTHONDONTWRITEBYTECODE"] == "1"
    assert cfg["User"] == "10001:10001"
    assert cfg["Entrypoint"] == ["sports-analytics"] and cfg["Cmd"] == ["serve"]
    assert "8000/tcp" in cfg["ExposedPorts"]


def test_image_lists_every_cli_command_and_ships_compiled_bytecode(app_image: str) -> None:
    proc = docker("run", "--rm", "--read-only", "--cap-drop", "ALL", app_image, "--help")
    for command in CLI_COMMANDS:
        assert command in proc.stdout
    # the bytecode was compiled at build time: nothing to write, and the source is not needed
    proc = docker("run", "--rm", "--read-only", "--entrypoint", "python", app_image, "-c",
                  "import importlib.util as u, os, sys; "
                  "spec = u.find_spec('sports_analytics.app'); "
                  "print(spec.cached); sys.exit(0 if os.path.exists(spec.cached) else 1)")
    assert "__pycache__" in proc.stdout


def test_check_command_gives_one_clear_line_without_a_database(app_image: str) -> None:
    proc = docker("run", "--rm", "--read-only", "-e", "POSTGRES_HOST=127.0.0.1",
                  "-e", "POSTGRES_PASSWORD=not-a-placeholder-e2e", "-e", "DB_CONNECT_TIMEOUT_SECONDS=1",
                  app_image, "check", check=False, timeout=60)
    assert proc.returncode == 3, proc.stderr[-2000:]  # 3: database unavailable
    assert "not-a-placeholder-e2e" not in proc.stdout + proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got {len(lines)}:\n{proc.stderr[-2000:]}"
    line = json.loads(lines[0])
    assert (line["event"], line["command"], line["exit_code"]) == ("command failed", "check", 3)
    assert "unreachable" in line["error"], line


# --- the stack ------------------------------------------------------------------------------


def test_api_is_ready_and_serves_the_demo_season_around_today(stack: ComposeProject) -> None:
    """`seed-demo --as-of today`: the season around today, final up to yesterday, the rest
    scheduled with predictions, and the first page shows a game day."""
    body = wait_http(f"{stack.base_url}/readyz", timeout=30)
    assert json.loads(body)["status"] == "ready"
    rows = _standings(stack)
    assert len(rows) == 30
    assert {r["conference"] for r in rows} == {"East", "West"}
    counts = _psql(stack, "SELECT count(*) FILTER (WHERE status = 'final') || '|' || count(*) "
                          "|| '|' || count(*) FILTER (WHERE status = 'final' AND date >= "
                          "(now() AT TIME ZONE 'America/New_York')::date) FROM games")
    finals, games, finals_from_today = (int(x) for x in counts.split("|"))
    assert games == 1230 and finals_from_today == 0
    assert sum(r["wins"] for r in rows) == finals == sum(r["losses"] for r in rows)
    status, html, headers = http_get(f"{stack.base_url}/")
    content_type = {k.lower(): v for k, v in headers.items()}["content-type"]
    assert status == 200 and content_type.startswith("text/html")
    assert b"<h1>Games of " in html and b'class="bar-fill"' in html


def test_version_reports_the_build_args(stack: ComposeProject) -> None:
    status, body, _ = http_get(f"{stack.base_url}/version")
    assert status == 200
    info = json.loads(body)
    assert (info["version"], info["git_sha"], info["build_time"]) == (
        E2E_APP_VERSION, E2E_GIT_SHA, E2E_BUILD_TIME)


def test_metrics_parse_with_prometheus_client(stack: ComposeProject) -> None:
    for _ in range(3):
        http_get(f"{stack.base_url}/api/v1/teams")
    status, body, headers = http_get(f"{stack.base_url}/metrics")
    assert status == 200
    assert headers.get("Content-Type", headers.get("content-type", "")).startswith("text/plain")
    families = {f.name: f for f in text_string_to_metric_families(body.decode())}
    assert "http_requests" in families, sorted(families)  # the parser drops the _total suffix
    samples = [s for s in families["http_requests"].samples if s.name == "http_requests_total"]
    teams = [s for s in samples if s.labels.get("route") == "/api/v1/teams"]
    assert sum(s.value for s in teams) >= 3, samples
    assert "http_request_duration_seconds" in families


def test_api_runs_as_10001_on_a_read_only_root(stack: ComposeProject) -> None:
    info = stack.inspect("api")
    assert info["Config"]["User"] == "10001:10001"
    host = info["HostConfig"]
    assert host["ReadonlyRootfs"] is True
    assert host["CapDrop"] == ["ALL"] or "ALL" in host["CapDrop"]
    assert any("no-new-privileges" in opt for opt in host["SecurityOpt"])
    assert host["NanoCpus"] == 1_000_000_000 and host["Memory"] == 512 * 1024 * 1024
    cid = info["Id"]
    assert docker("exec", cid, "id", "-u").stdout.strip() == "10001"
    assert docker("exec", cid, "id", "-g").stdout.strip() == "10001"
    denied = docker("exec", cid, "sh", "-c", "touch /opt/venv/x || touch /app/x || touch /x",
                    check=False)
    assert denied.returncode != 0 and "Read-only file system" in denied.stderr
    docker("exec", cid, "sh", "-c", "touch /tmp/e2e-write-test && rm /tmp/e2e-write-test")
    # gunicorn is PID 1 (no shell in between to swallow SIGTERM)
    cmdline = docker("exec", cid, "cat", "/proc/1/cmdline").stdout.replace("\0", " ")
    assert "gunicorn" in cmdline, cmdline
    # the multiprocess metrics directory lives on the tmpfs
    assert docker("exec", cid, "ls", "/tmp/prometheus").returncode == 0


def test_no_runtime_secret_in_image_layers_env_or_logs(stack: ComposeProject, app_image: str,
                                                       runtime_secrets: dict[str, str]) -> None:
    haystacks = {
        "docker history": docker("history", "--no-trunc", "--format", "{{.CreatedBy}}", app_image).stdout,
        "image inspect": docker("image", "inspect", app_image).stdout,
    }
    for service in ("postgres", "migrate", "api"):
        haystacks[f"inspect {service}"] = docker("inspect", stack.container_id(service)).stdout
    haystacks["logs"] = stack.logs()
    assert "/run/secrets/db_password" in haystacks["inspect api"]  # it is passed, as a file
    for name, value in runtime_secrets.items():
        for where, text in haystacks.items():
            assert value not in text, f"{name} leaked into {where}"
    # ...and the secret really was used: the app reads it from the mounted file
    api = stack.container_id("api")
    assert docker("exec", api, "cat", "/run/secrets/db_password").stdout.strip() == runtime_secrets["db_password"]
    assert docker("exec", api, "printenv", "GEMINI_API_KEY_FILE").stdout.strip() == "/run/secrets/gemini_api_key"


def test_every_cli_command_runs_on_a_read_only_root(stack: ComposeProject, app_image: str,
                                                    tmp_path: Path) -> None:
    """Each command does its real work in a container with a read-only root (and a tmpfs /tmp,
    as docker-compose.yml and the chart give it), against its own database on the stack's
    server: migrate, seed-demo, ingest, sync (from a fake stats API), features, predict,
    refresh, check, and serve until it is ready."""
    from tests.helpers.fake_stats import FakeStats

    database = "cli_read_only"
    _psql(stack, f"CREATE DATABASE {database}")
    csv_dir = tmp_path / "csv"
    csv_dir.mkdir(mode=0o755)
    (csv_dir / "games.csv").write_text(INGEST_CSV)
    (csv_dir / "games.csv").chmod(0o644)  # the image's user 10001 reads the bind mount
    network = f"{stack.name}_default"
    gateway = docker("network", "inspect", "-f", "{{(index .IPAM.Config 0).Gateway}}",
                     network).stdout.strip()
    fake = FakeStats().start(host=gateway)
    options = [
        "--read-only", "--tmpfs", "/tmp", "--cap-drop", "ALL",
        "--security-opt", "no-new-privileges:true", "--network", network,
        "-v", f"{stack.env['POSTGRES_PASSWORD_FILE_HOST']}:/run/secrets/db_password:ro",
        "-v", f"{csv_dir}:/data:ro",
        "-e", "POSTGRES_HOST=postgres", "-e", f"POSTGRES_DB={database}",
        "-e", "POSTGRES_USER=analyst", "-e", "POSTGRES_PASSWORD_FILE=/run/secrets/db_password",
        "-e", f"NBA_STATS_BASE_URL={fake.base_url}", "-e", "NBA_STATS_REQUEST_DELAY_SECONDS=0",
    ]
    season = str(fake.season)
    jobs = [["migrate"], ["seed-demo"], ["ingest", "/data/games.csv"], ["sync", "--season", season],
            ["features"], ["predict"], ["refresh", "--season", season], ["check"]]
    try:
        for job in jobs:
            proc = docker("run", "--rm", *options, app_image, *job, check=False, timeout=300)
            assert proc.returncode == 0, f"{job}: exit {proc.returncode}\n{proc.stderr[-3000:]}"
            assert "Read-only file system" not in proc.stderr, proc.stderr[-3000:]
    finally:
        fake.stop()
    assert fake.calls("scheduleleaguev2") >= 1, "sync never reached the fake stats API"
    sources = _psql(stack, "SELECT string_agg(DISTINCT CASE WHEN external_id LIKE 'DEMO-%' THEN 'demo' "
                           "WHEN external_id = '0022400101' THEN 'csv' ELSE 'sync' END, ',') "
                           "FROM games", database=database)
    assert sources == "csv,demo,sync", sources
    assert _psql(stack, "SELECT count(*) > 0 FROM predictions", database=database) == "t"

    port = _e2e.free_port()
    cid = docker("run", "-d", *options, "-p", f"127.0.0.1:{port}:8000", app_image,
                 "serve").stdout.strip()
    try:
        body = wait_http(f"http://127.0.0.1:{port}/readyz", timeout=90)
        assert json.loads(body)["status"] == "ready"
        status, body, _ = http_get(f"http://127.0.0.1:{port}/api/v1/games?season={season}")
        assert status == 200 and json.loads(body)["total"] > 0, body[:300]
    finally:
        logs = docker("logs", cid, check=False)
        docker("rm", "-f", cid, check=False)
    assert "Read-only file system" not in logs.stdout + logs.stderr


def test_named_volume_keeps_data_across_down_up_and_down_v_removes_it(stack: ComposeProject) -> None:
    """Runs last in the module: it restarts the shared stack."""
    identity = "SELECT system_identifier FROM pg_control_system()"
    cluster_id = _psql(stack, identity)
    _psql(stack, "CREATE TABLE e2e_marker (note text); INSERT INTO e2e_marker VALUES ('kept')")
    volumes = stack.volumes()
    assert any(v.endswith("_postgres_data") for v in volumes), volumes

    stack.down(volumes=False)
    assert stack.volumes() == volumes
    stack.up()
    assert _psql(stack, identity) == cluster_id, "a new cluster: the volume was not reused"
    assert _psql(stack, "SELECT note FROM e2e_marker") == "kept"
    assert len(_standings(stack)) == 30

    stack.down(volumes=True)
    assert not any(v.endswith("_postgres_data") for v in stack.volumes())
    # up again without the demo season: an empty, freshly initialised database
    stack.env["SEED_DEMO_DATA"] = "false"
    stack.up()
    assert _psql(stack, identity) != cluster_id
    assert _psql(stack, "SELECT to_regclass('e2e_marker') IS NULL") == "t"
    assert _psql(stack, "SELECT count(*) FROM games") == "0"


# --- a failing migration ------------------------------------------------------------------------


def test_failed_migration_keeps_api_from_starting(compose_project, tmp_path: Path) -> None:
    password = "e2e-" + secrets.token_hex(12)
    secret = _write_secret(tmp_path, "bad_url", f"postgresql://analyst:{password}@postgres:5432/no_such_db")
    override = tmp_path / "bad-url.yaml"
    override.write_text(
        "services:\n"
        "  migrate:\n"
        "    environment: {DATABASE_URL_FILE: /run/secrets/bad_database_url, DB_WAIT_SECONDS: '3'}\n"
        "    secrets: [db_password, bad_database_url]\n"
        "  api:\n"
        "    environment: {DATABASE_URL_FILE: /run/secrets/bad_database_url}\n"
        "    secrets: [db_password, gemini_api_key, bad_database_url]\n"
        "secrets:\n"
        f"  bad_database_url: {{file: {secret}}}\n"
    )
    project = compose_project(files=[COMPOSE_FILE, override])
    started = time.monotonic()
    proc = project.up(check=False, timeout=180)
    assert proc.returncode != 0, "up --wait must fail when the migration fails"
    assert time.monotonic() - started < 120

    migrate = project.inspect("migrate")["State"]
    assert migrate["Status"] == "exited" and migrate["ExitCode"] != 0
    api = project.inspect("api")["State"]
    assert api["Status"] == "created" and api["StartedAt"].startswith("0001-"), api

    logs = project.logs("migrate")
    assert password not in logs and password not in proc.stdout + proc.stderr
    lines = [ln for ln in logs.splitlines()
             if "migrate" in ln.lower() and "fail" in ln.lower() and "database" in ln.lower()]
    assert lines, f"no clear failure line in the migrate logs:\n{logs[-3000:]}"
    assert "migrate" in proc.stderr, proc.stderr[-2000:]


# --- the development override -------------------------------------------------------------------


def test_dev_override_reloads_edited_source(compose_project, tmp_path: Path) -> None:
    """compose.dev.yaml on a copy of the tree: an edit to the mounted source is served without
    a rebuild or a restart."""
    import shutil

    root = COMPOSE_FILE.parent
    for name in ("docker-compose.yml", "compose.dev.yaml"):
        shutil.copy2(root / name, tmp_path / name)
    shutil.copytree(root / "deploy", tmp_path / "deploy")
    shutil.copytree(root / "service", tmp_path / "service",
                    ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    for path in [tmp_path, *tmp_path.rglob("*")]:  # the containers' users read the bind mounts
        path.chmod(0o755 if path.is_dir() else 0o644)
    pg_port = _e2e.free_port()
    project = compose_project(files=[tmp_path / "docker-compose.yml", tmp_path / "compose.dev.yaml"],
                              env={"POSTGRES_DEV_PORT": str(pg_port)})
    proc = project.up(check=False)
    assert proc.returncode == 0, proc.stderr[-3000:] + project.logs()[-4000:]
    probe = f"{project.base_url}/e2e-reload-probe"
    assert http_get(probe)[0] == 404

    app_py = tmp_path / "service" / "sports_analytics" / "app.py"
    app_py.write_text(app_py.read_text() + (
        "\n\n_e2e_original_create_app = create_app\n\n\n"
        "def create_app(settings=None):  # type: ignore[no-redef]\n"
        "    app = _e2e_original_create_app(settings)\n"
        "    app.add_api_route('/e2e-reload-probe', lambda: {'reloaded': True}, methods=['GET'])\n"
        "    return app\n"
    ))
    body = wait_http(probe, timeout=60)
    assert json.loads(body) == {"reloaded": True}
    assert "Reloading" in project.logs("api")
    # the database is published on loopback for local tools
    with socket.create_connection(("127.0.0.1", pg_port), timeout=5):
        pass


# --- the nightly refresh --------------------------------------------------------------------


def test_compose_run_refresh_fills_the_stack_from_a_fake_stats_api(compose_project) -> None:
    """`docker compose run --rm refresh` on a fresh host (only PostgreSQL running, no schema
    yet), with NBA_STATS_BASE_URL pointing at a fake NBA stats API on the project network's
    gateway: it migrates, exits 0 with JSON logs, the season's finals and upcoming games (with
    predictions) land in the stack's database, the run is recorded, the container is removed,
    and the API started afterwards (without the demo season) serves them."""
    from tests.helpers.fake_stats import FakeStats

    project = compose_project(env={"SEED_DEMO_DATA": "false"})
    proc = project.up("postgres", check=False)  # creates the network the fake listens on
    assert proc.returncode == 0, proc.stderr[-3000:] + project.logs()[-4000:]
    gateway = docker("network", "inspect", "-f", "{{(index .IPAM.Config 0).Gateway}}",
                     f"{project.name}_default").stdout.strip()
    fake = FakeStats().start(host=gateway)
    try:
        project.env.update({"NBA_STATS_BASE_URL": fake.base_url, "NBA_STATS_REQUEST_DELAY_SECONDS": "0"})
        started = time.monotonic()
        run = project.compose("run", "--rm", "-T", "refresh", check=False, timeout=600)
        took = time.monotonic() - started
        assert fake.calls("scheduleleaguev2") >= 1, "the refresh container never reached the fake"
    finally:
        fake.stop()
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-3000:]
    # stdout: the command's one result object; stderr: JSON log lines (and Compose's own
    # progress lines about the project's containers)
    results = [json.loads(ln) for ln in run.stdout.splitlines() if ln.strip()]
    assert len(results) == 1 and results[0]["command"] == "refresh", run.stdout[-2000:]
    assert results[0]["outcome"] == "success"
    lines = [ln for ln in run.stderr.splitlines()
             if ln.strip() and not re.match(r"\s*(Container|Network|Volume) ", ln)]
    assert lines and all(ln.startswith("{") for ln in lines), lines[:5]
    events = [json.loads(ln).get("event") for ln in lines]
    assert "refresh complete" in events, events
    print(f"\ndocker compose run --rm refresh: exit 0 in {took:.1f}s")

    def psql(sql: str) -> list[str]:
        out = project.compose("exec", "-T", "postgres", "psql", "-U", "analyst", "-d", "sports_analytics",
                              "-AtX", "-v", "ON_ERROR_STOP=1", "-c", sql).stdout
        return [ln for ln in out.splitlines() if ln]

    assert psql("SELECT status, count(*) FROM games GROUP BY status ORDER BY status") == \
        ["final|3", "scheduled|3"]
    assert psql("SELECT count(DISTINCT p.game_id) FROM predictions p JOIN games g ON g.id = p.game_id "
                "WHERE g.status = 'scheduled'") == ["3"]
    assert psql("SELECT outcome, source FROM refresh_runs") == ["success|nba_stats"]
    leftovers = docker("ps", "-aq", "--filter", f"label=com.docker.compose.project={project.name}",
                       "--filter", "label=com.docker.compose.service=refresh").stdout.split()
    assert leftovers == [], "--rm left the refresh container behind"
    # the API serves what the refresh loaded
    proc = project.up(check=False)
    assert proc.returncode == 0, proc.stderr[-3000:] + project.logs()[-4000:]
    status, body, _ = http_get(f"{project.base_url}/api/v1/games?season={fake.season}&status=scheduled")
    assert status == 200 and json.loads(body)["total"] == 3, body[:300]
