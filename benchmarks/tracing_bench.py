#!/usr/bin/env python3
"""Tracing benchmark: /healthz and the cold box score, before tracing existed, off, and on.

Three servers run side by side, each ``sports-analytics serve`` with 2 workers on 127.0.0.1:

* ``before``  the service at ``--before-rev`` (the last commit without tracing), run from a
  temporary git worktree with ``PYTHONPATH=<worktree>/service`` and this same virtualenv;
* ``off``     this checkout, no ``OTEL_*`` endpoint (tracing off, the default);
* ``on``      this checkout, ``OTEL_EXPORTER_OTLP_ENDPOINT`` pointed at a local OTLP/HTTP
  receiver (tests/helpers/otlp_receiver.py, counting spans), sampler
  ``parentbased_traceidratio`` with ratio 1.0: every request is traced and exported, except
  the probes and /metrics, which the service leaves untraced by default;
* ``on_all``  the same with ``OTEL_PYTHON_FASTAPI_EXCLUDED_URLS=""``, so /healthz is traced too
  (measured on /healthz only: for the box score it is the ``on`` server);
* ``on_10pct`` the ``on`` server's settings with ratio 0.1, a common production choice
  (measured on the box score only).

Each tree migrates and seeds its own database on one throwaway PostgreSQL cluster. Rounds
interleave the servers (rotating the order), so drift in background load hits all alike; each
slice is divided by the ``before`` slice of the same round and medians are reported. Load comes
from ``wrk``. Besides requests/s, the table gives the CPU time the server's processes (master
and workers, exporter thread included; not PostgreSQL) spent per request, which other load on
the machine disturbs much less than throughput.

    .venv/bin/python benchmarks/tracing_bench.py [--duration 5] [--rounds 5]
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
CONFIGS = ("before", "off", "on", "on_all", "on_10pct")
ENDPOINTS = {"healthz": CONFIGS[:4], "box_score_cold": ("before", "off", "on", "on_10pct")}
GOALS = {"off": 0.97, "on": 0.70, "on_all": 0.70}
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


def run_wrk(base: str, endpoint: str, duration: int, connections: int, threads: int) -> dict:
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency"]
    url = base + "/healthz"
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fh:
        if endpoint == "box_score_cold":
            fh.write(LUA_COLD % {"games": GAMES})
            cmd += ["-s", fh.name]
            url = base + "/"
    try:
        out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout
    finally:
        os.unlink(fh.name)

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


def measure(server: tuple[subprocess.Popen, str], endpoint: str, duration: int,
            args: argparse.Namespace) -> dict:
    proc, base = server
    cpu_before = server_cpu_seconds(proc.pid)
    result = run_wrk(base, endpoint, duration, args.connections, args.threads)
    result["cpu_ms_per_request"] = ((server_cpu_seconds(proc.pid) - cpu_before) * 1000
                                    / max(result["requests"], 1))
    return result


def check_servers(servers: dict[str, tuple[subprocess.Popen, str]]) -> None:
    for name, (_, base) in servers.items():
        r = httpx.get(base + "/api/v1/games/1")
        assert r.status_code == 200, (name, r.status_code, r.text[:200])


def summarise(rounds: list[dict]) -> list[dict]:
    results = []
    for endpoint, configs in ENDPOINTS.items():
        for config in configs:
            slices = [rd[endpoint][config] for rd in rounds]
            results.append({
                "endpoint": endpoint, "config": config,
                **{key: statistics.median(s[key] for s in slices)
                   for key in ("rps", "p50_ms", "p99_ms", "cpu_ms_per_request")},
                "errors": sum(s["errors"] for s in slices),
                "requests": sum(s["requests"] for s in slices),
                "ratio": statistics.median(s["rps"] / rd[endpoint]["before"]["rps"]
                                           for s, rd in zip(slices, rounds, strict=True)),
            })
    return results


def render(results: list[dict], args: argparse.Namespace, stamp: str, spans: int,
           expected_spans: float) -> str:
    lines = [
        f"Tracing benchmark ({stamp}): before = {args.before_rev}, {args.workers} workers per "
        f"server, {args.connections} connections, {args.duration}s slices x {args.rounds} "
        f"interleaved rounds (medians), load by wrk, {os.cpu_count()} CPUs shared by the five "
        "servers, PostgreSQL, the receiver and wrk",
        "",
        "| endpoint | server | req/s | p50 ms | p99 ms | server CPU ms/req | errors | vs before "
        "| goal | ok |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|:-:|",
    ]
    for r in results:
        goal = GOALS.get(r["config"])
        ok = "-" if goal is None else ("yes" if r["ratio"] >= goal and not r["errors"] else "NO")
        lines.append(
            f"| {r['endpoint']} | {r['config']} | {r['rps']:.0f} | {r['p50_ms']:.2f} | "
            f"{r['p99_ms']:.2f} | {r['cpu_ms_per_request']:.2f} | {r['errors']} | "
            f"{r['ratio']:.0%} | {'-' if goal is None else f'>= {goal:.0%}'} | {ok} |")
    lines += ["", f"Spans received from the tracing servers: {spans}; the requests wrk counted "
              f"account for about {expected_spans:.0f} (warm-up included: a traced /healthz is one "
              "span, a box score two, the server span and its statement, a tenth of them at "
              "ratio 0.1; requests still in flight when a slice ends are traced but not "
              "counted)."]
    return "\n".join(lines)


SPANS_PER_REQUEST = {("on", "box_score_cold"): 2.0, ("on_all", "healthz"): 1.0,
                     ("on_10pct", "box_score_cold"): 0.2}


def measure_rounds(servers: dict[str, tuple[subprocess.Popen, str]], args: argparse.Namespace
                   ) -> tuple[list[dict], float]:
    """The rounds, and how many spans the tracing servers should have exported in all."""
    expected = 0.0
    for endpoint, configs in ENDPOINTS.items():  # warm-up: connections, prepared statements
        for config in configs:
            warm = measure(servers[config], endpoint, args.warmup, args)
            expected += warm["requests"] * SPANS_PER_REQUEST.get((config, endpoint), 0)
    rounds = []
    for k in range(args.rounds):
        log(f"round {k + 1}/{args.rounds}")
        current: dict[str, dict] = {}
        for endpoint, configs in ENDPOINTS.items():
            order = configs[k % len(configs):] + configs[:k % len(configs)]
            current[endpoint] = {c: measure(servers[c], endpoint, args.duration, args)
                                 for c in order}
            expected += sum(current[endpoint][c]["requests"] * SPANS_PER_REQUEST.get(
                (c, endpoint), 0) for c in configs)
        rounds.append(current)
    return rounds, expected


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--before-rev", default="d847cc2", help="commit of the server before tracing")
    ap.add_argument("--duration", type=int, default=5, help="seconds per slice")
    ap.add_argument("--warmup", type=int, default=2, help="seconds of warm-up per server")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--threads", type=int, default=2, help="wrk threads")
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is required (Debian: apt-get install -y wrk)")

    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    before_tree = Path(tempfile.mkdtemp(prefix="sa-before-")) / "tree"
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(before_tree),
                    args.before_rev], check=True, capture_output=True)
    cluster = PgCluster()
    receiver = OtlpReceiver(keep=False).start()
    servers: list[subprocess.Popen] = []
    try:
        cluster.start()
        wait_for(cluster.url)
        trees = {"before": before_tree, **{c: ROOT for c in CONFIGS[1:]}}
        log("migrating and seeding one database per tree")
        urls = {"before": prepare_database(cluster, before_tree, "before"),
                "after": prepare_database(cluster, ROOT, "after")}
        tracing = {"OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint,
                   "OTEL_TRACES_SAMPLER": "parentbased_traceidratio",
                   "OTEL_TRACES_SAMPLER_ARG": "1.0"}
        otel = {"on": tracing, "on_all": {**tracing, "OTEL_PYTHON_FASTAPI_EXCLUDED_URLS": ""},
                "on_10pct": {**tracing, "OTEL_TRACES_SAMPLER_ARG": "0.1"}}
        running: dict[str, tuple[subprocess.Popen, str]] = {}
        for config in CONFIGS:
            running[config] = start_server(
                trees[config], urls["before" if config == "before" else "after"], args.workers,
                RESULTS / f"tracing_bench-{stamp}-{config}.log", **otel.get(config, {}))
            servers.append(running[config][0])
        check_servers(running)
        rounds, expected_spans = measure_rounds(running, args)
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
        receiver.stop()
        cluster.destroy()
        subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(before_tree)],
                       check=False, capture_output=True)
        shutil.rmtree(before_tree.parent, ignore_errors=True)

    results = summarise(rounds)
    table = render(results, args, stamp, receiver.span_count, expected_spans)
    print(table)
    (RESULTS / f"tracing_bench-{stamp}.md").write_text(table + "\n")
    (RESULTS / f"tracing_bench-{stamp}.json").write_text(json.dumps(
        {"stamp": stamp, "args": vars(args), "results": results, "rounds": rounds,
         "spans_received": receiver.span_count}, indent=2) + "\n")
    ok = all(r["ratio"] >= GOALS[r["config"]] and not r["errors"]
             for r in results if r["config"] in GOALS)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
