"""Render the chart with the real Helm engine (defaults and every ci/ values file), lint it, and
validate every object: core kinds with kubernetes-validate (strict) for Kubernetes 1.30 and the
newest version it ships, CRD kinds against the JSON schemas vendored in tests/schemas/crds."""

from __future__ import annotations

import json
from pathlib import Path

import helm_python
import kubernetes_validate
import pytest

from tests.helpers.chartlib import (
    CASES,
    CHART_DIR,
    CRD_SCHEMAS,
    NAMESPACE,
    RELEASE,
    by_kind,
    crd_schema_dir,
    rendered,
    validate_crd_object,
)

KUBE_VERSIONS = ["1.30", kubernetes_validate.utils.latest_version()]


EXPECTED_KINDS = {
    "defaults": {"ConfigMap", "Deployment", "Job", "NetworkPolicy", "PodDisruptionBudget",
                 "Service", "ServiceAccount", "Pod"},
    "everything-on-values": {"ConfigMap", "CronJob", "Deployment", "ExternalSecret", "HorizontalPodAutoscaler",
                             "HTTPRoute", "Ingress", "Job", "NetworkPolicy", "PodDisruptionBudget",
                             "PrometheusRule", "Service", "ServiceAccount", "ServiceMonitor", "Pod"},
    "hooks-existing-secret-values": {"ConfigMap", "Deployment", "Job", "NetworkPolicy",
                                     "PodDisruptionBudget", "Service", "ServiceAccount", "Pod"},
    "dev-create-secret-values": {"ConfigMap", "Deployment", "Job", "NetworkPolicy", "Secret",
                                 "Service", "ServiceAccount", "Pod"},
    "csi-values": {"ConfigMap", "Deployment", "Job", "NetworkPolicy", "PodDisruptionBudget",
                   "SecretProviderClass", "Service", "ServiceAccount", "Pod"},
    "cloudnativepg-values": {"ConfigMap", "Deployment", "Job", "NetworkPolicy",
                             "PodDisruptionBudget", "Service", "ServiceAccount", "Pod"},
}


def test_ci_directory_has_the_required_files() -> None:
    assert {"everything-on-values", "hooks-existing-secret-values"} <= set(CASES)
    assert set(CASES) == set(EXPECTED_KINDS), "add the new ci/ file to EXPECTED_KINDS"


@pytest.mark.parametrize("case", sorted(CASES))
def test_renders_the_expected_kinds(case: str) -> None:
    kinds = {o["kind"] for o in rendered(case)}
    assert kinds == EXPECTED_KINDS[case]


@pytest.mark.parametrize("case", sorted(CASES))
def test_helm_lint_strict(case: str) -> None:
    # 1.30: the native preStop sleep in everything-on needs it; defaults also lint at the minimum.
    versions = ["v1.30.0", "v1.36.0"] + (["v1.29.0"] if case == "defaults" else [])
    for kube_version in versions:
        report = helm_python.lint(str(CHART_DIR), CASES[case], strict=True,
                                  namespace=NAMESPACE, kube_version=kube_version)
        serious = [m for m in report["messages"] if m["severity"] >= 2]
        assert not report["errors"] and not serious, (kube_version, report)


def test_chart_metadata() -> None:
    with helm_python.Chart.load(str(CHART_DIR)) as chart:
        meta = chart.metadata
        assert meta["apiVersion"] == "v2"
        assert meta["kubeVersion"] == ">=1.29.0-0"
        assert meta["appVersion"]
        assert chart.schema is not None and chart.schema["additionalProperties"] is False


@pytest.mark.parametrize("kube_version", KUBE_VERSIONS)
@pytest.mark.parametrize("case", sorted(CASES))
def test_core_kinds_validate_strict(case: str, kube_version: str) -> None:
    checked = 0
    for obj in rendered(case):
        if (obj["apiVersion"], obj["kind"]) in CRD_SCHEMAS:
            continue
        try:
            kubernetes_validate.validate(obj, kube_version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            path = ".".join(str(p) for p in exc.path)
            pytest.fail(f"{obj['kind']}/{obj['metadata']['name']} at {path}: {exc.message}")
        checked += 1
    assert checked >= 6


@pytest.mark.parametrize("case", sorted(CASES))
def test_crd_kinds_validate_against_shared_schemas(case: str, crd_schema_dir: Path) -> None:
    core_groups = ("v1", "apps/v1", "batch/v1", "policy/v1", "autoscaling/v2",
                   "networking.k8s.io/v1")
    for obj in rendered(case):
        key = (obj["apiVersion"], obj["kind"])
        if obj["apiVersion"] in core_groups:
            continue
        assert key in CRD_SCHEMAS, f"no schema known for {key}"
        validate_crd_object(obj, crd_schema_dir)


def test_crd_validation_can_fail(crd_schema_dir: Path) -> None:
    es = json.loads(json.dumps(by_kind(rendered("everything-on-values"), "ExternalSecret")[0]))
    es["spec"]["target"]["creationPolicy"] = "Sometimes"
    with pytest.raises(AssertionError, match="creationPolicy"):
        validate_crd_object(es, crd_schema_dir)
    es = json.loads(json.dumps(by_kind(rendered("everything-on-values"), "ExternalSecret")[0]))
    es["spec"]["bogusField"] = 1
    with pytest.raises(AssertionError, match="bogusField"):
        validate_crd_object(es, crd_schema_dir)


def test_everything_on_contains_every_crd_kind() -> None:
    kinds = {(o["apiVersion"], o["kind"]) for o in rendered("everything-on-values")}
    assert {k for k in CRD_SCHEMAS if k[1] != "SecretProviderClass"} <= kinds
    assert ("secrets-store.csi.x-k8s.io/v1", "SecretProviderClass") in {
        (o["apiVersion"], o["kind"]) for o in rendered("csi-values")
    }


def test_kube_validate_catches_a_broken_object() -> None:
    """The validation above can fail: a typo'd field is rejected in strict mode."""
    deployment = json.loads(json.dumps(by_kind(rendered("defaults"), "Deployment")[0]))
    deployment["spec"]["template"]["spec"]["containers"][0]["readinesProbe"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, "1.30", strict=True)


def test_release_name_and_namespace_are_used() -> None:
    for obj in rendered("defaults"):
        assert obj["metadata"]["namespace"] == NAMESPACE
        assert obj["metadata"]["name"].startswith(f"{RELEASE}-sports-analytics")


__all__ = ["crd_schema_dir"]  # the fixture, imported from chartlib


def test_values_schema_is_strict_everywhere() -> None:
    """Every object the schema describes key by key rejects unknown keys."""
    schema = json.loads((CHART_DIR / "values.schema.json").read_text())
    loose = []

    def walk(node: object, path: str) -> None:
        if isinstance(node, dict):
            if "properties" in node and node.get("additionalProperties") is not False:
                loose.append(path or "/")
            for key, value in node.items():
                walk(value, f"{path}/{key}")
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, f"{path}/{i}")

    walk(schema, "")
    assert not loose, loose
    # and it covers every key of values.yaml
    import yaml

    values = yaml.safe_load((CHART_DIR / "values.yaml").read_text())
    with helm_python.Chart.load(str(CHART_DIR)) as chart:
        chart.validate_schema(values)
    assert set(values) <= set(schema["properties"])
