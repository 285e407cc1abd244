"""Pod parity: run the chart's rendered pod specs under Docker, as the kubelet would.

A ``postgres:16-alpine`` container plays the managed database. The chart is rendered with the
real Helm engine (secrets.create mode, so the Secret's content is in the render) and then:

1. the migration Job's container runs exactly as its spec says: command and args, env from the
   ConfigMap, the Secret's files mounted read-only at the spec's path, the spec's UID/GID (plus
   fsGroup as a supplementary group), read-only root filesystem, a tmpfs for the /tmp emptyDir,
   dropped capabilities, no-new-privileges, and the CPU and memory limits;
2. the Deployment's container runs the same way, and its startupProbe, readinessProbe and
   livenessProbe are polled exactly as declared (path, named port, initial delay, period,
   timeout, thresholds) until it is ready, then for a while longer;
3. shutdown follows the kubelet: the preStop hook, then SIGTERM; the container must exit 0
   within terminationGracePeriodSeconds;
4. (a second test) the refresh CronJob's job template runs the same way against a fake NBA
   stats API on the Docker network's gateway: exit 0 and the season loaded, a second night
   that changes nothing, and a night of upstream 500s that fails the pod and keeps the data.

Nothing here is specific to the test: a spec field the converter doesn't understand fails it.
"""

from __future__ import annotations

import base64
import importlib.util
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.timeout(900)]

REPO = Path(__file__).resolve().parents[2]
PG_IMAGE = "postgres:16-alpine"
RELEASE = "parity"
NAMESPACE = "parity"


def _renderer() -> Any:
    name = "render_k8s_base"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, REPO / "scripts" / "render_k8s_base.py")
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def sh(*args: str, timeout: float = 120, check: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(list(args), capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"{' '.join(args)} exited {proc.returncode}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return proc


# ---------------------------------------------------------------------------------------------
# Kubernetes quantities and pod specs -> docker run


def cpu_quantity(value: str | int | float) -> float:
    text = str(value)
    return int(text[:-1]) / 1000 if text.endswith("m") else float(text)


_MEM_UNITS = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "k": 10**3, "M": 10**6,
              "G": 10**9, "T": 10**12, "": 1}


def memory_quantity(value: str | int) -> int:
    match = re.fullmatch(r"([0-9.]+)([A-Za-z]*)", str(value))
    assert match and match.group(2) in _MEM_UNITS, f"unsupported quantity {value!r}"
    return int(float(match.group(1)) * _MEM_UNITS[match.group(2)])


@dataclass
class Rendered:
    objects: list[dict[str, Any]]

    def one(self, kind: str) -> dict[str, Any]:
        found = [o for o in self.objects if o["kind"] == kind]
        assert len(found) == 1, f"{kind}: {len(found)}"
        return found[0]

    def named(self, kind: str, name: str) -> dict[str, Any]:
        return next(o for o in self.objects if o["kind"] == kind and o["metadata"]["name"] == name)


@dataclass
class DockerRun:
    """The `docker run` equivalent of one container of a pod spec."""

    args: list[str]
    image: str
    argv: list[str]
    ports: dict[str, int] = field(default_factory=dict)  # port name -> container port


def docker_run_for(pod: dict[str, Any], container: dict[str, Any], rendered: Rendered,
                   secret_dir: Path) -> DockerRun:
    pod_sc = pod.get("securityContext", {})
    sc = {**pod_sc, **container.get("securityContext", {})}
    args: list[str] = []

    # identity and hardening
    assert sc.get("runAsNonRoot") is True
    args += ["--user", f"{sc['runAsUser']}:{sc['runAsGroup']}"]
    if "fsGroup" in pod_sc:
        args += ["--group-add", str(pod_sc["fsGroup"])]
    if sc.get("readOnlyRootFilesystem"):
        args.append("--read-only")
    if sc.get("allowPrivilegeEscalation") is False:
        args += ["--security-opt", "no-new-privileges:true"]
    for cap in sc.get("capabilities", {}).get("drop", []):
        args += ["--cap-drop", cap]

    # resources: the limits are what the kernel enforces
    limits = container["resources"]["limits"]
    args += ["--cpus", f"{cpu_quantity(limits['cpu']):g}", "--memory", str(memory_quantity(limits["memory"]))]

    # environment: envFrom ConfigMaps first, then env (env wins, as in Kubernetes)
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        assert set(source) == {"configMapRef"}, f"unsupported envFrom {source}"
        env.update(rendered.named("ConfigMap", source["configMapRef"]["name"])["data"])
    for item in container.get("env", []):
        assert "valueFrom" not in item, f"unsupported env valueFrom: {item['name']}"
        env[item["name"]] = item["value"]
    for key, value in env.items():
        args += ["-e", f"{key}={value}"]

    # volumes
    volumes = {v["name"]: v for v in pod["volumes"]}
    for mount in container.get("volumeMounts", []):
        volume = volumes[mount["name"]]
        if "emptyDir" in volume:
            size = memory_quantity(volume["emptyDir"].get("sizeLimit", "64Mi"))
            args += ["--tmpfs", f"{mount['mountPath']}:rw,nosuid,nodev,exec,size={size},mode=1777"]
        elif "secret" in volume:
            secret = rendered.named("Secret", volume["secret"]["secretName"])
            host = secret_dir / volume["secret"]["secretName"]
            if not host.exists():
                host.mkdir(parents=True)
                os.chmod(host, 0o755)
                mode = volume["secret"].get("defaultMode", 0o644)
                for key, b64 in secret["data"].items():
                    path = host / key
                    path.write_bytes(base64.b64decode(b64))
                    if os.geteuid() == 0:  # the kubelet's way: root-owned, group fsGroup
                        os.chown(path, 0, pod_sc.get("fsGroup", 0))
                        os.chmod(path, mode)
                    else:
                        os.chmod(path, 0o444)
            ro = ":ro" if mount.get("readOnly") else ""
            args += ["-v", f"{host}:{mount['mountPath']}{ro}"]
        else:
            raise AssertionError(f"unsupported volume {volume}")

    ports = {p["name"]: p["containerPort"] for p in container.get("ports", [])}
    for port in ports.values():
        args += ["-p", f"127.0.0.1::{port}"]

    command = container.get("command")
    argv = list(container.get("args", []))
    if command:
        args += ["--entrypoint", command[0]]
        argv = list(command[1:]) + argv
    return DockerRun(args=args, image=container["image"], argv=argv, ports=ports)


# ---------------------------------------------------------------------------------------------
# probes, the kubelet's way


def http_probe(base: str, probe: dict[str, Any]) -> tuple[bool, str]:
    url = base + probe["httpGet"]["path"]
    try:
        with urllib.request.urlopen(url, timeout=probe.get("timeoutSeconds", 1)) as resp:
            return 200 <= resp.status < 400, str(resp.status)
    except urllib.error.HTTPError as exc:
        return 200 <= exc.code < 400, str(exc.code)
    except OSError as exc:
        return False, type(exc).__name__


@dataclass
class ProbeState:
    name: str
    spec: dict[str, Any]
    next_at: float
    successes: int = 0
    failures: int = 0
    history: list[str] = field(default_factory=list)

    @property
    def period(self) -> float:
        return float(self.spec.get("periodSeconds", 10))


class Kubelet:
    """Polls the container's probes on their declared schedules."""

    def __init__(self, container: dict[str, Any], base_url: str, started: float) -> None:
        self.base = base_url
        self.started = started
        self.startup = ProbeState("startup", container["startupProbe"],
                                  started + container["startupProbe"].get("initialDelaySeconds", 0))
        self.readiness = ProbeState("readiness", container["readinessProbe"], 0)
        self.liveness = ProbeState("liveness", container["livenessProbe"], 0)
        self.started_ok = False
        self.ready = False
        self.ready_at: float | None = None

    def _check(self, state: ProbeState) -> bool:
        ok, detail = http_probe(self.base, state.spec)
        state.history.append(f"{time.monotonic() - self.started:6.1f}s {detail}")
        if ok:
            state.successes += 1
            state.failures = 0
        else:
            state.failures += 1
            state.successes = 0
        state.next_at += state.period
        return ok

    def step(self) -> None:
        now = time.monotonic()
        if not self.started_ok:
            if now >= self.startup.next_at:
                if self._check(self.startup):
                    self.started_ok = True
                    # readiness and liveness start once the startup probe has succeeded
                    self.readiness.next_at = now + self.readiness.spec.get("initialDelaySeconds", 0)
                    self.liveness.next_at = now + self.liveness.spec.get("initialDelaySeconds", 0)
                elif self.startup.failures >= self.startup.spec.get("failureThreshold", 3):
                    raise AssertionError(
                        "startupProbe failed failureThreshold times: the kubelet would restart the "
                        f"container. History: {self.startup.history}")
            return
        if now >= self.liveness.next_at:
            self._check(self.liveness)
            assert self.liveness.failures < self.liveness.spec.get("failureThreshold", 3), (
                f"livenessProbe failed: the kubelet would restart the container. {self.liveness.history}")
        if now >= self.readiness.next_at:
            self._check(self.readiness)
            if self.readiness.successes >= self.readiness.spec.get("successThreshold", 1):
                if not self.ready:
                    self.ready_at = now
                self.ready = True
            elif self.readiness.failures >= self.readiness.spec.get("failureThreshold", 3):
                self.ready = False

    def next_due(self) -> float:
        if not self.started_ok:
            return self.startup.next_at
        return min(self.readiness.next_at, self.liveness.next_at)

    def run_until(self, deadline: float, *, stop_when_ready: bool) -> None:
        while time.monotonic() < deadline:
            self.step()
            if stop_when_ready and self.ready:
                return
            time.sleep(max(0.0, min(self.next_due(), deadline) - time.monotonic()))


# ---------------------------------------------------------------------------------------------
# fixtures


@pytest.fixture
def workspace(docker_engine: str) -> Iterator[dict[str, Any]]:
    suffix = secrets.token_hex(4)
    state: dict[str, Any] = {"network": f"parity-{suffix}", "pg": f"parity-pg-{suffix}",
                             "containers": [], "dir": Path(tempfile.mkdtemp(prefix="parity-"))}
    os.chmod(state["dir"], 0o755)
    sh("docker", "network", "create", state["network"])
    try:
        yield state
    finally:
        for name in [*state["containers"], state["pg"]]:
            sh("docker", "rm", "-f", "-v", name, check=False)
        sh("docker", "network", "rm", state["network"], check=False)
        shutil.rmtree(state["dir"], ignore_errors=True)


def split_image(ref: str) -> dict[str, str]:
    if "@" in ref:
        repo, digest = ref.split("@", 1)
        return {"repository": repo, "digest": digest}
    repo, _, tag = ref.rpartition(":")
    if "/" in tag or not repo:
        return {"repository": ref, "tag": "latest"}  # refused by the chart, loudly
    return {"repository": repo, "tag": tag}


def start_postgres(ws: dict[str, Any], password: str) -> None:
    sh("docker", "run", "-d", "--name", ws["pg"], "--network", ws["network"],
       "--network-alias", "parity-postgres",
       "-e", "POSTGRES_USER=analyst", "-e", f"POSTGRES_PASSWORD={password}",
       "-e", "POSTGRES_DB=sports_analytics", PG_IMAGE)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        # TCP on the network address, not the init-time unix socket
        probe = sh("docker", "exec", ws["pg"], "pg_isready", "-h", "127.0.0.1", "-U", "analyst",
                   "-d", "sports_analytics", check=False)
        if probe.returncode == 0:
            return
        time.sleep(1)
    raise AssertionError("postgres did not become ready: " + sh("docker", "logs", ws["pg"], check=False).stderr[-2000:])


def assert_clean_logs(text: str, password: str, what: str) -> None:
    assert password not in text, f"{what}: the database password appears in the logs"
    lines = [line for line in text.splitlines() if line.strip()]
    assert lines, f"{what}: no log output"
    not_json = []
    for line in lines:
        try:
            json.loads(line)
        except ValueError:
            not_json.append(line)
    assert not not_json, f"{what}: log lines that aren't JSON: {not_json[:5]}"


# ---------------------------------------------------------------------------------------------
# the test


def test_rendered_pods_run_under_docker_like_the_kubelet_runs_them(
        app_image: str, workspace: dict[str, Any]) -> None:
    ws = workspace
    password = "pw-" + secrets.token_hex(16)
    values = {
        "image": split_image(app_image),
        "secrets": {"existingSecret": "", "create": True, "values": {"postgresPassword": password}},
        "database": {"host": "parity-postgres", "sslMode": "disable"},
    }
    rendered = Rendered(_renderer().render(values, release=RELEASE, namespace=NAMESPACE))
    deploy, job = rendered.one("Deployment"), rendered.one("Job")
    job_pod, api_pod = job["spec"]["template"]["spec"], deploy["spec"]["template"]["spec"]
    migrate_c, api_c = job_pod["containers"][0], api_pod["containers"][0]
    assert migrate_c["image"] == api_c["image"] == app_image

    start_postgres(ws, password)

    # 1. the migration Job's container, twice (a re-sync re-runs it: must be idempotent)
    run = docker_run_for(job_pod, migrate_c, rendered, ws["dir"])
    for attempt in (1, 2):
        name = f"{ws['network']}-migrate-{attempt}"
        ws["containers"].append(name)
        started = time.monotonic()
        proc = sh("docker", "run", "--name", name, "--network", ws["network"], *run.args, run.image,
                  *run.argv, timeout=job["spec"]["activeDeadlineSeconds"], check=False)
        took = time.monotonic() - started
        logs = proc.stdout + proc.stderr
        assert proc.returncode == 0, f"migration attempt {attempt} exited {proc.returncode}:\n{logs[-4000:]}"
        assert_clean_logs(logs, password, f"migrate #{attempt}")
        print(f"\nmigration Job container run {attempt}: exit 0 in {took:.1f}s")

    # 2. the Deployment's container, probed as declared
    run = docker_run_for(api_pod, api_c, rendered, ws["dir"])
    name = f"{ws['network']}-api"
    ws["containers"].append(name)
    sh("docker", "run", "-d", "--name", name, "--network", ws["network"], "--network-alias", "parity-api",
       *run.args, run.image, *run.argv)
    started = time.monotonic()
    http_port = run.ports["http"]
    mapping = sh("docker", "port", name, f"{http_port}/tcp").stdout.split()[0]
    base = "http://127.0.0.1:" + mapping.rsplit(":", 1)[1]
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert api_c[probe]["httpGet"]["port"] == "http"

    kubelet = Kubelet(api_c, base, started)
    startup = api_c["startupProbe"]
    budget = (startup.get("initialDelaySeconds", 0) + startup["periodSeconds"] * startup["failureThreshold"]
              + api_c["readinessProbe"]["periodSeconds"] * (api_c["readinessProbe"].get("successThreshold", 1) + 1))
    try:
        kubelet.run_until(started + budget, stop_when_ready=True)
    except AssertionError:
        print(sh("docker", "logs", name, check=False).stderr[-4000:])
        raise
    assert kubelet.ready, (
        f"not ready within {budget}s. startup: {kubelet.startup.history}; "
        f"readiness: {kubelet.readiness.history}\n" + sh("docker", "logs", name, check=False).stderr[-4000:])
    assert kubelet.ready_at is not None
    print(f"API container ready {kubelet.ready_at - started:.1f}s after start")

    # it serves real traffic, then keeps passing its probes for two liveness periods
    for path in ("/api/v1/teams", "/metrics", "/version"):
        ok, detail = http_probe(base, {"httpGet": {"path": path}, "timeoutSeconds": 5})
        assert detail == "200", f"GET {path} answered {detail}"
    # a short burst of concurrent requests (bounded: 400 requests), probes keep running meanwhile
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=8) as pool:
        burst = pool.map(lambda _: http_probe(base, {"httpGet": {"path": "/api/v1/teams"},
                                                     "timeoutSeconds": 10})[1], range(400))
        kubelet.run_until(time.monotonic() + 2 * kubelet.liveness.period + 1, stop_when_ready=False)
        statuses = list(burst)
    assert statuses.count("200") == len(statuses), {s: statuses.count(s) for s in set(statuses)}
    assert kubelet.ready and kubelet.readiness.failures == 0 and kubelet.liveness.failures == 0
    usage = sh("docker", "stats", "--no-stream", "--format", "{{.MemUsage}}", name).stdout.strip()
    print(f"API container memory after start-up and a 400-request burst: {usage}")

    # the `helm test` pod, with the Service address swapped for the container (Docker has no
    # Service to map port 80 to the named port)
    test_pod = rendered.one("Pod")
    test_c = test_pod["spec"]["containers"][0]
    service = rendered.one("Service")
    svc_url = f"http://{service['metadata']['name']}.{NAMESPACE}.svc:{service['spec']['ports'][0]['port']}"
    assert svc_url in test_c["args"][0]
    test_c = {**test_c, "args": [test_c["args"][0].replace(svc_url, f"http://parity-api:{http_port}")]}
    test_pod = {**test_pod["spec"], "volumes": test_pod["spec"].get("volumes", [])}
    run_t = docker_run_for(test_pod, test_c, rendered, ws["dir"])
    ws["containers"].append(f"{name}-helm-test")
    proc = sh("docker", "run", "--name", f"{name}-helm-test", "--network", ws["network"], *run_t.args,
              run_t.image, *run_t.argv, check=False)
    assert proc.returncode == 0, f"helm test pod failed:\n{proc.stdout}\n{proc.stderr[-3000:]}"
    assert proc.stdout.startswith("200 "), proc.stdout

    # 3. shutdown as the kubelet does it: preStop, then SIGTERM, within the grace period
    grace = api_pod["terminationGracePeriodSeconds"]
    pre_stop = api_c["lifecycle"]["preStop"]
    t0 = time.monotonic()
    if "exec" in pre_stop:
        sh("docker", "exec", name, *pre_stop["exec"]["command"], timeout=grace)
    else:
        time.sleep(pre_stop["sleep"]["seconds"])
    ok, detail = http_probe(base, api_c["readinessProbe"])
    assert ok, f"the pod must keep serving during preStop (readyz: {detail})"
    sh("docker", "kill", "--signal", "TERM", name)
    remaining = grace - (time.monotonic() - t0)
    waited = sh("docker", "wait", name, timeout=max(remaining, 1), check=False)
    took = time.monotonic() - t0
    assert waited.returncode == 0, f"container still running {grace}s after preStop began (SIGKILL territory)"
    exit_code = int(waited.stdout.strip())
    logs = sh("docker", "logs", name, check=False)
    assert exit_code == 0, f"SIGTERM exit code {exit_code}\n{logs.stderr[-3000:]}"
    assert took <= grace, f"shutdown took {took:.1f}s > terminationGracePeriodSeconds {grace}"
    assert_clean_logs(logs.stdout + logs.stderr, password, "api")
    print(f"preStop + SIGTERM -> exit 0 in {took:.1f}s (grace {grace}s)")


def _psql(ws: dict[str, Any], sql: str) -> list[str]:
    out = sh("docker", "exec", ws["pg"], "psql", "-U", "analyst", "-d", "sports_analytics", "-AtX",
             "-v", "ON_ERROR_STOP=1", "-c", sql).stdout
    return [line for line in out.splitlines() if line]


def test_rendered_refresh_cronjob_runs_under_docker_against_a_fake_stats_api(
        app_image: str, workspace: dict[str, Any]) -> None:
    """The CronJob's job template, run exactly as rendered (after the migration Job's container):
    `sports-analytics refresh` against a fake NBA stats API listening on the Docker network's
    gateway. It exits 0 within activeDeadlineSeconds, logs JSON only (no password), and leaves
    the season's finals, box scores, upcoming games and their predictions in the database; the
    next night's run with no new upstream data changes nothing."""
    from tests.helpers.fake_stats import FakeStats

    ws = workspace
    password = "pw-" + secrets.token_hex(16)
    gateway = sh("docker", "network", "inspect", "-f", "{{(index .IPAM.Config 0).Gateway}}",
                 ws["network"]).stdout.strip()
    fake = FakeStats().start(host=gateway)
    try:
        values = {
            "image": split_image(app_image),
            "secrets": {"existingSecret": "", "create": True, "values": {"postgresPassword": password}},
            "database": {"host": "parity-postgres", "sslMode": "disable"},
            "refresh": {"enabled": True, "stats": {"baseUrl": fake.base_url}},
        }
        rendered = Rendered(_renderer().render(values, release=RELEASE, namespace=NAMESPACE))
        cron, job = rendered.one("CronJob"), rendered.one("Job")
        job_spec = cron["spec"]["jobTemplate"]["spec"]
        refresh_pod, migrate_pod = job_spec["template"]["spec"], job["spec"]["template"]["spec"]
        refresh_c = refresh_pod["containers"][0]
        assert refresh_c["image"] == app_image and refresh_c["args"][0] == "refresh"
        assert refresh_pod["restartPolicy"] == "Never"

        start_postgres(ws, password)
        migrate = docker_run_for(migrate_pod, migrate_pod["containers"][0], rendered, ws["dir"])
        ws["containers"].append(f"{ws['network']}-migrate")
        proc = sh("docker", "run", "--name", f"{ws['network']}-migrate", "--network", ws["network"],
                  *migrate.args, migrate.image, *migrate.argv, timeout=300, check=False)
        assert proc.returncode == 0, f"migration exited {proc.returncode}:\n{(proc.stdout + proc.stderr)[-4000:]}"

        run = docker_run_for(refresh_pod, refresh_c, rendered, ws["dir"])
        assert f"NBA_STATS_BASE_URL={fake.base_url}" in run.args
        versions = []
        for night in (1, 2):
            name = f"{ws['network']}-refresh-{night}"
            ws["containers"].append(name)
            calls_before = fake.calls("scheduleleaguev2")
            started = time.monotonic()
            proc = sh("docker", "run", "--name", name, "--network", ws["network"], *run.args,
                      run.image, *run.argv, timeout=job_spec["activeDeadlineSeconds"], check=False)
            took = time.monotonic() - started
            logs = proc.stdout + proc.stderr
            assert proc.returncode == 0, f"refresh night {night} exited {proc.returncode}:\n{logs[-4000:]}"
            # the command's one result object on stdout; every line of the log is JSON
            results = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
            assert len(results) == 1, logs[-4000:]
            assert results[0]["command"] == "refresh" and results[0]["outcome"] == "success"
            assert_clean_logs(logs, password, f"refresh #{night}")
            events = [json.loads(line).get("event") for line in logs.splitlines() if line.strip()]
            assert "refresh complete" in events, events
            assert fake.calls("scheduleleaguev2") > calls_before, "the container never reached the fake"
            versions.append(_psql(ws, "SELECT data_version FROM refresh_runs ORDER BY id DESC LIMIT 1"))
            print(f"\nrefresh CronJob container, night {night}: exit 0 in {took:.1f}s")

        # a night the stats API answers 500 until the retries run out: the pod fails (so the Job
        # fails and the alert can see it) with one clear JSON error line, and no data changes
        before = _psql(ws, "SELECT count(*), max(data_version) FROM refresh_runs") + \
            _psql(ws, "SELECT status, count(*) FROM games GROUP BY status ORDER BY status")
        fake.faults.extend([("*", "status", 500)] * 20)
        name = f"{ws['network']}-refresh-3"
        ws["containers"].append(name)
        proc = sh("docker", "run", "--name", name, "--network", ws["network"], *run.args, run.image,
                  *run.argv, timeout=job_spec["activeDeadlineSeconds"], check=False)
        logs = proc.stdout + proc.stderr
        assert proc.returncode != 0, f"a failed refresh exited 0:\n{logs[-3000:]}"
        assert_clean_logs(logs, password, "failed refresh")
        errors = [json.loads(line) for line in logs.splitlines()
                  if line.strip() and json.loads(line).get("level") == "error"]
        assert len(errors) == 1 and "Traceback" not in logs, logs[-3000:]
        assert "500" in json.dumps(errors[0]), errors[0]
    finally:
        fake.stop()
    assert _psql(ws, "SELECT status, count(*) FROM games GROUP BY status ORDER BY status") == before[1:]
    assert _psql(ws, "SELECT max(data_version) FROM refresh_runs WHERE outcome = 'success'") == \
        [before[0].split("|")[1]]
    assert _psql(ws, "SELECT outcome FROM refresh_runs ORDER BY id DESC LIMIT 1") == ["failed"]

    # the season is in: three finals with box scores, three games to come, all predicted
    assert _psql(ws, "SELECT status, count(*) FROM games GROUP BY status ORDER BY status") == \
        ["final|3", "scheduled|3"]
    assert _psql(ws, "SELECT count(*) FROM team_game_stats") == ["6"]
    assert _psql(ws, "SELECT count(*) FROM player_game_stats") == ["18"]
    assert _psql(ws, "SELECT count(DISTINCT p.game_id) FROM predictions p JOIN games g "
                     "ON g.id = p.game_id WHERE g.status = 'scheduled'") == ["3"]
    assert _psql(ws, "SELECT outcome, source FROM refresh_runs ORDER BY id") == \
        ["success|nba_stats", "success|nba_stats", "failed|nba_stats"]
    assert versions[0] == versions[1], f"a night with nothing new bumped the data version: {versions}"
