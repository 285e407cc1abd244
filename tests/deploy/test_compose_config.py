"""Static checks of the Dockerfile, .dockerignore, the Compose files and the Prometheus config.

No engine needed: these run everywhere. ``promtool`` and ``docker compose config`` are external
tools; their tests skip when the tool is missing, unless RUN_E2E=1 (CI installs both).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
DEV_COMPOSE = ROOT / "compose.dev.yaml"
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
ENV_EXAMPLE = ROOT / ".env.example"
PROM_CONFIG = ROOT / "deploy" / "prometheus" / "prometheus.yml"
DEV_PASSWORD = ROOT / "deploy" / "dev-secrets" / "postgres_password"


def _require_tool(name: str) -> str:
    path = shutil.which(name)
    if path:
        return path
    if os.environ.get("RUN_E2E", "").lower() in {"1", "true", "yes"}:
        pytest.fail(f"RUN_E2E=1 but {name} is not installed", pytrace=False)
    pytest.skip(f"{name} is not installed")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def _env(service: dict) -> dict[str, str]:
    env = service.get("environment", {})
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {k: str(v) for k, v in env.items()}


# --- Dockerfile -------------------------------------------------------------------------------


def test_dockerfile_works_with_the_legacy_builder() -> None:
    text = DOCKERFILE.read_text()
    assert not re.search(r"^#\s*syntax=", text, re.M), "a syntax directive needs BuildKit"
    text = "\n".join(ln for ln in text.splitlines() if not ln.lstrip().startswith("#"))
    for flag in ("--mount", "--chmod", "--link", "<<"):
        assert flag not in text, f"{flag} is BuildKit-only (or a heredoc)"


def test_dockerfile_layers_dependencies_before_source() -> None:
    lines = [ln.strip() for ln in DOCKERFILE.read_text().splitlines()]
    froms = [ln for ln in lines if ln.startswith("FROM ")]
    assert len(froms) >= 2 and froms[-1].split()[1] in {"${PYTHON_IMAGE}", "python:3.11-slim-bookworm"}
    assert "ARG PYTHON_IMAGE=python:3.11-slim-bookworm" in lines
    idx_lock = next(i for i, ln in enumerate(lines) if ln.startswith("COPY") and "requirements.lock" in ln)
    idx_hashes = next(i for i, ln in enumerate(lines) if "--require-hashes" in ln)
    idx_src = next(i for i, ln in enumerate(lines) if ln.startswith("COPY service"))
    idx_pkg = next(i for i, ln in enumerate(lines) if "install" in ln and "--no-deps" in ln and i > idx_src)
    assert idx_lock < idx_hashes < idx_src < idx_pkg
    assert any("compileall" in ln for ln in lines)
    assert any("python -m venv" in ln and "/opt/venv" in ln for ln in lines)


def test_dockerfile_runtime_contract() -> None:
    text = DOCKERFILE.read_text()
    runtime = text.split("AS runtime", 1)[1]
    assert re.search(r"^COPY --from=\w+ /opt/venv /opt/venv$", runtime, re.M)
    assert "COPY service" not in runtime and "COPY . " not in runtime
    assert "USER 10001:10001" in runtime
    assert re.search(r"--uid 10001\b", runtime) and re.search(r"--gid 10001\b", runtime)
    for env in ("PYTHONUNBUFFERED=1", "PYTHONDONTWRITEBYTECODE=1", "APP_ENV=production",
                "PROMETHEUS_MULTIPROC_DIR=/tmp/prometheus", "PATH=/opt/venv/bin:$PATH"):
        assert env in runtime, env
    assert 'ENTRYPOINT ["sports-analytics"]' in runtime
    assert 'CMD ["serve"]' in runtime
    assert "EXPOSE 8000" in runtime
    for label in ("source", "revision", "version", "created"):
        assert f"org.opencontainers.image.{label}=" in runtime
    for arg in ("APP_VERSION", "GIT_SHA", "BUILD_TIME", "SOURCE_URL"):
        assert re.search(rf"^ARG {arg}\b", runtime, re.M), arg
    for env in ("APP_VERSION=${APP_VERSION}", "GIT_SHA=${GIT_SHA}", "BUILD_TIME=${BUILD_TIME}"):
        assert env in runtime
    # secrets are runtime-only: nothing that looks like one is a build arg or image env
    assert not re.search(r"^(ARG|ENV)\s+\S*(PASSWORD|API_KEY|SECRET|TOKEN)", text, re.M | re.I)


def test_dockerignore_is_an_allowlist_without_sensitive_paths() -> None:
    rules = [ln.strip() for ln in DOCKERIGNORE.read_text().splitlines() if ln.strip() and not ln.startswith("#")]
    assert rules[0] == "*", "start by excluding everything"
    allowed = [r[1:] for r in rules if r.startswith("!")]
    for path in allowed:
        for bad in (".git", ".env", "tests", ".venv", "secrets", "charts", "benchmarks", "data"):
            assert not path.startswith(bad), f"{path} must stay out of the build context"
    # everything the Dockerfile copies from the context is allowed
    copied = set()
    for ln in DOCKERFILE.read_text().splitlines():
        if ln.startswith("COPY ") and "--from" not in ln:
            copied.update(ln.split()[1:-1])
    for src in copied:
        assert any(src == a.rstrip("/") or src.startswith(a) for a in allowed), src


# --- docker-compose.yml -------------------------------------------------------------------------


def test_postgres_service(compose: dict) -> None:
    pg = compose["services"]["postgres"]
    assert pg["image"] == "postgres:16-alpine"
    assert "postgres_data:/var/lib/postgresql/data" in pg["volumes"]
    assert "postgres_data" in compose["volumes"]
    hc = pg["healthcheck"]
    assert "pg_isready" in " ".join(hc["test"])
    assert (hc["interval"], hc["timeout"], hc["retries"]) == ("10s", "5s", 5)
    assert "ports" not in pg, "the database is not published to the host"
    env = _env(pg)
    assert env["POSTGRES_DB"] == "${POSTGRES_DB:-sports_analytics}"
    assert env["POSTGRES_USER"] == "${POSTGRES_USER:-analyst}"
    assert env["POSTGRES_PASSWORD_FILE"] == "/run/secrets/db_password"


def test_migrate_service(compose: dict) -> None:
    mig = compose["services"]["migrate"]
    api = compose["services"]["api"]
    assert mig["image"] == api["image"], "one image for the job and the API"
    assert mig["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    assert mig["restart"] == "no"
    script = " ".join(mig["command"])
    assert "sports-analytics migrate" in script and "sports-analytics seed-demo" in script
    # the quick start shows today's games: the demo season around today, played up to yesterday
    assert "sports-analytics seed-demo --as-of today" in script
    assert _env(mig)["SEED_DEMO_DATA"] == "${SEED_DEMO_DATA:-true}"
    # the image's HEALTHCHECK is for `serve`; the one-shot job turns it off, the API has its own
    assert mig["healthcheck"] == {"disable": True}
    assert "/readyz" in " ".join(api["healthcheck"]["test"])


def test_api_service(compose: dict) -> None:
    api = compose["services"]["api"]
    assert api["depends_on"] == {"migrate": {"condition": "service_completed_successfully"}}
    assert any(p.endswith("${API_PORT:-8000}:8000") for p in api["ports"])
    assert api["restart"] == "unless-stopped"
    hc = api["healthcheck"]
    assert hc["test"][:2] == ["CMD", "python"] and "/readyz" in hc["test"][-1]
    limits = api["deploy"]["resources"]["limits"]
    assert (str(limits["cpus"]), limits["memory"]) == ("1.0", "512M")
    assert api["read_only"] is True
    assert any(t.split(":")[0] == "/tmp" for t in api["tmpfs"])
    assert api["cap_drop"] == ["ALL"]
    assert "no-new-privileges:true" in api["security_opt"]
    assert api["logging"]["driver"] == "json-file" and "max-size" in api["logging"]["options"]


def test_secrets_are_files_never_plain_env(compose: dict) -> None:
    for name in ("postgres", "migrate", "api"):
        svc = compose["services"][name]
        for key, value in _env(svc).items():
            if re.search(r"PASSWORD|API_KEY|SECRET|TOKEN|DATABASE_URL", key):
                assert key.endswith("_FILE") and value.startswith(("/run/secrets/", "${")), key
        assert "db_password" in svc["secrets"]
    assert "gemini_api_key" in compose["services"]["api"]["secrets"]
    assert _env(compose["services"]["api"])["GEMINI_API_KEY_FILE"].endswith("/run/secrets/gemini_api_key}")
    assert set(compose["secrets"]) == {"db_password", "gemini_api_key"}


def test_dev_password_is_not_a_placeholder() -> None:
    from sports_analytics.config import PLACEHOLDER_SECRETS

    value = DEV_PASSWORD.read_text().strip()
    assert value.lower() not in PLACEHOLDER_SECRETS and len(value) >= 16
    assert "dev" in value, "the committed password says it is for development only"


def test_every_compose_variable_is_documented() -> None:
    documented = set(re.findall(r"^([A-Z][A-Z0-9_]*)=", ENV_EXAMPLE.read_text(), re.M))
    used: set[str] = set()
    for path in (COMPOSE, DEV_COMPOSE):
        text = re.sub(r"\$\$\{[^}]*\}", "", path.read_text())  # $${VAR} is the container's shell
        used |= set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)", text))
    missing = used - documented
    assert not missing, f"not in .env.example: {sorted(missing)}"


def test_monitoring_profile(compose: dict) -> None:
    prom = compose["services"]["prometheus"]
    assert prom["profiles"] == ["monitoring"]
    assert re.fullmatch(r"prom/prometheus:v\d+\.\d+\.\d+", prom["image"]), "pin a version"
    assert any("deploy/prometheus/prometheus.yml" in v for v in prom["volumes"])
    scrape = yaml.safe_load(PROM_CONFIG.read_text())["scrape_configs"]
    targets = [t for job in scrape for sc in job.get("static_configs", []) for t in sc["targets"]]
    assert "api:8000" in targets


def test_refresh_service(compose: dict) -> None:
    """Profile-gated (`up` never starts it), the API's image and hardening, one-shot, migrates
    then refreshes, only the database as a dependency (a nightly run must not re-run the
    `migrate` service's demo seed)."""
    ref, api = compose["services"]["refresh"], compose["services"]["api"]
    assert ref["profiles"] == ["refresh"]
    # schema first (idempotent, a no-op on a running stack), then the command, args passed on
    assert ref["entrypoint"][:2] == ["/bin/sh", "-ec"]
    assert ref["entrypoint"][2].splitlines() == ["sports-analytics migrate", 'exec sports-analytics "$$@"']
    assert ref["command"] == ["refresh"]
    assert ref["image"] == api["image"] and ref["restart"] == "no"
    assert ref["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    assert ref["healthcheck"] == {"disable": True}
    for key in ("read_only", "tmpfs", "cap_drop", "security_opt", "logging"):
        assert ref[key] == api[key], key
    assert ref["deploy"] == api["deploy"]
    env = _env(ref)
    assert {k: v for k, v in _env(api).items() if k.startswith(("POSTGRES_", "DB_"))}.items() <= env.items()
    assert env["NBA_STATS_BASE_URL"] == "${NBA_STATS_BASE_URL:-https://stats.nba.com/stats}"
    assert {"NBA_STATS_TIMEOUT_SECONDS", "NBA_STATS_REQUEST_DELAY_SECONDS", "NBA_STATS_MAX_RETRIES"} <= set(env)
    assert ref["secrets"] == ["db_password"]
    for key, value in env.items():
        if re.search(r"PASSWORD|API_KEY|SECRET|TOKEN|DATABASE_URL", key):
            assert key.endswith("_FILE") and value.startswith("/run/secrets/"), key
    tool = _require_tool("docker")
    services = subprocess.run([tool, "compose", "-f", str(COMPOSE), "config", "--services"],
                              capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert services.returncode == 0, services.stderr
    assert "refresh" not in services.stdout.split(), "`docker compose up` must not start the refresh"


def test_dev_override_reloads_mounted_source() -> None:
    dev = yaml.safe_load(DEV_COMPOSE.read_text())
    api = dev["services"]["api"]
    script = " ".join(api["command"])
    assert "uvicorn" in script and "--reload" in script and "--factory" in script
    assert "sports_analytics.app:create_app" in script
    assert any(v.startswith("./service:") for v in api["volumes"])
    assert not (ROOT / "docker-compose.override.yml").exists(), "it would load on every `up`"


def test_promtool_accepts_the_prometheus_config() -> None:
    promtool = _require_tool("promtool")
    proc = subprocess.run([promtool, "check", "config", str(PROM_CONFIG)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("files", [[COMPOSE], [COMPOSE, DEV_COMPOSE]], ids=["base", "dev"])
def test_compose_config_is_valid(files: list[Path]) -> None:
    docker = _require_tool("docker")
    if subprocess.run([docker, "compose", "version"], capture_output=True).returncode != 0:
        _require_tool("docker-compose-plugin")
    args = [docker, "compose", "--profile", "monitoring"]
    for f in files:
        args += ["-f", str(f)]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("POSTGRES_", "API_", "GEMINI_"))}
    proc = subprocess.run([*args, "config", "--quiet"], capture_output=True, text=True, cwd=ROOT, env=env)
    assert proc.returncode == 0, proc.stderr
