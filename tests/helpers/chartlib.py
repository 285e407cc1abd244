"""Shared pieces for the chart tests: the real Helm render (via scripts/render_k8s_base.py),
the chart-testing values files, and the CRD schemas vendored in tests/schemas/crds.
Imported as `chartlib`; conftest.py re-exports the fixture."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
CHART_DIR = REPO / "charts" / "sports-analytics"
CI_DIR = CHART_DIR / "ci"
CRD_SCHEMA_DIR = REPO / "tests" / "schemas" / "crds"  # datreeio/CRDs-catalog (MIT), see its README


def load_renderer() -> ModuleType:
    name = "render_k8s_base"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, REPO / "scripts" / "render_k8s_base.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


renderer = load_renderer()


def ci_cases() -> dict[str, dict[str, Any]]:
    """'defaults' plus one case per values file in charts/sports-analytics/ci/."""
    cases: dict[str, dict[str, Any]] = {"defaults": {}}
    for path in sorted(CI_DIR.glob("*.yaml")):
        cases[path.stem] = yaml.safe_load(path.read_text()) or {}
    return cases


CASES = ci_cases()
# CRD kinds the chart can render -> schema file under tests/schemas/crds
CRD_SCHEMAS = {
    ("external-secrets.io/v1", "ExternalSecret"): "external-secrets.io/externalsecret_v1.json",
    ("monitoring.coreos.com/v1", "ServiceMonitor"): "monitoring.coreos.com/servicemonitor_v1.json",
    ("monitoring.coreos.com/v1", "PrometheusRule"): "monitoring.coreos.com/prometheusrule_v1.json",
    ("gateway.networking.k8s.io/v1", "HTTPRoute"): "gateway.networking.k8s.io/httproute_v1.json",
    ("secrets-store.csi.x-k8s.io/v1", "SecretProviderClass"):
        "secrets-store.csi.x-k8s.io/secretproviderclass_v1.json",
}

RELEASE = "demo"
NAMESPACE = "apps"

_cache: dict[str, list[dict[str, Any]]] = {}


def rendered(case: str) -> list[dict[str, Any]]:
    """Objects rendered for a case (hooks included), cached per session."""
    if case not in _cache:
        _cache[case] = renderer.render(CASES[case], release=RELEASE, namespace=NAMESPACE)
    return _cache[case]


def by_kind(objects: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [o for o in objects if o["kind"] == kind]


def one(objects: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    found = by_kind(objects, kind)
    assert len(found) == 1, f"expected one {kind}, got {len(found)}"
    return found[0]


@pytest.fixture(scope="session")
def crd_schema_dir() -> Path:
    missing = [name for name in CRD_SCHEMAS.values() if not (CRD_SCHEMA_DIR / name).is_file()]
    assert not missing, f"CRD schemas missing from {CRD_SCHEMA_DIR}: {missing}"
    return CRD_SCHEMA_DIR


def validate_crd_object(obj: dict[str, Any], schema_dir: Path) -> None:
    """Validate one CRD object against its vendored JSON schema (AssertionError with the paths)."""
    import json

    import jsonschema

    key = (obj["apiVersion"], obj["kind"])
    assert key in CRD_SCHEMAS, f"no schema known for {key}"
    schema = json.loads((schema_dir / CRD_SCHEMAS[key]).read_text())
    validator = jsonschema.validators.validator_for(schema)(schema)
    errors = sorted(validator.iter_errors(obj), key=lambda e: list(e.path))
    assert not errors, "\n".join(
        f"{obj['kind']}/{obj['metadata']['name']} at {'.'.join(map(str, e.path))}: {e.message}"
        for e in errors
    )
