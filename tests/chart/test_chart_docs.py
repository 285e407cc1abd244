"""The examples in README.md's "Deploying to Kubernetes" section work: ESO stores validate against ESO's CRD schemas, and
every `# file: values-*.yaml` block renders through the chart and validates."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from tests.helpers.chartlib import (
    CRD_SCHEMAS,
    NAMESPACE,
    REPO,
    crd_schema_dir,
    renderer,
    validate_crd_object,
)

DOC = REPO / "README.md"
BLOCKS = [yaml.safe_load(b) for b in re.findall(r"```yaml\n(.*?)```", DOC.read_text(), re.S)]
STORE_SCHEMAS = {
    "SecretStore": "external-secrets.io/secretstore_v1.json",
    "ClusterSecretStore": "external-secrets.io/clustersecretstore_v1.json",
}


def value_blocks() -> dict[str, dict[str, Any]]:
    found = {}
    for text in re.findall(r"```yaml\n(.*?)```", DOC.read_text(), re.S):
        match = re.match(r"# file: (values-[\w-]+\.yaml)\n", text)
        if match:
            found[match.group(1)] = yaml.safe_load(text)
    return found


def test_docs_show_a_store_for_each_manager(crd_schema_dir: Path) -> None:
    stores = [b for b in BLOCKS if isinstance(b, dict) and b.get("kind") in STORE_SCHEMAS]
    providers = {next(iter(s["spec"]["provider"])) for s in stores}
    assert providers == {"aws", "gcpsm", "vault"}
    for store in stores:
        assert store["apiVersion"] == "external-secrets.io/v1"
        schema = json.loads((crd_schema_dir / STORE_SCHEMAS[store["kind"]]).read_text())
        jsonschema.validators.validator_for(schema)(schema).validate(store)


@pytest.mark.parametrize("name", sorted(value_blocks()))
def test_docs_values_render_and_validate(name: str, crd_schema_dir: Path) -> None:
    objects = renderer.render(value_blocks()[name], release="sports-analytics", namespace=NAMESPACE)
    for obj in objects:
        if (obj["apiVersion"], obj["kind"]) in CRD_SCHEMAS:
            validate_crd_object(obj, crd_schema_dir)
        else:
            kubernetes_validate.validate(obj, "1.30", strict=True)
    assert any(o["kind"] == "Deployment" for o in objects)


def test_docs_cover_the_required_topics() -> None:
    text = DOC.read_text()
    assert set(value_blocks()) >= {"values-production.yaml", "values-eso.yaml"}
    for phrase in ("existingSecret", "helm install", "--wait --atomic", "expand/contract",
                   "Rollbacks never downgrade the schema", "charts/sports-analytics/README.md#parameters"):
        assert phrase in text, phrase


__all__ = ["crd_schema_dir"]  # the fixture, imported from chartlib
