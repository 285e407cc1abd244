"""The examples in the chart README work: ESO stores validate against ESO's CRD schemas, and every
`# file: values-*.yaml` block renders through the chart and validates."""

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
    CHART_DIR,
    CRD_SCHEMAS,
    NAMESPACE,
    crd_schema_dir,
    renderer,
    validate_crd_object,
)

DOC = CHART_DIR / "README.md"
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
    assert set(value_blocks()) >= {"values-production.yaml", "values-eso.yaml", "values-observability.yaml"}
    for phrase in ("existingSecret", "helm install", "--wait --atomic", "expand/contract",
                   "Rollbacks never downgrade the schema", "GRANT analyst TO", "image.repository",
                   "helm repo add external-secrets", "v0.16.0", "aws secretsmanager create-secret",
                   "gcloud secrets create", "vault kv put", "helm uninstall"):
        assert phrase in text, phrase


def test_headings_follow_the_bitnami_order() -> None:
    headings = re.findall(r"^## (.+)$", DOC.read_text(), re.M)
    wanted = ["TL;DR", "Prerequisites", "Installing the chart", "An external database",
              "A secret manager", "Parameters", "Upgrading", "Uninstalling"]
    assert [h for h in headings if h in wanted] == wanted


def test_connection_budget_matches_the_pools() -> None:
    """The documented per-pod maximum is webConcurrency x (2 x poolSize + maxOverflow)."""
    values = yaml.safe_load((CHART_DIR / "values.yaml").read_text())
    db = values["database"]
    per_pod = values["config"]["webConcurrency"] * (2 * db["poolSize"] + db["maxOverflow"])
    text = DOC.read_text()
    assert "(2 x `database.poolSize` +\n  `database.maxOverflow`)" in text
    assert f"= **{per_pod}** with the defaults" in text
    assert f"x {per_pod} = {values['autoscaling']['maxReplicas'] * per_pod}" in text


__all__ = ["crd_schema_dir"]  # the fixture, imported from chartlib


PLACEHOLDERS = {"<owner>": "example", "<digest from CI>": "0" * 64}


def tldr_values() -> dict[str, Any]:
    """The `--set` flags of the TL;DR install command, as a values tree."""
    section = DOC.read_text().split("## TL;DR", 1)[1].split("\n## ", 1)[0]
    command = re.search(r"```bash\n(.*?)```", section, re.S)
    assert command, "the TL;DR has no bash block"
    text = command.group(1)
    for placeholder, sample in PLACEHOLDERS.items():
        text = text.replace(placeholder, sample)
    values: dict[str, Any] = {}
    for key, value in re.findall(r"--set ([\w.]+)=(\S+)", text):
        *parents, leaf = key.split(".")
        node = values
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return values


def test_tldr_install_sets_the_image_and_renders() -> None:
    values = tldr_values()
    assert values["image"]["repository"], "a fork or manual install must set image.repository"
    objects = renderer.render(values, release="sports-analytics", namespace=NAMESPACE)
    deployment = next(o for o in objects if o["kind"] == "Deployment")
    image = deployment["spec"]["template"]["spec"]["containers"][0]["image"]
    assert image == f"{values['image']['repository']}@{values['image']['digest']}"
