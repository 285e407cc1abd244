"""End-to-end plumbing: a real Docker engine, the repo's image, Compose projects that clean up.

Every test under ``tests/e2e`` is marked ``e2e``. When ``docker info`` fails the tests skip,
unless ``RUN_E2E=1`` (set by ``.ci/run``): then they fail loudly, because CI promised an engine.

Fixtures
- ``docker_engine``: the engine's server version (skips/fails as above).
- ``app_image``: the repo's Dockerfile built once per test run (shared by the pytest-xdist
  workers) with the legacy builder (``DOCKER_BUILDKIT=0``); returns the image tag.
- ``compose_project``: a factory of :class:`ComposeProject` with a unique project name and a
  free loopback ``API_PORT``; every project is torn down (``down -v``) after the test, pass or fail.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import runshare

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]
COMPOSE_FILE = REPO_ROOT / "docker-compose.yml"
BUILD_TIMEOUT = 900
COMPOSE_TIMEOUT = 300
# Build metadata the e2e image is stamped with; tests check /version and the labels report them.
E2E_APP_VERSION = "0.0.0-e2e"
E2E_GIT_SHA = "e2e0000000000000000000000000000000000000"
E2E_BUILD_TIME = "2026-01-01T00:00:00Z"
E2E_SOURCE_URL = "https://example.invalid/sports-analytics"


def run_e2e_required() -> bool:
    return os.environ.get("RUN_E2E", "").strip().lower() in {"1", "true", "yes"}


@lru_cache(maxsize=1)
def engine_status() -> tuple[bool, str]:
    """(usable, server version or the reason it is not)."""
    if shutil.which("docker") is None:
        return False, "the docker CLI is not on PATH"
    try:
        proc = subprocess.run(
            ["docker", "info", "--format", "{{.ServerVersion}}"],
            capture_output=True,
            text=True,
            timeout=30,
        )
    except subprocess.TimeoutExpired:
        return False, "`docker info` timed out"
    if proc.returncode != 0 or not proc.stdout.strip():
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        return False, f"`docker info` failed: {last}"
    compose = subprocess.run(["docker", "compose", "version", "--short"], capture_output=True, text=True)
    if compose.returncode != 0:
        return False, "the Docker Compose v2 plugin is missing (`docker compose version` failed)"
    return True, proc.stdout.strip()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.e2e)


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("e2e") is None:
        return
    ok, why = engine_status()
    if ok:
        return
    if run_e2e_required():
        pytest.fail(f"RUN_E2E=1 but no usable Docker engine: {why}", pytrace=False)
    pytest.skip(f"no Docker engine ({why}); RUN_E2E=1 turns this into a failure")


# ---------------------------------------------------------------------------------------------
# small helpers


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def unique_name(prefix: str = "sae2e") -> str:
    """A Compose project / resource name that no concurrent run uses."""
    return f"{prefix}{uuid.uuid4().hex[:10]}"


def docker(*args: str, check: bool = True, timeout: float = 120, env: dict[str, str] | None = None,
           cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        ["docker", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        cwd=cwd,
    )
    if check and proc.returncode != 0:
        raise AssertionError(
            f"docker {' '.join(args)} exited {proc.returncode}\n--- stdout\n{proc.stdout[-4000:]}"
            f"\n--- stderr\n{proc.stderr[-4000:]}"
        )
    return proc


def build_image(tag: str, *, context: Path = REPO_ROOT, dockerfile: str = "Dockerfile",
                build_args: dict[str, str] | None = None,
                no_cache: bool = False, timeout: float = BUILD_TIMEOUT) -> float:
    """Build an image; returns the wall time in seconds."""
    # the legacy builder: the engine CI uses has no buildx plugin, so BuildKit is not there
    env = dict(os.environ, DOCKER_BUILDKIT="0")
    args = ["build", "-t", tag, "-f", str(context / dockerfile)]
    for key, value in (build_args or {}).items():
        args += ["--build-arg", f"{key}={value}"]
    if no_cache:
        args.append("--no-cache")
    args.append(str(context))
    started = time.monotonic()
    docker(*args, timeout=timeout, env=env)
    return time.monotonic() - started


def http_get(url: str, timeout: float = 5) -> tuple[int, bytes, dict[str, str]]:
    """GET without raising on 4xx/5xx: (status, body, headers)."""
    req = urllib.request.Request(url, headers={"Accept": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:  # loopback only
            return resp.status, resp.read(), dict(resp.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), dict(exc.headers or {})


def wait_http(url: str, *, status: int = 200, timeout: float = 60) -> bytes:
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        try:
            code, body, _ = http_get(url, timeout=3)
            if code == status:
                return body
            last = f"HTTP {code}: {body[:200]!r}"
        except OSError as exc:
            last = exc
        time.sleep(0.5)
    raise AssertionError(f"{url} did not answer {status} within {timeout}s (last: {last})")


# ---------------------------------------------------------------------------------------------
# Compose projects


class ComposeProject:
    """One ``docker compose`` project on the repo's compose file, with its own name and port."""

    def __init__(self, name: str, *, image: str | None, env: dict[str, str] | None = None,
                 files: Sequence[Path] = (COMPOSE_FILE,), profiles: Sequence[str] = ()) -> None:
        self.name = name
        self.files = list(files)
        self.profiles = list(profiles)
        self.api_port = free_port()
        self.env = {
            k: v for k, v in os.environ.items()
            # a developer's shell must not leak settings into the project under test
            if not k.startswith(("POSTGRES_", "GEMINI_", "DATABASE_", "SEED_", "API_", "APP_"))
        }
        self.env.update({"COMPOSE_PROJECT_NAME": name, "API_PORT": str(self.api_port)})
        if image:
            self.env["APP_IMAGE"] = image
        self.env.update(env or {})

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    def compose(self, *args: str, check: bool = True, timeout: float = COMPOSE_TIMEOUT
                ) -> subprocess.CompletedProcess[str]:
        cmd = ["compose", "-p", self.name]
        for f in self.files:
            cmd += ["-f", str(f)]
        for p in self.profiles:
            cmd += ["--profile", p]
        return docker(*cmd, *args, check=check, timeout=timeout, env=self.env, cwd=REPO_ROOT)

    def up(self, *extra: str, wait: bool = True, check: bool = True,
           timeout: float = COMPOSE_TIMEOUT) -> subprocess.CompletedProcess[str]:
        args = ["up", "-d", "--no-build", "--pull", "never"]
        if wait:
            args += ["--wait", "--wait-timeout", str(int(timeout))]
        return self.compose(*args, *extra, check=check, timeout=timeout + 30)

    def down(self, *, volumes: bool = False) -> subprocess.CompletedProcess[str]:
        args = ["down", "--remove-orphans", "--timeout", "10"]
        if volumes:
            args.append("-v")
        return self.compose(*args, check=False, timeout=180)

    def logs(self, *services: str) -> str:
        proc = self.compose("logs", "--no-color", "--no-log-prefix", *services, check=False)
        return proc.stdout + proc.stderr

    def container_id(self, service: str, *, all_states: bool = True) -> str:
        args = ["ps", "-q"] + (["-a"] if all_states else []) + [service]
        ids = self.compose(*args).stdout.split()
        if not ids:
            raise AssertionError(f"no container for service {service!r} in {self.name}")
        return ids[0]

    def inspect(self, service: str) -> dict[str, Any]:
        out = docker("inspect", self.container_id(service)).stdout
        return json.loads(out)[0]

    def volumes(self) -> list[str]:
        out = docker("volume", "ls", "-q", "--filter", f"label=com.docker.compose.project={self.name}")
        return out.stdout.split()


@pytest.fixture(scope="session")
def docker_engine() -> str:
    ok, version = engine_status()
    if not ok:  # pytest_runtest_setup has already skipped/failed; this is for non-e2e users
        pytest.skip(version)
    return version


def _build_app_image() -> dict[str, Any]:
    tag = f"sports-analytics:{unique_name('e2e-')}"
    build_image(
        tag,
        build_args={
            "APP_VERSION": E2E_APP_VERSION,
            "GIT_SHA": E2E_GIT_SHA,
            "BUILD_TIME": E2E_BUILD_TIME,
            "SOURCE_URL": E2E_SOURCE_URL,
        },
    )
    # the layers stay cached for the next run; only this run's tag goes
    return {"tag": tag, "release": {"run": [["docker", "rmi", tag]]}}


@pytest.fixture(scope="session")
def app_image(docker_engine: str) -> str:
    """The repo's Dockerfile, built once per test run with the legacy builder.

    Built by the first pytest-xdist worker that needs it and reused by the others (and by
    tests/reliability, which re-exports this fixture); removed when the run ends.
    """
    override = os.environ.get("E2E_APP_IMAGE")  # reuse an image a developer built already
    if override:
        return override
    return str(runshare.once("app_image", _build_app_image)["tag"])


@pytest.fixture
def compose_project(app_image: str) -> Iterator[Callable[..., ComposeProject]]:
    """Factory: ``compose_project(env={...}, files=[...])``; all are ``down -v``'d afterwards."""
    made: list[ComposeProject] = []

    def make(**kwargs: Any) -> ComposeProject:
        kwargs.setdefault("image", app_image)
        project = ComposeProject(unique_name(), **kwargs)
        made.append(project)
        return project

    try:
        yield make
    finally:
        for project in made:
            project.down(volumes=True)
