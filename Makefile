# One entry point for developers and CI. `make test` installs what it needs and runs everything.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: test pytest lint install lock chart-docs k8s-base clean

# Each venv gets uv first (requirements-bootstrap.lock, hash-pinned), and uv installs the locked
# packages: several times faster than pip, most of CI's set-up time. Like pip --no-compile, uv
# does not byte-compile: Python compiles the modules the tests import on first use.
PIP_BOOTSTRAP = pip install -q --disable-pip-version-check --require-hashes -r requirements-bootstrap.lock
UV_INSTALL = uv pip install -q
# That cache must be writable: where PYTHONDONTWRITEBYTECODE is set (CI images often set it),
# each of the hundreds of Python processes the suite starts (CLI commands, servers and their
# workers, the scanner) would compile every module it imports again, over a third of the
# suite's CPU time.
unexport PYTHONDONTWRITEBYTECODE

$(BIN)/.installed: requirements.lock requirements-dev.lock requirements-bootstrap.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/$(PIP_BOOTSTRAP)
	$(BIN)/$(UV_INSTALL) --python $(BIN)/python --require-hashes -r requirements.lock -r requirements-dev.lock
	$(BIN)/$(UV_INSTALL) --python $(BIN)/python --no-deps -e .
	touch $@

# checkov lives in its own venv: its pins clash with the dev tools (see requirements-scan.in).
SCAN_VENV ?= .venv-scan
$(SCAN_VENV)/bin/.installed: requirements-scan.lock requirements-bootstrap.lock
	$(PYTHON) -m venv $(SCAN_VENV)
	$(SCAN_VENV)/bin/$(PIP_BOOTSTRAP)
	$(SCAN_VENV)/bin/$(UV_INSTALL) --python $(SCAN_VENV)/bin/python --require-hashes -r requirements-scan.lock
	touch $@

install: $(BIN)/.installed $(SCAN_VENV)/bin/.installed

## test: lint and the whole suite (unit, API, chart, workflows; e2e when a Docker engine runs)
# Side by side: the linters finish in well under a minute while the suite is starting up.
test: install
	$(MAKE) --no-print-directory -j2 lint pytest

## pytest: the suite only (CI runs `lint` and `pytest` as separate jobs, so each runs once)
# On TEST_WORKERS processes (pytest-xdist), each test file whole on one of them, the files with
# the most tests first. Many tests wait on PostgreSQL, Docker or a server they started, so more
# workers than cores still pays off; `make pytest TEST_WORKERS=0` runs in this one process.
TEST_WORKERS ?= 4
pytest: install
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile

lint: install
	$(BIN)/ruff check service tests benchmarks
	$(BIN)/mypy

## lock: re-resolve the hash-locked dependency files (no download URLs are written)
lock: install
	$(BIN)/uv pip compile pyproject.toml --generate-hashes --python-version 3.11 -q -o requirements.lock
	$(BIN)/uv pip compile requirements-dev.in --generate-hashes --python-version 3.11 -q -c requirements.lock -o requirements-dev.lock
	$(BIN)/uv pip compile requirements-scan.in --generate-hashes --python-version 3.11 -q -o requirements-scan.lock
	$(BIN)/uv pip compile requirements-bootstrap.in --generate-hashes --python-version 3.11 -q -o requirements-bootstrap.lock

## chart-docs: regenerate the chart README's parameter table from values.yaml
chart-docs: install
	$(BIN)/python scripts/chart_values_table.py

## k8s-base: regenerate k8s/base (and components) from the chart's default render
k8s-base: install
	$(BIN)/python scripts/render_k8s_base.py

clean:
	rm -rf $(VENV) $(SCAN_VENV) .pytest_cache .mypy_cache .ruff_cache
