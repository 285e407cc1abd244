#!/usr/bin/env python3
"""Tracing benchmark: the service without tracing code, with tracing off, and with tracing on.

Servers run side by side, each ``sports-analytics serve`` with 2 workers on 127.0.0.1, all from
this checkout and one seeded database:

* ``none``     no instrumentation at all: a copy of the package whose ``telemetry`` module is
  replaced by hooks that do nothing (:data:`UNTRACED`), so no OpenTelemetry code runs;
* ``off``      this checkout without an ``OTEL_*`` endpoint: tracing off, the default;
* ``on``       ``OTEL_EXPORTER_OTLP_ENDPOINT`` pointed at a local OTLP/HTTP receiver
  (tests/helpers/otlp_receiver.py, which decodes and counts the spans) and nothing else: the
  default sampling (parent-based, a tenth of new traces), probes and /metrics untraced;
* ``on_full``  the same with ``OTEL_TRACES_SAMPLER_ARG=1``: every request traced and exported
  (measured on the box score only, for reference; no goal).

Each server is measured at the same time as its baseline (``off`` with ``none``, the tracing
servers with ``off``), each loaded by its own ``wrk``: both share the CPU, and whatever else runs
on the machine, alike, so the ratio of their requests/s is the ratio of their costs even on a
busy host. The pairs rotate over the rounds; medians are reported. Besides
requests/s, the table gives the CPU time the server's processes (master and workers, exporter
thread included; not PostgreSQL) spent per request, which other load on the machine disturbs
less than throughput. Exits 1 when ``off`` is below 97 % of ``none`` or ``on`` below 75 % of
``off`` on any endpoint, or when a request failed.

    .venv/bin/python benchmarks/tracing_bench.py [--duration 5] [--rounds 7]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.helpers.otlp_receiver import OtlpReceiver  # noqa: E402
from tests.helpers.pgharness import PgCluster, free_port, wait_for, with_dbname  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
GAMES = 1230
CONFIGS = ("none", "off", "on", "on_full")
ENDPOINTS = {"healthz": CONFIGS[:3], "box_score_cold": CONFIGS}
# config -> (baseline it is divided by, lowest acceptable share of the baseline's req/s)
GOALS = {"off": ("none", 0.97), "on": ("off", 0.75), "on_full": ("off", None)}
# The package's tracing hooks, doing nothing: what the service costs without tracing code.
UNTRACED = '''"""Tracing removed (the baseline of benchmarks/tracing_bench.py): every hook is a no-op."""
from contextlib import contextmanager


def enabled(environ=None):
    return False


def active():
    return False


def setup(default_ratio=0.1):
    return None


def shutdown(timeout_s=5.0):
    return True


def flush_timeout(graceful_timeout_s):
    return 0.5


def instrument_app(app):
    return None


def fastapi_config():
    return {"tracing": False, "metrics": False, "logs": False, "operation_spans": False,
            "auto_configure": False}


@contextmanager
def command_span(command):
    yield


def add_trace_ids(logger, method_name, event_dict):
    return event_dict
'''
LUA_COLD = """
counter = 0
request = function()
  counter = counter + 1
  local id = (counter * 7919) %% %(games)d + 1
  return wrk.format("GET", "/api/v1/games/" .. id)
end
"""


def log(msg: str) -> None:
    print(f"[tracing-bench] {msg}", file=sys.stderr, flush=True)


def _cli() -> list[str]:
    exe = Path(sys.executable).with_name("sports-analytics")
    if not exe.exists():
        raise SystemExit("sports-analytics is not installed in this virtualenv")
    return [str(exe)]


def _env(tree: Path, db_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("OTEL_", "PROMETHEUS_", "GUNICORN_", "DATABASE_"))}
    env.update({"PYTHONPATH": str(tree / "service"), "DATABASE_URL": db_url,
                "APP_ENV": "development", "LOG_FORMAT": "json"})
    env.update(extra)
    return env


def prepare_database(cluster: PgCluster, tree: Path, name: str) -> str:
    with psycopg.connect(cluster.url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = with_dbname(cluster.url, name)
    for command in (["migrate"], ["seed-demo"]):
        subprocess.run([*_cli(), *command], env=_env(tree, url), check=True,
                       capture_output=True, timeout=600)
    return url


def start_server(tree: Path, db_url: str, workers: int, logfile: Path,
                 **extra: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = _env(tree, db_url, WEB_CONCURRENCY=str(workers),
               GUNICORN_CMD_ARGS=f"--bind 127.0.0.1:{port}", **extra)
    out = logfile.open("wb")
    proc = subprocess.Popen([*_cli(), "serve"], env=env, stdout=out, stderr=subprocess.STDOUT,
                            start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode}; see {logfile}")
        try:
            if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    proc.kill()
    raise SystemExit(f"server did not become healthy in 60 s; see {logfile}")


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


def _ms(value: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value)
    if not m:
        raise ValueError(value)
    return float(m.group(1)) * _UNITS[m.group(2)]


def server_cpu_seconds(master_pid: int) -> float:
    """User + system CPU of the gunicorn master and its live workers (all their threads)."""
    tick = os.sysconf("SC_CLK_TCK")
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children")
    pids = [master_pid, *(int(p) for p in children.read_text().split())]
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def start_wrk(base: str, endpoint: str, duration: int, connections: int, threads: int
              ) -> tuple[subprocess.Popen, str]:
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency"]
    url = base + "/healthz"
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fh:
        if endpoint == "box_score_cold":
            fh.write(LUA_COLD % {"games": GAMES})
            cmd += ["-s", fh.name]
            url = base + "/"
    proc = subprocess.Popen([*cmd, url], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    return proc, fh.name


def finish_wrk(proc: subprocess.Popen, script: str) -> dict:
    try:
        out, err = proc.communicate()
    finally:
        os.unlink(script)
    if proc.returncode:
        raise SystemExit(f"wrk failed ({proc.returncode}): {err}")

    def grab(pattern: str) -> str:
        found = re.search(pattern, out)
        if found is None:
            raise SystemExit(f"unexpected wrk output:\n{out}")
        return found.group(1)

    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors = (int(non2xx.group(1)) if non2xx else 0) + (sum(map(int, sock.groups())) if sock else 0)
    return {"rps": float(grab(r"Requests/sec:\s+([\d.]+)")),
            "requests": int(grab(r"(\d+) requests in")),
            "p50_ms": _ms(grab(r"\n\s+50%\s+(\S+)")), "p99_ms": _ms(grab(r"\n\s+99%\s+(\S+)")),
            "errors": errors}


def measure_together(servers: list[tuple[subprocess.Popen, str]], endpoint: str, duration: int,
                     args: argparse.Namespace) -> list[dict]:
    """Load every server at once, each by its own wrk: they share the machine's CPU, and
    whatever else runs on it, alike, so their throughputs compare even on a busy host."""
    cpu_before = [server_cpu_seconds(proc.pid) for proc, _ in servers]
    loads = [start_wrk(base, endpoint, duration, args.connections, args.threads)
             for _, base in servers]
    results = [finish_wrk(*load) for load in loads]
    for result, (proc, _), before in zip(results, servers, cpu_before, strict=True):
        result["cpu_ms_per_request"] = ((server_cpu_seconds(proc.pid) - before) * 1000
                                        / max(result["requests"], 1))
    return results


def check_servers(servers: dict[str, tuple[subprocess.Popen, str]]) -> None:
    for name, (_, base) in servers.items():
        r = httpx.get(base + "/api/v1/games/1")
        assert r.status_code == 200, (name, r.status_code, r.text[:200])


def summarise(rounds: list[dict]) -> list[dict]:
    results = []
    for endpoint, configs in ENDPOINTS.items():
        for config in configs:
            slices = [rd[endpoint][config] for rd in rounds]
            baseline, goal = GOALS.get(config, (None, None))
            ratio = None if baseline is None else statistics.median(
                s["rps"] / s["baseline_rps"] for s in slices)
            results.append({
                "endpoint": endpoint, "config": config, "baseline": baseline, "goal": goal,
                **{key: statistics.median(s[key] for s in slices)
                   for key in ("rps", "p50_ms", "p99_ms", "cpu_ms_per_request")},
                "errors": sum(s["errors"] for s in slices),
                "requests": sum(s["requests"] for s in slices),
                "ratio": ratio,
            })
    return results


def missed(result: dict) -> bool:
    """True when the row has a goal and misses it, or any of its requests failed."""
    if result["goal"] is None:
        return False
    return bool(result["errors"]) or result["ratio"] < result["goal"]


def render(results: list[dict], args: argparse.Namespace, stamp: str, spans: int,
           traced_requests: dict[str, int]) -> str:
    lines = [
        f"Tracing benchmark ({stamp}): {args.workers} workers per server, {args.connections} "
        f"connections, {args.duration}s slices x {args.rounds} rounds, each server loaded at the "
        "same time as its baseline (medians), "
        f"load by wrk, {os.cpu_count()} CPUs shared by the servers, PostgreSQL, the receiver "
        f"and wrk; load average at the start {args.load_at_start}",
        "",
        "| endpoint | server | req/s | p50 ms | p99 ms | server CPU ms/req | errors "
        "| share of | goal | ok |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|:-:|",
    ]
    for r in results:
        share = "-" if r["ratio"] is None else f"{r['ratio']:.0%} of {r['baseline']}"
        goal = "-" if r["goal"] is None else f">= {r['goal']:.0%}"
        ok = "-" if r["goal"] is None else ("NO" if missed(r) else "yes")
        lines.append(
            f"| {r['endpoint']} | {r['config']} | {r['rps']:.0f} | {r['p50_ms']:.2f} | "
            f"{r['p99_ms']:.2f} | {r['cpu_ms_per_request']:.2f} | {r['errors']} | {share} | "
            f"{goal} | {ok} |")
    lines += ["", f"Spans received: {spans}, for {traced_requests['on']} box-score requests "
              f"at the default sampling and {traced_requests['on_full']} fully traced ones "
              "(a traced box score is the server span and its statements)."]
    return "\n".join(lines)


def measure_rounds(servers: dict[str, tuple[subprocess.Popen, str]], args: argparse.Namespace
                   ) -> list[dict]:
    """Each server against its baseline, both loaded at the same time; the pairs rotate."""
    for endpoint, configs in ENDPOINTS.items():  # warm-up: connections, prepared statements
        measure_together([servers[c] for c in configs], endpoint, args.warmup, args)
    rounds = []
    for k in range(args.rounds):
        log(f"round {k + 1}/{args.rounds}")
        current: dict[str, dict] = {}
        for endpoint, configs in ENDPOINTS.items():
            pairs = [(c, GOALS[c][0]) for c in configs if c in GOALS]
            current[endpoint] = {}
            for config, baseline in pairs[k % len(pairs):] + pairs[:k % len(pairs)]:
                measured, base = measure_together([servers[config], servers[baseline]],
                                                  endpoint, args.duration, args)
                current[endpoint][config] = {**measured, "baseline_rps": base["rps"]}
                if baseline == "none":
                    current[endpoint]["none"] = base
        rounds.append(current)
    return rounds


def untraced_tree() -> Path:
    """A copy of the package with the tracing hooks replaced by no-ops (the ``none`` server)."""
    tree = Path(tempfile.mkdtemp(prefix="sa-untraced-"))
    shutil.copytree(ROOT / "service", tree / "service",
                    ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    (tree / "service" / "sports_analytics" / "telemetry.py").write_text(UNTRACED)
    return tree


def run_servers(args: argparse.Namespace, stamp: str, receiver: OtlpReceiver,
                cluster: PgCluster, none_tree: Path) -> list[dict]:
    servers: list[subprocess.Popen] = []
    try:
        log("migrating and seeding the database")
        url = prepare_database(cluster, ROOT, "bench")
        tracing = {"OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint}
        otel = {"on": tracing, "on_full": {**tracing, "OTEL_TRACES_SAMPLER_ARG": "1"}}
        running: dict[str, tuple[subprocess.Popen, str]] = {}
        for config in CONFIGS:
            running[config] = start_server(
                none_tree if config == "none" else ROOT, url, args.workers,
                RESULTS / f"tracing_bench-{stamp}-{config}.log", **otel.get(config, {}))
            servers.append(running[config][0])
        check_servers(running)
        return measure_rounds(running, args)
    finally:
        for proc in servers:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in servers:
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        time.sleep(0.5)  # the workers' final export on the way out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--duration", type=int, default=5, help="seconds per slice")
    ap.add_argument("--warmup", type=int, default=2, help="seconds of warm-up per server")
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--threads", type=int, default=2, help="wrk threads")
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is required (Debian: apt-get install -y wrk)")
    args.load_at_start = " ".join(f"{x:.2f}" for x in os.getloadavg())

    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    none_tree = untraced_tree()
    cluster = PgCluster()
    receiver = OtlpReceiver(keep=False).start()
    try:
        cluster.start()
        wait_for(cluster.url)
        rounds = run_servers(args, stamp, receiver, cluster, none_tree)
    finally:
        receiver.stop()
        cluster.destroy()
        shutil.rmtree(none_tree, ignore_errors=True)

    results = summarise(rounds)
    traced = {c: sum(rd["box_score_cold"][c]["requests"] for rd in rounds)
              for c in ("on", "on_full")}
    table = render(results, args, stamp, receiver.span_count, traced)
    print(table)
    (RESULTS / f"tracing_bench-{stamp}.md").write_text(table + "\n")
    (RESULTS / f"tracing_bench-{stamp}.json").write_text(json.dumps(
        {"stamp": stamp, "args": vars(args), "results": results, "rounds": rounds,
         "spans_received": receiver.span_count}, indent=2) + "\n")
    if receiver.span_count < traced["on_full"]:  # at least one server span per traced request
        log(f"only {receiver.span_count} spans arrived for {traced['on_full']} traced requests")
        return 1
    return 1 if any(missed(r) for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
