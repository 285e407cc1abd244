"""Image and Compose benchmarks: size vs a naive image, rebuild time, cold start.

    .venv/bin/python benchmarks/image_bench.py [--runs 3] [--json benchmarks/results/image.json]

Needs a Docker engine with Compose v2 and the base images (``container-engine up``), and the
package index for the clean builds. Everything is built from a snapshot of the working tree
(``git ls-files``: what a fresh clone has), in one run, with the legacy builder:

1. **Image size.** The repo's multi-stage Dockerfile vs the usual single-stage one
   (``FROM python:3.11-slim``, ``COPY . .``, ``pip install -r``) on the same snapshot, which has
   no .dockerignore, as such a project would not. Target: at most 80% of the naive size.
2. **Rebuild time** after a one-line code change (median of three) vs a clean (``--no-cache``)
   build. Target: at most 15%.
3. **Cold start**: ``docker compose up -d --wait`` with the image built, from no containers and
   no volume (so it includes initdb, migrations and the demo season) to a ready API serving the
   standings. Target: under 20 s. Also the warm restart (``down`` then ``up``, volume kept).

Containers, volumes and the images it tags are removed at the end, pass or fail. Exits 1 when
a target is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

NAIVE_DOCKERFILE = """\
# The usual single-stage Dockerfile, for comparison only.
FROM python:3.11-slim
WORKDIR /app
COPY . .
RUN pip install -r requirements.lock && pip install --no-deps .
ENV PYTHONUNBUFFERED=1
EXPOSE 8000
CMD ["sports-analytics", "serve"]
"""

TARGETS = {"size_ratio": 0.80, "rebuild_ratio": 0.15, "cold_start_s": 20.0}


def sh(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None,
       timeout: float = 1200) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(list(args), capture_output=True, text=True, env=env, cwd=cwd, timeout=timeout)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed ({proc.returncode}):\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}")
    return proc


def snapshot(dest: Path) -> None:
    files = sh("git", "ls-files", "-z", "--cached", "--others", "--exclude-standard", cwd=ROOT).stdout
    for rel in filter(None, files.split("\0")):
        src = ROOT / rel
        if src.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)


def build(tag: str, context: Path, dockerfile: str = "Dockerfile", no_cache: bool = False) -> float:
    env = dict(os.environ, DOCKER_BUILDKIT="0")
    args = ["docker", "build", "-q", "-t", tag, "-f", str(context / dockerfile)]
    if no_cache:
        args.append("--no-cache")
    started = time.monotonic()
    sh(*args, str(context), env=env)
    return time.monotonic() - started


def image_size(tag: str) -> int:
    return int(sh("docker", "image", "inspect", "-f", "{{.Size}}", tag).stdout.strip())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=3) as resp:  # loopback only
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, b""
    except OSError:
        return 0, b""


class Stack:
    def __init__(self, image: str) -> None:
        self.name = f"sabench{uuid.uuid4().hex[:8]}"
        self.port = free_port()
        self.env = {k: v for k, v in os.environ.items()
                    if not k.startswith(("POSTGRES_", "GEMINI_", "DATABASE_", "SEED_", "API_", "APP_"))}
        self.env.update(APP_IMAGE=image, API_PORT=str(self.port), COMPOSE_PROJECT_NAME=self.name)

    def compose(self, *args: str) -> None:
        sh("docker", "compose", "-p", self.name, "-f", str(ROOT / "docker-compose.yml"), *args,
           env=self.env, cwd=ROOT, timeout=300)

    def up_until_serving(self) -> tuple[float, float]:
        """(seconds until `up --wait` returned, seconds until the standings answered)."""
        started = time.monotonic()
        self.compose("up", "-d", "--no-build", "--pull", "never", "--wait", "--wait-timeout", "120")
        waited = time.monotonic() - started
        url = f"http://127.0.0.1:{self.port}/api/v1/standings?season=2025"
        while time.monotonic() - started < 120:
            status, body = get(url)
            if status == 200 and json.loads(body)["total"] == 30:
                return waited, time.monotonic() - started
            time.sleep(0.1)
        raise SystemExit("the stack never served the standings")

    def down(self, volumes: bool) -> None:
        self.compose("down", "--timeout", "10", *(["-v"] if volumes else []))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="cold starts to measure")
    parser.add_argument("--json", type=Path, default=ROOT / "benchmarks" / "results" / "image.json")
    args = parser.parse_args()

    run_id = uuid.uuid4().hex[:8]
    ours, naive = f"sports-analytics:bench-{run_id}", f"sports-analytics-naive:bench-{run_id}"
    results: dict[str, object] = {"engine": sh("docker", "version", "-f", "{{.Server.Version}}").stdout.strip()}
    with tempfile.TemporaryDirectory(prefix="sa-image-bench-") as tmp:
        ctx = Path(tmp) / "ctx"
        ctx.mkdir()
        naive_ctx = Path(tmp) / "naive"
        try:
            snapshot(ctx)
            shutil.copytree(ctx, naive_ctx)
            (naive_ctx / ".dockerignore").unlink(missing_ok=True)
            (naive_ctx / "naive.Dockerfile").write_text(NAIVE_DOCKERFILE)

            print("clean build (multi-stage, --no-cache) ...", flush=True)
            results["clean_build_s"] = round(build(ours, ctx, no_cache=True), 1)
            print("naive build (single stage, --no-cache) ...", flush=True)
            results["naive_build_s"] = round(build(naive, naive_ctx, "naive.Dockerfile", no_cache=True), 1)
            size, naive_size = image_size(ours), image_size(naive)
            base = image_size("python:3.11-slim-bookworm")
            results.update(
                image_bytes=size, naive_bytes=naive_size, base_bytes=base,
                size_ratio=round(size / naive_size, 3),
                added_bytes=size - base, naive_added_bytes=naive_size - base,
                added_ratio=round((size - base) / (naive_size - base), 3),
            )

            print("one-line code change, rebuild (x3) ...", flush=True)
            init = ctx / "service" / "sports_analytics" / "__init__.py"
            rebuilds = []
            for i in range(3):
                init.write_text(init.read_text() + f"# benchmark edit {run_id} {i}\n")
                rebuilds.append(build(ours, ctx))
            results["rebuild_runs_s"] = [round(x, 1) for x in rebuilds]
            results["rebuild_s"] = round(statistics.median(rebuilds), 1)
            results["rebuild_ratio"] = round(float(results["rebuild_s"]) / float(results["clean_build_s"]), 3)

            print(f"cold starts x{args.runs} ...", flush=True)
            waits, serves, warm = [], [], []
            for _ in range(args.runs):
                stack = Stack(ours)
                try:
                    w, s = stack.up_until_serving()
                    waits.append(w)
                    serves.append(s)
                    stack.down(volumes=False)
                    warm.append(stack.up_until_serving()[1])
                finally:
                    stack.down(volumes=True)
            results.update(
                cold_start_wait_s=[round(x, 1) for x in waits],
                cold_start_serving_s=[round(x, 1) for x in serves],
                cold_start_s=round(statistics.median(serves), 1),
                warm_restart_s=round(statistics.median(warm), 1),
            )
        finally:
            subprocess.run(["docker", "rmi", "-f", ours, naive], capture_output=True)

    results["targets"] = TARGETS
    met = {
        "size_ratio": float(results["size_ratio"]) <= TARGETS["size_ratio"],  # type: ignore[arg-type]
        "rebuild_ratio": float(results["rebuild_ratio"]) <= TARGETS["rebuild_ratio"],  # type: ignore[arg-type]
        "cold_start_s": float(results["cold_start_s"]) < TARGETS["cold_start_s"],  # type: ignore[arg-type]
    }
    results["met"] = met
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2) + "\n")

    mb = 1_000_000
    print()
    print(f"{'figure':<38}{'value':>14}  target")
    print(f"{'image size (multi-stage)':<38}{size / mb:>11.0f} MB")
    print(f"{'image size (naive single stage)':<38}{naive_size / mb:>11.0f} MB")
    print(f"{'  of which the base image':<38}{base / mb:>11.0f} MB")
    print(f"{'size ratio':<38}{results['size_ratio']:>14.0%}  <= 80%  {'met' if met['size_ratio'] else 'NOT met'}")
    print(f"{'added on top of the base, ratio':<38}{results['added_ratio']:>14.0%}")
    print(f"{'clean build (--no-cache)':<38}{results['clean_build_s']:>12} s")
    print(f"{'rebuild after a one-line change':<38}{results['rebuild_s']:>12} s")
    print(f"{'rebuild ratio':<38}{results['rebuild_ratio']:>14.0%}  <= 15%  {'met' if met['rebuild_ratio'] else 'NOT met'}")
    print(f"{'cold start to serving (median)':<38}{results['cold_start_s']:>12} s  < 20 s  {'met' if met['cold_start_s'] else 'NOT met'}")
    print(f"{'warm restart to serving (median)':<38}{results['warm_restart_s']:>12} s")
    print(f"\nwritten to {args.json}")
    missed = [name for name, ok in met.items() if not ok]
    if missed:
        print(f"targets missed: {', '.join(missed)}", file=sys.stderr)
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
