"""Resources built once per test run, shared by every pytest-xdist worker.

``make test`` runs the suite on several worker processes. Each worker has its own session, so
a plain session-scoped fixture would start one PostgreSQL cluster (and build one Docker image)
per worker. Instead the first worker that needs a resource builds it under a file lock in the
run directory and records it there; the others wait on the lock and reuse the record.

The run directory is made by the controlling process (the only process in a run without
xdist) and handed to the workers through ``SA_TEST_RUN_DIR``: workers are started after
``pytest_configure`` and inherit the environment. The controlling process releases every
recorded resource when the run ends, after all workers have finished with it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from filelock import FileLock

RUN_DIR_ENV = "SA_TEST_RUN_DIR"


def open_run_dir(is_worker: bool) -> Path:
    """The controller makes a fresh run directory; a worker uses the one it inherited."""
    if is_worker and os.environ.get(RUN_DIR_ENV):
        return Path(os.environ[RUN_DIR_ENV])
    path = Path(tempfile.mkdtemp(prefix="sa-test-run-"))
    os.environ[RUN_DIR_ENV] = str(path)
    return path


def run_dir() -> Path:
    return Path(os.environ[RUN_DIR_ENV])


def once(name: str, build: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """``build()``'s record, built by the first caller of this run; later callers reuse it.

    A record may carry ``"release"``: what :func:`release_all` undoes at the end of the run
    (see there). A failed build records nothing, so the next caller tries again.
    """
    directory = run_dir()
    record_file = directory / f"{name}.json"
    with FileLock(directory / f"{name}.lock"):
        if record_file.exists():
            return json.loads(record_file.read_text())
        record = build()
        record_file.write_text(json.dumps(record))
        return record


def release_all(directory: Path) -> None:
    """Release what the run's records say (last built first) and remove the run directory."""
    records = sorted(directory.glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
    for record_file in records:
        release = json.loads(record_file.read_text()).get("release")
        if release:
            _release(release)
    shutil.rmtree(directory, ignore_errors=True)


def _release(release: dict[str, Any]) -> None:
    """``{"run": [argv, ...], "remove": [path, ...]}``: commands first, then directories."""
    for argv in release.get("run", []):
        subprocess.run(argv, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       timeout=120)
    for path in release.get("remove", []):
        shutil.rmtree(path, ignore_errors=True)
